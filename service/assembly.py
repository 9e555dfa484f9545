"""The parts a service instance is built from its settings: master keys and mailer."""

from __future__ import annotations

from card.keys import MasterKeys, load_dev_keys, load_master_keys
from service.mailer import SmtpMailer
from service.settings import ServiceSettings


class KeysRefused(RuntimeError):
    """The master keys cannot be used in this mode."""


def mailer_for(settings: ServiceSettings) -> SmtpMailer:
    """The SMTP mailer the settings describe."""
    return SmtpMailer(
        settings.smtp_host,
        settings.smtp_port,
        settings.mail_from,
        settings.mail_dir,
        timeout=settings.smtp_timeout,
        starttls=settings.smtp_starttls,
        user=settings.smtp_user,
        password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
    )


def load_masters(settings: ServiceSettings) -> MasterKeys:
    """The master keys the settings name, refusing the development ones outside demo.

    Raises:
        KeysRefused: no keys given outside demo, or development keys outside demo.
    """
    if settings.keys is None:
        if not settings.demo:
            raise KeysRefused("no master keys given (--keys FILE); development keys need --demo")
        return load_dev_keys()
    masters = load_master_keys(settings.keys)
    check_masters(masters, settings)
    return masters


def check_masters(masters: MasterKeys, settings: ServiceSettings) -> None:
    """Refuse the published development keys outside demo mode.

    Raises:
        KeysRefused: development keys outside demo.
    """
    if masters.is_development() and not settings.demo:
        raise KeysRefused("these are the published development keys; they need --demo")
