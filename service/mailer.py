"""Mail over SMTP from plain-text templates in config/mail/."""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from string import Template
from typing import Protocol

from service import metrics
from service.domain.errors import MailNotSent
from service.mail_language import in_language

log = logging.getLogger(__name__)


class Mailer(Protocol):
    """What the rules send mail through: SMTP (below) or GOV.UK Notify (service/notify.py)."""

    def send(self, to: str, template: str, **values: str) -> None:
        """Send the mail of kind `template` (a config/mail/ name) filled with `values`.

        Raises:
            MailNotSent: the mail did not go; nothing may be counted.
        """
        ...

    def send_text(self, to: str, template: str, **values: str) -> None:
        """Send the text message of kind `template` to the mobile number `to`.

        Raises:
            MailNotSent: the text did not go (or this deployment cannot send texts).
        """
        ...


@dataclass(frozen=True)
class SmtpMailer:
    """Sends one templated mail per call; blocking, so call it from a worker thread."""

    host: str
    port: int
    sender: str
    templates: Path
    timeout: float = 10.0
    starttls: bool = False
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    sms_gateway_domain: str | None = None
    """Texts go as mail to <mobile digits>@this domain; None: no texts."""

    def send_text(self, to: str, template: str, **values: str) -> None:
        """Fill config/mail/<template>-sms.txt and mail it to the SMS gateway.

        Raises:
            MailNotSent: no gateway is configured, or the relay failed.
        """
        if not self.sms_gateway_domain:
            log.warning("text %s not sent: no sms_gateway_domain for SMTP", template)
            raise MailNotSent(template)
        digits = "".join(ch for ch in to if ch.isdigit() or ch == "+")
        self.send(f"{digits}@{self.sms_gateway_domain}", f"{template}-sms", **values)

    def send(self, to: str, template: str, **values: str) -> None:
        """Fill config/mail/<template>.txt and hand it to the relay.

        The first line of a template is `Subject: ...`.

        Raises:
            MailNotSent: the relay could not be reached or refused the mail.
        """
        written = (self.templates / f"{template}.txt").read_text("utf-8")
        text = Template(in_language(written))
        filled = text.substitute(values)
        first, _, body = filled.partition("\n")
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = first.removeprefix("Subject:").strip()
        message.set_content(body.lstrip("\n"))
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.user and self.password is not None and self.starttls:
                    smtp.login(self.user, self.password)
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            # Never log the message: it may hold a code.
            log.warning("mail %s not sent: %s", template, type(exc).__name__)
            metrics.MAIL.labels(template, "failed").inc()
            raise MailNotSent(template) from exc
        metrics.MAIL.labels(template, "sent").inc()
