"""Settings of the unlock service: flags > SSU_SERVICE_* variables > TOML file > defaults."""

from __future__ import annotations

import re
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from contract.contacts import APPROVED_DOMAINS_DEFAULT, RaContacts
from contract.secret_files import read_owner_only

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


class CodeGuesses(BaseModel):
    """Wrong codes a holder's card may have entered, across unlocks, registrations and
    kiosks, before self-service pauses for that holder (issue 13 item 6)."""

    model_config = ConfigDict(extra="forbid")

    per_holder: int = Field(default=10, ge=1)
    """Wrong codes within `window`; the one that reaches it pauses self-service."""
    window: float = Field(default=24 * 3600.0, gt=0)
    """Seconds a wrong code counts for; the pause ends when enough of them age out."""


class Notices(BaseModel):
    """Notices the service sends whatever a kiosk does (issue 13 item 11)."""

    model_config = ConfigDict(extra="forbid")

    unreported_after: float = Field(default=300.0, gt=0)
    """Seconds after a cryptogram with no "unlocked" result before the holder is told an
    unlock was attempted (sent by the next sweep, at most 30 s later)."""


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
    journey_burst: float = Field(default=10.0, ge=0)
    """Seconds of answer checking that new journeys may bring at once: past that, new
    journeys (POST /v1/nonces) pass only at the rate answer steps are measured to finish,
    and the rest are refused 503 service_busy, so journeys under way finish first.
    Engaged only when the policy asks questions."""
    check_nice: int = Field(default=10, ge=0, le=19)
    """Niceness added to the threads that hash answers, so health, readiness and the
    cheap endpoints go before hashing on a busy machine; 0: no threads of their own."""


# `{key_name}-{service_id}-{secret}`: the client takes the last 73 characters apart.
_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_API_KEY = re.compile(rf".+-{_UUID}-{_UUID}")


def read_api_key(path: Path) -> str:
    """The Notify API key in `path`, refused when anyone but its owner may read it.

    Messages name the file, never what is in it.

    Raises:
        ValueError: the file is missing, empty, readable or writable by others, or
            does not hold a key of Notify's form.
    """
    key = read_owner_only(path, "notify.api_key_file", "owner: the service's user")
    if not _API_KEY.fullmatch(key):
        raise ValueError(
            f"notify.api_key_file {path} does not hold a Notify API key "
            "(key name, service id and secret joined by '-')"
        )
    return key


NOTIFY_API_URL = "https://api.notifications.service.gov.uk"


class RaDesk(BaseModel):
    """RA sessions at RA desks (docs/api.md "The RA desk")."""

    model_config = ConfigDict(extra="forbid")

    idle_seconds: int = Field(default=300, ge=30, le=3600)
    """An RA session with no call for this long has ended (the RA walked away)."""
    max_seconds: int = Field(default=4 * 3600, ge=60, le=12 * 3600)
    """An RA session ends this long after sign-in, however busy."""
    recent_events: int = Field(default=10, ge=0, le=100)
    """How many of a holder's newest audit records the RA sees."""


class NotifyTemplateIds(BaseModel):
    """GOV.UK Notify template ids, one per mail or text kind, in one language."""

    model_config = ConfigDict(extra="forbid")

    unlock_code_email: str | None = None
    """Template id of the unlock code email (fields name, code, expires_at, ra_contact)."""
    registration_code_email: str | None = None
    """Template id of the registration code email (name, code, expires_at, ra_contact)."""
    unlock_notice_email: str | None = None
    """Template id of the "your card was unlocked" email (name, kiosk, time, ra_contact)."""
    contact_change_email: str | None = None
    """Template id of the "your contact details were changed" email sent by the RA desk
    to the old and the new address (name, kiosk, time, ra_contact); until set, a contact
    change at an RA desk answers 503 mail_unavailable and changes nothing."""
    unlock_code_sms: str | None = None
    """Template id of the unlock code text message (same fields as its email); texts are
    sent only once a policy asks for them (issue 18 item 3)."""
    registration_code_sms: str | None = None
    """Template id of the registration code text message (same fields as its email)."""
    unlock_notice_sms: str | None = None
    """Template id of the "your card was unlocked" text message (same fields as its email)."""
    unlock_attempt_email: str | None = None
    """Template id of the "an unlock of your card was started and not finished" email (name,
    kiosk, time, ra_contact). Until set, those notices wait in the store, unsent."""
    contact_changed_email: str | None = None
    """Template id of the "your self-service address was changed" email, to the old
    address (name, new_address, kiosk, time, ra_contact)."""
    self_service_paused_email: str | None = None
    """Template id of the "self-service paused after wrong codes" email (name, until,
    ra_contact)."""
    unlock_attempt_sms: str | None = None
    """Template id of the unlock-attempt notice by text (same fields as its email); unset:
    that notice goes by email only."""
    contact_changed_sms: str | None = None
    """Template id of the contact-changed notice by text, to the old mobile (same fields
    as its email); unset: that notice goes by email only."""
    self_service_paused_sms: str | None = None
    """Template id of the "self-service paused" notice by text (same fields as its email);
    unset: that notice goes by email only."""
    contact_change_sms: str | None = None
    """Template id of the RA desk's "your contact details were changed" text, to the old
    and the new mobile (same fields as its email); unset: that notice goes by email only."""


class Notify(NotifyTemplateIds):
    """GOV.UK Notify, used when mail_channel = "notify" (design.md section 4, "Mail").

    Notify holds the templates; each mail kind has its own email template there, filled
    from the same fields as config/mail/ (`((name))`, `((code))`, `((expires_at))`,
    `((kiosk))`, `((time))`, `((ra_contact))`).
    """

    model_config = ConfigDict(extra="forbid")

    api_key_file: Path | None = None
    """File holding the API key, readable by the service's user only (refused otherwise)."""
    base_url: str = NOTIFY_API_URL
    """Notify's API; tests point it at a stand-in on loopback."""
    timeout: float = Field(default=10.0, gt=0)
    """Seconds one request to Notify may take."""
    attempts: int = Field(default=3, ge=1, le=5)
    """Tries per mail when Notify answers 5xx or 429 (rate limit) or cannot be reached; a
    400 or 403 is not tried again. Kept small: the kiosk waits for the answer."""
    cy: NotifyTemplateIds = Field(default_factory=lambda: NotifyTemplateIds())
    """Welsh template ids, per kind as above (`[notify.cy]`): a Welsh holder's code and
    notices go through these; a kind without a Welsh id goes through its English
    template (and the service logs that it did, naming the kind only)."""

    @field_validator("api_key_file")
    @classmethod
    def _key_file_private(cls, value: Path | None) -> Path | None:
        # Read here only to refuse a bad file at start-up; the mailer reads it again
        # when the mailer is built, so the key is never held by the settings.
        if value is not None:
            read_api_key(value)
        return value


class ServiceSettings(BaseSettings):
    """Everything a deployment can change without touching code."""

    model_config = SettingsConfigDict(
        env_prefix="SSU_SERVICE_", env_nested_delimiter="__", use_attribute_docstrings=True
    )

    # Set by load_settings before construction; read by settings_customise_sources.
    _toml_file: ClassVar[Path | None] = None

    db: str = "sqlite:///var/service.db"
    """SQLAlchemy URL of the store (sqlite:///path, postgresql+psycopg://...)."""
    db_pool_size: int = Field(default=20, ge=1)
    """PostgreSQL connections each instance keeps open (10 more may open under load):
    instances x (this + 10) must stay under the server's max_connections (default 100)."""
    host: str = "127.0.0.1"
    """Address to listen on."""
    port: int = 8750
    """Port to listen on."""
    tls_cert: Path | None = None
    """PEM certificate chain to serve HTTPS with (kiosks check it against their CA file)."""
    tls_key: Path | None = None
    """PEM private key of tls_cert (readable by the service's user only)."""
    plain_http_ok: bool = False
    """Serve plain HTTP on an address other than loopback: only behind a TLS proxy."""
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
    """Sender address of every mail (SMTP; Notify sends from its own service settings)."""
    mail_channel: Literal["smtp", "notify"] = "smtp"
    """How codes and notices are sent: the SMTP relay above, or GOV.UK Notify ([notify])."""
    notify: Notify = Field(default_factory=Notify)
    """GOV.UK Notify's API key file, URL and template ids."""
    keys: Path | None = None
    """TOML file with the master keys; the development masters only with demo."""
    demo: bool = False
    """Demo mode: accepts the public development keys and the demo kiosk token."""
    piv_card_ca_file: Path | None = None
    """PEM certificate of the card CA that issues the PIV cards' 9A and 9E certificates;
    None: PIV cards are refused (demo mode: the PUBLIC demo card CA)."""
    approved_domains: list[str] = Field(default_factory=lambda: list(APPROVED_DOMAINS_DEFAULT))
    """Email domains a holder may register (subdomains admitted)."""
    policy: Literal["questions", "national-2023", "two-channel"] = "questions"
    """How holders unlock (docs/api.md "Policies"): `questions` (registration, answers,
    an emailed code), `national-2023` (no questions, no registration: a code by email or
    text to the details in the directory, the holder chooses), `two-channel` (a code by
    email and one by text, both needed; questions too when two_channel_questions)."""
    two_channel_questions: bool = False
    """Under policy two-channel, also ask the registered security questions first."""
    sms_code_minutes: float = Field(default=10.0, gt=0, le=10)
    """How long a texted code lives, in minutes: at most 10 (NIST SP 800-63B-4), so
    never longer than an emailed code's 15."""
    sms_gateway_domain: str | None = None
    """With mail_channel = "smtp": texts go as mail to <mobile digits>@this domain (an
    email-to-SMS gateway; the demo's mailbox shows them as texts). None: no texts by SMTP."""
    questions_required: bool | None = None
    """Replaced by `policy`; true is accepted (the default policy), false is refused."""
    ra_contacts: RaContacts = Field(default_factory=RaContacts)
    """How holders reach the RA team: quoted in every mail and served to the kiosks
    (`GET /v1/ra-contacts`), so screens and mails say the same."""
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
    code_guesses: CodeGuesses = Field(default_factory=CodeGuesses)
    """Wrong codes per holder before self-service pauses."""
    notices: Notices = Field(default_factory=Notices)
    """When owed notices are sent."""
    body_limits: BodyLimits = Field(default_factory=BodyLimits)
    """Request body sizes before 413."""
    ra: RaDesk = Field(default_factory=RaDesk)
    """RA sessions at RA desks."""
    log_format: Literal["json", "text"] = "json"
    """How `serve` writes its log on stderr: one JSON object per line, or plain text."""
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    """Port of the Prometheus /metrics endpoint (no token asked); None: not served."""
    metrics_host: str = "127.0.0.1"
    """Address /metrics listens on: loopback unless a scraper elsewhere must reach it."""

    @model_validator(mode="after")
    def _policy_consistent(self) -> ServiceSettings:
        if self.questions_required is False:
            raise ValueError(
                "questions_required is replaced by policy: for codes without questions set "
                'policy = "national-2023" (and remove questions_required)'
            )
        if self.policy == "two-channel" and not self.texts_possible:
            raise ValueError(
                'policy = "two-channel" sends texts: set notify.unlock_code_sms and '
                'notify.unlock_notice_sms (mail_channel = "notify") or sms_gateway_domain (smtp)'
            )
        return self

    @property
    def texts_possible(self) -> bool:
        """Whether codes and notices can go by text message on this deployment."""
        if self.mail_channel == "notify":
            return bool(self.notify.unlock_code_sms and self.notify.unlock_notice_sms)
        return bool(self.sms_gateway_domain)

    @model_validator(mode="after")
    def _notify_complete(self) -> ServiceSettings:
        if self.mail_channel == "notify":
            missing = [
                name
                for name in (
                    "api_key_file",
                    "unlock_code_email",
                    "registration_code_email",
                    "unlock_notice_email",
                )
                if getattr(self.notify, name) is None
            ]
            if missing:
                raise ValueError(
                    f'mail_channel = "notify" needs notify.{", notify.".join(missing)}'
                )
        return self

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
