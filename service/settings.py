"""Settings of the unlock service: flags > SSU_SERVICE_* variables > TOML file > defaults."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from contract.contacts import APPROVED_DOMAINS_DEFAULT

CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"
DEFAULT_CONFIG_FILE = CONFIG_DIR / "service.toml"


class Argon2Cost(BaseModel):
    """argon2id cost for answer hashes (RFC 9106 second recommended option by default)."""

    # A misspelt key in the TOML file is an error, not a setting silently ignored.
    model_config = ConfigDict(extra="forbid")

    time_cost: int = 3
    """Passes over memory."""
    memory_cost: int = 65536
    """Memory in KiB."""
    parallelism: int = 4
    """Lanes."""


class Throttle(BaseModel):
    """Requests allowed per minute; generous, they only stop abuse."""

    model_config = ConfigDict(extra="forbid")

    per_kiosk: int = 600
    """Any authenticated call, per kiosk."""
    per_card: int = 30
    """Unlock and registration starts whose card proof held, per card serial."""
    per_holder: int = 30
    """Unlock and registration starts whose card proof held, per holder UUID."""
    bad_proofs_per_kiosk: int = 60
    """Failed card proofs per kiosk; past it, its starts answer 429 until the minute ends."""


class BodyLimits(BaseModel):
    """The most bytes a request body may have, checked while it is read (413 beyond)."""

    model_config = ConfigDict(extra="forbid")

    default_bytes: int = 256 * 1024
    """Any endpoint but the audit batch: room for three answers pasted at their limit."""
    audit_bytes: int = 2 * 1024 * 1024
    """POST /v1/audit: a batch of kiosk events."""


class Admission(BaseModel):
    """How much answer checking (argon2id) runs at once, and how long a request may wait.

    Past that the answer steps are refused at once with 503 service_busy and a
    Retry-After, rather than every request slowing down together (issue 14).
    """

    model_config = ConfigDict(extra="forbid")

    workers: int | None = Field(default=None, ge=1)
    """Answer checks at once; None: the machine's CPU count."""
    max_wait: float = Field(default=3.0, ge=0)
    """Seconds a request may wait for a worker before it is refused: below the kiosk's
    5 s request timeout, leaving room for the check itself."""
    max_queue_per_worker: int = Field(default=8, ge=0)
    """Admitted requests waiting per worker whatever the wait estimate: bounds threads
    and memory before a check was measured."""


class ServiceSettings(BaseSettings):
    """Everything a deployment can change without touching code."""

    model_config = SettingsConfigDict(
        env_prefix="SSU_SERVICE_", env_nested_delimiter="__", use_attribute_docstrings=True
    )

    # Set by load_settings before construction; read by settings_customise_sources.
    _toml_file: ClassVar[Path | None] = None

    db: str = "sqlite:///var/service.db"
    """SQLAlchemy URL of the store (sqlite:///path, postgresql+psycopg://...)."""
    host: str = "127.0.0.1"
    """Address to listen on."""
    port: int = 8750
    """Port to listen on."""
    smtp_host: str = "127.0.0.1"
    """SMTP relay for codes and notices."""
    smtp_port: int = 25
    """SMTP relay port."""
    smtp_starttls: bool = False
    """Upgrade the SMTP connection with STARTTLS (certificate checked) before sending."""
    smtp_user: str | None = None
    """SMTP login, when the relay needs one (only over STARTTLS)."""
    smtp_password: SecretStr | None = None
    """SMTP password (from SSU_SERVICE_SMTP_PASSWORD; never logged)."""
    smtp_password_file: Path | None = None
    """File holding the SMTP password (a systemd credential), read when no password is set."""
    smtp_timeout: float = 10.0
    """Seconds before an SMTP exchange counts as failed (503 mail_unavailable)."""
    mail_from: str = "smartcard-self-service@localhost"
    """Sender address of every mail."""
    keys: Path | None = None
    """TOML file with the master keys; the development masters only with demo."""
    demo: bool = False
    """Demo mode: accepts the public development keys and the demo kiosk token."""
    approved_domains: list[str] = Field(default_factory=lambda: list(APPROVED_DOMAINS_DEFAULT))
    """Email domains a holder may register (subdomains admitted)."""
    questions_required: bool = True
    """Ask security questions before sending an unlock code (off: card + code only)."""
    ra_contact: str = "your local RA team"
    """How to reach the RA team, quoted in mails."""
    questions_file: Path = CONFIG_DIR / "questions.toml"
    """The question catalogue."""
    terms_file: Path = CONFIG_DIR / "terms.toml"
    """Current terms and conditions (their version must match registrations)."""
    mail_dir: Path = CONFIG_DIR / "mail"
    """Plain-text mail templates."""
    demo_holders_file: Path = CONFIG_DIR / "demo-holders.toml"
    """The fixed demo data used by seed-demo."""
    argon2: Argon2Cost = Field(default_factory=Argon2Cost)
    """Answer hashing cost."""
    throttle: Throttle = Field(default_factory=Throttle)
    """Rate limits."""
    admission: Admission = Field(default_factory=Admission)
    """Admission control for the answer steps."""
    body_limits: BodyLimits = Field(default_factory=BodyLimits)
    """Request body sizes before 413."""
    log_format: Literal["json", "text"] = "json"
    """How `serve` writes its log on stderr: one JSON object per line, or plain text."""
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    """Port of the Prometheus /metrics endpoint (no token asked); None: not served."""
    metrics_host: str = "127.0.0.1"
    """Address /metrics listens on: loopback unless a scraper elsewhere must reach it."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if cls._toml_file is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=cls._toml_file))
        return tuple(sources)


def load_settings(config_file: Path | None = None, **overrides: object) -> ServiceSettings:
    """Build settings from a TOML file, the environment and explicit overrides.

    Args:
        config_file: TOML file; config/service.toml when None and it exists.
        **overrides: values from flags; None values are ignored.

    Returns:
        The settings.
    """
    path = config_file if config_file is not None else DEFAULT_CONFIG_FILE
    if config_file is None and not path.exists():
        path = None  # type: ignore[assignment]
    ServiceSettings._toml_file = path
    try:
        given = {k: v for k, v in overrides.items() if v is not None}
        return ServiceSettings(**given)  # type: ignore[arg-type]
    finally:
        ServiceSettings._toml_file = None
