"""A stand-in for GOV.UK Notify's API on loopback, written from its published API docs.

It speaks what the official clients speak: `POST /v2/notifications/email` and
`/v2/notifications/sms` with a JSON body (`email_address` or `phone_number`,
`template_id`, `personalisation`, `reference`), a bearer JWT signed HS256 with the
API key's secret (`iss` the service id, `iat` within 30 seconds of now), 201 with
the notification (`id`, `reference`, `content`, `uri`, `template`), and errors as
`{"status_code": N, "errors": [{"error": ..., "message": ...}]}`. The JWT check is
written here from the docs, not with the client's own code, so a client that signs
wrongly is caught.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from contract.codes import digits_of
from tests.service.conftest import wait_for


def make_api_key(name: str = "ssu-test") -> tuple[str, str, str]:
    """A key of Notify's form: (`{name}-{service_id}-{secret}`, service id, secret)."""
    service_id, secret = str(uuid.uuid4()), str(uuid.uuid4())
    return f"{name}-{service_id}-{secret}", service_id, secret


@dataclass(frozen=True)
class NotifyTemplate:
    """A template as the stand-in's service holds it: its kind and the fields it needs."""

    kind: str  # "email" or "sms"
    fields: tuple[str, ...]


@dataclass
class Received:
    """One notification the stand-in accepted."""

    kind: str
    to: str
    template_id: str
    personalisation: dict[str, Any]
    reference: str | None


@dataclass
class NotifyStandIn:
    """What the stand-in knows (service id, secret, templates) and what it received."""

    service_id: str
    secret: str
    templates: dict[str, NotifyTemplate]
    received: list[Received] = field(default_factory=list)
    requests: int = 0
    refused: list[int] = field(default_factory=list)
    """Statuses of every answer that was not 201, in order."""
    faults: list[tuple[int, str | None]] = field(default_factory=list)
    """Statuses to answer the next requests with (after auth), one each, for requests
    of a kind ("email", "sms") or of any kind (None)."""
    delay: float = 0.0
    """Seconds to sit on every request before answering (Notify slow)."""
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def fail_next(self, *statuses: int, kind: str | None = None) -> None:
        """Answer the next requests (of `kind` only, if given: "email" or "sms") with
        these statuses (500, 429, 400 ...), one each."""
        with self.lock:
            self.faults.extend((status, kind) for status in statuses)

    def emails_to(self, address: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.kind == "email" and r.to == address]

    def texts_to(self, number: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.kind == "sms" and r.to == number]

    def wait_count(self, address: str, count: int) -> list[Received]:
        """Wait until address has received count emails; all of them."""
        return wait_for(  # type: ignore[no-any-return]
            lambda: (lambda got: got if len(got) >= count else None)(self.emails_to(address)),
            what=f"{count} Notify emails to {address}",
        )

    def code(self, address: str, count: int) -> str:
        """The 8-digit code in the count-th email to address (as the SMTP Mailbox offers)."""
        sent = self.wait_count(address, count)[count - 1]
        code = str(sent.personalisation.get("code", ""))
        assert re.fullmatch(r"\d{4} ?\d{4}", code), "no code in the personalisation"
        return digits_of(code)

    # -- the API -----------------------------------------------------------------------

    def check_token(self, header: str | None) -> str | None:
        """None if the bearer token is Notify-valid for this service, else why not."""
        if not header or not header.startswith("Bearer "):
            return "Unauthorized: authentication token must be provided"
        token = header.removeprefix("Bearer ")
        try:
            head_b64, claims_b64, sig_b64 = token.split(".")
            head = json.loads(_unb64(head_b64))
            claims = json.loads(_unb64(claims_b64))
            signature = _unb64(sig_b64)
        except (ValueError, json.JSONDecodeError):
            return "Invalid token: signature, api token not found"
        if head.get("alg") != "HS256":
            return "Invalid token: algorithm used is not HS256"
        expected = hmac.new(
            self.secret.encode(), f"{head_b64}.{claims_b64}".encode(), hashlib.sha256
        ).digest()
        if claims.get("iss") != self.service_id or not hmac.compare_digest(signature, expected):
            return "Invalid token: signature, api token not found"
        iat = claims.get("iat")
        if not isinstance(iat, int) or abs(time.time() - iat) > 30:
            return "Error: Your system clock must be accurate to within 30 seconds"
        return None

    def answer(self, kind: str, auth: str | None, body: bytes) -> tuple[int, dict[str, Any]]:
        with self.lock:
            self.requests += 1
        if self.delay:
            time.sleep(self.delay)
        why = self.check_token(auth)
        if why is not None:
            return _error(403, "AuthError", why)
        with self.lock:
            fault = None
            for n, (status, only) in enumerate(self.faults):
                if only is None or only == kind:
                    fault = status
                    del self.faults[n]
                    break
        if fault is not None:
            return _error(fault, *_FAULTS.get(fault, ("Exception", "Internal server error")))
        try:
            data = json.loads(body)
        except json.JSONDecodeError:
            return _error(400, "BadRequestError", "Invalid JSON supplied in POST data")
        recipient_field = "email_address" if kind == "email" else "phone_number"
        to, template_id = data.get(recipient_field), data.get("template_id")
        if not to:
            return _error(400, "ValidationError", f"{recipient_field} is a required property")
        template = self.templates.get(str(template_id))
        if template is None or template.kind != kind:
            return _error(400, "BadRequestError", "Template not found")
        personalisation = data.get("personalisation") or {}
        missing = [f for f in template.fields if f not in personalisation]
        if missing:
            return _error(400, "BadRequestError", f"Missing personalisation: {', '.join(missing)}")
        notification_id = str(uuid.uuid4())
        with self.lock:
            self.received.append(
                Received(kind, to, template_id, dict(personalisation), data.get("reference"))
            )
        body_text = " ".join(f"{k}={personalisation[k]}" for k in template.fields)
        content: dict[str, Any] = (
            {"subject": "Subject", "body": body_text, "from_email": "ssu@notify.invalid"}
            if kind == "email"
            else {"body": body_text, "from_number": "GOVUK"}
        )
        return 201, {
            "id": notification_id,
            "reference": data.get("reference"),
            "content": content,
            "uri": f"{self.url}/v2/notifications/{notification_id}",
            "template": {
                "id": template_id,
                "version": 1,
                "uri": f"{self.url}/v2/template/{template_id}",
            },
        }


_FAULTS = {
    400: ("BadRequestError", "Can't send to this recipient using a team-only API key"),
    429: ("RateLimitError", "Exceeded rate limit for key type LIVE of 3000 requests per 60 s"),
    500: ("Exception", "Internal server error"),
}


def _error(status: int, error: str, message: str) -> tuple[int, dict[str, Any]]:
    return status, {"status_code": status, "errors": [{"error": error, "message": message}]}


def _unb64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


class _Handler(BaseHTTPRequestHandler):
    standin: NotifyStandIn

    def do_POST(self) -> None:  # noqa: N802
        match = re.fullmatch(r"/v2/notifications/(email|sms)", self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        if match is None:
            status, answer = _error(404, "NoResultFound", "No result found")
        else:
            status, answer = self.standin.answer(
                match.group(1), self.headers.get("Authorization"), body
            )
        if status != 201:
            with self.standin.lock:
                self.standin.refused.append(status)
        payload = json.dumps(answer).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (Notify slow): nobody to answer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # quiet: pytest shows failures, not every request


@contextmanager
def serve_notify(standin: NotifyStandIn) -> Iterator[NotifyStandIn]:
    """Serve the stand-in on a free loopback port (its `url` set) until the block ends."""
    handler = type("Handler", (_Handler,), {"standin": standin})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    standin.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield standin
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextmanager
def serve_notify_keyed(
    templates: dict[str, NotifyTemplate], key_file: Path
) -> Iterator[NotifyStandIn]:
    """A fresh API key written owner-only to `key_file` (as the service reads it), and
    the stand-in that knows it and `templates` served until the block ends."""
    api_key, service_id, secret = make_api_key()
    key_file.write_text(api_key + "\n")
    key_file.chmod(0o600)
    with serve_notify(NotifyStandIn(service_id, secret, templates)) as standin:
        yield standin
