"""Mail through GOV.UK Notify's API with its official client (design.md section 4, "Mail").

Notify holds the templates: each mail kind (unlock code, registration code, unlock
notice) has its own email template id in `[notify]`, and the values our plain-text
templates in config/mail/ fill (`name`, `code`, `expires_at`, `kiosk`, `time`,
`ra_contact`) go as Notify personalisation, so a Notify template uses `((code))`
where ours uses `$code`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from notifications_python_client.errors import APIError
from notifications_python_client.notifications import NotificationsAPIClient

from contract.language import Language
from service.domain.errors import MailNotSent
from service.mail_language import mail_language
from service.settings import NotifyTemplateIds, ServiceSettings, read_api_key

log = logging.getLogger(__name__)

# Notify's documented transient answers: rate or daily limit (429) and its own
# errors (5xx). The client reports a connection it could not make as 503.
_TRANSIENT = 429


def is_transient(error: APIError) -> bool:
    """Whether Notify may accept the same request a moment later."""
    return error.status_code == _TRANSIENT or error.status_code >= 500


@dataclass(frozen=True)
class NotifyMailer:
    """Sends one mail per call through Notify; blocking, so call it from a worker thread.

    The same interface as `SmtpMailer`: `send(to, template, **values)`, raising
    MailNotSent when the mail did not go, which the rules answer with 503
    mail_unavailable and nothing counted. `send_text` does the same by text message,
    for the policies that will send codes by SMS (nothing calls it yet).
    """

    api_key: str = field(repr=False)
    email_templates: dict[str, str]
    """Notify template id per config/mail/ template name (unlock-code ...)."""
    base_url: str
    timeout: float = 10.0
    attempts: int = 3
    """Tries per mail on a transient answer (the first included)."""
    backoff: float = 0.5
    """Seconds before the second try, doubled before each later one."""
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    sms_templates: dict[str, str] = field(default_factory=dict)
    """Notify text message template id per kind; empty until a policy sends texts."""
    welsh_email_templates: dict[str, str] = field(default_factory=dict)
    """Welsh email template id per kind (`[notify.cy]`), for a Welsh holder's mail."""
    welsh_sms_templates: dict[str, str] = field(default_factory=dict)
    """Welsh text message template id per kind."""

    def send(self, to: str, template: str, **values: str) -> None:
        """Ask Notify to email `to` with the template for this kind, filled with `values`.

        Raises:
            MailNotSent: no template id for this kind, Notify refused the request
                (400 validation, 403 auth ...), or it stayed unavailable (5xx, 429,
                unreachable) for every try.
        """
        self._deliver("email", self._in_language("email", template), to, template, values)

    def send_text(self, to: str, template: str, **values: str) -> None:
        """Ask Notify to text the mobile `to` with the SMS template for this kind.

        Raises:
            MailNotSent: as for `send` (the one "could not reach the holder" error
                the rules map to 503 mail_unavailable, nothing counted).
        """
        self._deliver("sms", self._in_language("sms", template), to, template, values)

    def _in_language(self, channel: str, kind: str) -> dict[str, str]:
        """The template ids to use for the request's language (service/mail_language.py).

        A Welsh holder's message goes through the Welsh template of its kind; when that
        is not configured, through the English one, and the log says so (the kind only).
        """
        english = self.email_templates if channel == "email" else self.sms_templates
        if mail_language() is not Language.WELSH:
            return english
        welsh = self.welsh_email_templates if channel == "email" else self.welsh_sms_templates
        if kind in welsh:
            return welsh
        log.warning("%s %s: no Welsh Notify template id, sent in English", channel, kind)
        return english

    def _deliver(
        self, channel: str, templates: dict[str, str], to: str, kind: str, values: dict[str, str]
    ) -> None:
        template_id = templates.get(kind)
        if not template_id:
            log.warning("%s %s not sent: no Notify template id for it", channel, kind)
            raise MailNotSent(kind)
        # One client per message: the client keeps a requests session and says it is
        # not thread-safe, and messages go out from several worker threads.
        # The client is untyped (it ships py.typed but no annotations).
        client = NotificationsAPIClient(  # type: ignore[no-untyped-call]
            self.api_key, base_url=self.base_url, timeout=self.timeout
        )
        try:
            for attempt in range(1, self.attempts + 1):
                try:
                    if channel == "email":
                        client.send_email_notification(  # type: ignore[no-untyped-call]
                            email_address=to, template_id=template_id, personalisation=values
                        )
                    else:
                        client.send_sms_notification(  # type: ignore[no-untyped-call]
                            phone_number=to, template_id=template_id, personalisation=values
                        )
                    return
                except APIError as exc:
                    # The status only: Notify's message may quote the personalisation.
                    if not is_transient(exc) or attempt == self.attempts:
                        log.warning(
                            "%s %s not sent: Notify answered %s (try %d of %d)",
                            channel,
                            kind,
                            exc.status_code,
                            attempt,
                            self.attempts,
                        )
                        raise MailNotSent(kind) from None
                    log.info(
                        "%s %s: Notify answered %s, trying again", channel, kind, exc.status_code
                    )
                    self.sleep(self.backoff * 2 ** (attempt - 1))
        finally:
            client.request_session.close()


def notify_mailer(settings: ServiceSettings) -> NotifyMailer:
    """The Notify mailer the settings describe, its key read from notify.api_key_file.

    Raises:
        ValueError: no key file, or one the settings would refuse (read_api_key).
    """
    notify = settings.notify
    if notify.api_key_file is None:
        raise ValueError('mail_channel = "notify" needs notify.api_key_file')
    templates, texts = template_maps(notify)
    welsh_templates, welsh_texts = template_maps(notify.cy)
    return NotifyMailer(
        read_api_key(notify.api_key_file),
        templates,
        notify.base_url,
        timeout=notify.timeout,
        attempts=notify.attempts,
        sms_templates=texts,
        welsh_email_templates=welsh_templates,
        welsh_sms_templates=welsh_texts,
    )


def template_maps(ids: NotifyTemplateIds) -> tuple[dict[str, str], dict[str, str]]:
    """The email and the text template ids set, per config/mail/ kind, in one language."""
    emails = {
        "unlock-code": ids.unlock_code_email,
        "registration-code": ids.registration_code_email,
        "unlock-notice": ids.unlock_notice_email,
        "unlock-attempt": ids.unlock_attempt_email,
        "contact-changed": ids.contact_changed_email,
        "self-service-paused": ids.self_service_paused_email,
        "contact-change-notice": ids.contact_change_email,
    }
    texts = {
        "unlock-code": ids.unlock_code_sms,
        "registration-code": ids.registration_code_sms,
        "unlock-notice": ids.unlock_notice_sms,
        "unlock-attempt": ids.unlock_attempt_sms,
        "contact-changed": ids.contact_changed_sms,
        "self-service-paused": ids.self_service_paused_sms,
        "contact-change-notice": ids.contact_change_sms,
    }
    return (
        {kind: tid for kind, tid in emails.items() if tid},
        {kind: tid for kind, tid in texts.items() if tid},
    )
