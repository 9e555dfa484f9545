"""The parts a service instance is built from its settings: master keys and mailer."""

from __future__ import annotations

import hmac

from card.keys import KEY_NAMES, MasterKeys, load_dev_keys, load_master_keys
from service.mailer import Mailer, SmtpMailer
from service.settings import ServiceSettings


class KeysRefused(RuntimeError):
    """The master keys cannot be used in this mode."""


def mailer_for(settings: ServiceSettings) -> Mailer:
    """The mailer the settings choose (mail_channel): SMTP by default, or GOV.UK Notify."""
    if settings.mail_channel == "notify":
        # Imported here so an SMTP-only install never loads the Notify client.
        from service.notify import notify_mailer

        return notify_mailer(settings)
    return SmtpMailer(
        settings.smtp_host,
        settings.smtp_port,
        settings.mail_from,
        settings.mail_dir,
        timeout=settings.smtp_timeout,
        starttls=settings.smtp_starttls,
        user=settings.smtp_user,
        password=smtp_password(settings),
        sms_gateway_domain=settings.sms_gateway_domain,
    )


def smtp_password(settings: ServiceSettings) -> str | None:
    """The SMTP password: the setting, else the file it names (without its line end)."""
    if settings.smtp_password is not None:
        return settings.smtp_password.get_secret_value()
    if settings.smtp_password_file is not None:
        return settings.smtp_password_file.read_text("utf-8").rstrip("\r\n")
    return None


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
    """Refuse any published development master outside demo mode.

    Each master is checked on its own: one public `unblock` master is enough to
    mint cryptograms for every card, whatever the other two are.

    Raises:
        KeysRefused: a development master outside demo.
    """
    if settings.demo:
        return
    published = published_masters(masters)
    if published:
        raise KeysRefused(
            f"the {', '.join(published)} master(s) are published development keys; they need --demo"
        )


def published_masters(masters: MasterKeys) -> list[str]:
    """The names of the masters that equal the published development ones."""
    try:
        dev = load_dev_keys()
    except (OSError, ValueError):
        # Without the published file there is nothing to compare against.
        return []
    return [n for n in KEY_NAMES if hmac.compare_digest(masters.master(n), dev.master(n))]
