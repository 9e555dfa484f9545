"""Settings of the kiosk: flags > SSU_KIOSK_* variables > TOML file > defaults.

The TOML file is config/kiosk.toml unless `--config FILE` names another. Nested
settings take `__` in variable names: SSU_KIOSK_TIMEOUTS__INACTIVITY_SECONDS=120.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from contract.contacts import APPROVED_DOMAINS_DEFAULT
from contract.language import Language
from kiosk.flow.facts import FlowConfig
from kiosk.passcode_rules import PasscodeRules
from kiosk.service_tls import read_token_file, url_problem
from kiosk.terms import load_terms

CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"
DEFAULT_CONFIG_FILE = CONFIG_DIR / "kiosk.toml"

# Which TOML file the next KioskSettings() reads. A context variable rather than
# a class attribute, so two loads in different threads or tasks cannot mix files.
_toml_file: ContextVar[Path | None] = ContextVar("kiosk_toml_file", default=None)

# Every field is documented by the string under it, for people reading this file
# (tests/kiosk/test_kiosk_settings.py checks each has one). pydantic is not asked to
# read them (`use_attribute_docstrings`): it would parse this source at import, about
# 70 ms of every kiosk start, for descriptions nothing at run time shows.


class Timeouts(BaseModel):
    """How long the kiosk waits for the holder and for the service."""

    model_config = ConfigDict(extra="forbid")

    inactivity_seconds: int = Field(default=90, ge=10)
    """Quiet time on a screen before the "are you still there?" warning."""
    warning_seconds: int = Field(default=30, ge=5)
    """How long the warning counts down before the session ends and inputs are wiped."""
    card_removed_notice_seconds: int = Field(default=5, ge=0)
    """How long "your card was removed" shows before the waiting screen."""
    service_seconds: float = Field(default=5.0, gt=0)
    """How long one request to the unlock service may wait (to connect, then for each read).

    The client tries a request that timed out again, a few times with short backoff,
    before the service counts as unreachable. 5 s is what kiosks have always used.
    """
    service_retry_first_seconds: float = Field(default=2.0, gt=0)
    """First wait before trying an unreachable service again; doubles each time."""
    service_retry_max_seconds: float = Field(default=30.0, gt=0)
    """Longest wait between tries of an unreachable service."""


class KioskSettings(BaseSettings):
    """Everything a deployment can change about a kiosk without touching code."""

    model_config = SettingsConfigDict(
        env_prefix="SSU_KIOSK_",
        env_nested_delimiter="__",
        extra="forbid",
    )

    service_url: str = "http://127.0.0.1:8750"
    """Base URL of the unlock service (the /v1 paths are added to it)."""
    kiosk_token: SecretStr = SecretStr("")
    """This kiosk's bearer token (`ssu-service kiosk add NAME`); never logged."""
    kiosk_token_file: Path | None = None
    """A file holding the token instead (owner-only: refused if others may read it)."""
    service_ca_file: Path | None = None
    """PEM CAs trusted for the service instead of the system's; its own cert here pins it."""
    kiosk_name: str = "kiosk"
    """Where this kiosk is, in words a holder recognises (shown on the kiosk's screens).

    The unlock notice mail names the kiosk as the service knows it (`kiosk add NAME`).
    """
    reader: str | None = None
    """PC/SC reader name to use; None: the first reader found."""
    ra_desk: bool = False
    """This kiosk is an RA desk: an RA may sign in with their own card (3 on a working
    card's screen). The service must know the kiosk as one too (`kiosk add --ra-desk`)."""
    ra_reader: str | None = None
    """At a two-reader RA desk, the reader for the RA's own card (set `reader` to the
    holders' one): the RA's card in it starts the sign-in, pulling it signs out."""
    store: Path = Path("var/kiosk.sqlite")
    """The local store (checkpoint, outbox, cache), an SQLite file."""
    log_format: Literal["json", "text"] = "json"
    """The log beside the store (`<store>.log`): one JSON object per line, or plain text."""
    timeouts: Timeouts = Field(default_factory=Timeouts)
    """Inactivity and service timeouts."""
    passcode_rules: PasscodeRules = Field(default_factory=PasscodeRules)
    """Rules a new passcode must meet, checked before the card is touched."""
    approved_email_domains: list[str] = Field(
        default_factory=lambda: list(APPROVED_DOMAINS_DEFAULT)
    )
    """Email domains a holder may register (subdomains admitted, as the service does)."""
    language: Language = Language.ENGLISH
    """The language each holder is first greeted in ("en" or "cy"; F9 switches)."""
    speech_program: str | None = "espeak-ng"
    """The speech engine the read-aloud key (F10) uses; empty: no read-aloud."""
    expiring_warning_days: int = Field(default=90, ge=0)
    """Warn on the card status screen when the card expires within this many days."""
    terms_file: Path = CONFIG_DIR / "terms.toml"
    """The self-service terms (TOML: version, text); the service must read the same file."""

    @field_validator("service_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        problem = url_problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value.rstrip("/")

    @field_validator("service_ca_file")
    @classmethod
    def _ca_file_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"service_ca_file {value} is not a readable file")
        return value

    @model_validator(mode="after")
    def _token_from_file(self) -> KioskSettings:
        if self.kiosk_token_file is not None:
            self.kiosk_token = SecretStr(read_token_file(self.kiosk_token_file))
        return self

    @field_validator("approved_email_domains")
    @classmethod
    def _domains_lower(cls, value: list[str]) -> list[str]:
        return [domain.strip().lower().lstrip("@") for domain in value if domain.strip()]

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Flags, then SSU_KIOSK_* variables, then the TOML file chosen by `load`."""
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        toml_file = _toml_file.get()
        if toml_file is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_file))
        return tuple(sources)

    @classmethod
    def load(cls, config_file: Path | str | None = None, **overrides: Any) -> KioskSettings:
        """Build settings from a TOML file, the environment and flags.

        Args:
            config_file: TOML file from `--config`; config/kiosk.toml when None (and
                no file at all if that is missing).
            **overrides: Values from flags; None means "not given" and is ignored.

        Returns:
            The settings.

        Raises:
            FileNotFoundError: `config_file` was given and does not exist.
            pydantic.ValidationError: A value is not allowed.
        """
        path: Path | None
        if config_file is not None:
            path = Path(config_file)
            if not path.is_file():
                raise FileNotFoundError(f"kiosk config file not found: {config_file}")
        else:
            path = DEFAULT_CONFIG_FILE if DEFAULT_CONFIG_FILE.is_file() else None
        given = {key: value for key, value in overrides.items() if value is not None}
        with _reading(path):
            return cls(**given)

    def flow_config(self) -> FlowConfig:
        """The part of the settings the pure flow needs."""
        t = self.timeouts
        terms = load_terms(self.terms_file)
        return FlowConfig(
            passcode_rules=self.passcode_rules,
            expiring_warning_days=self.expiring_warning_days,
            inactivity_timeout=dt.timedelta(seconds=t.inactivity_seconds),
            inactivity_countdown=dt.timedelta(seconds=t.warning_seconds),
            card_removed_notice=dt.timedelta(seconds=t.card_removed_notice_seconds),
            service_retry_first=dt.timedelta(seconds=t.service_retry_first_seconds),
            service_retry_max=dt.timedelta(seconds=t.service_retry_max_seconds),
            approved_email_domains=tuple(self.approved_email_domains),
            terms_version=terms.version,
            terms_text=terms.text,
            ra_desk=self.ra_desk or self.ra_reader is not None,
            ra_reader=self.ra_reader is not None,
        )


def load_settings(config_file: Path | str | None = None, **overrides: Any) -> KioskSettings:
    """Same as `KioskSettings.load` (the entry point's spelling)."""
    return KioskSettings.load(config_file, **overrides)


@contextmanager
def _reading(path: Path | None) -> Iterator[None]:
    token = _toml_file.set(path)
    try:
        yield
    finally:
        _toml_file.reset(token)
