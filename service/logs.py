"""The service's log lines: one JSON object per line (or plain text), nothing secret in them.

A JSON line (`contract.log_lines.JsonLines`) carries the time, level, logger and
message, and for a request the allow-listed fields the access log sets
(`REQUEST_FIELDS`); a fault is named by its type only (docs/design.md section 4,
"Logs carry no traceback, SQL parameter or query string").
"""

from __future__ import annotations

import logging
import sys
from typing import Literal, TextIO

from contract.log_lines import JsonLines
from service.api.log_secrecy import ACCESS_LOGGER, NoQueryStrings

LogFormat = Literal["json", "text"]

REQUEST_FIELDS = ("method", "path", "route", "status", "duration_ms", "kiosk_id")
"""What a request's line may carry besides its message: never a token, body or query."""

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


class PlainText(logging.Formatter):
    """The text format, with no traceback either."""

    def formatException(self, ei: object) -> str:  # noqa: N802 - logging's name
        return ""

    def formatStack(self, stack_info: str) -> str:  # noqa: N802 - logging's name
        return ""

    def format(self, record: logging.LogRecord) -> str:
        record.exc_text = None
        return super().format(record).rstrip("\n")


class _ServiceHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The handler configure_logging puts on the root logger.

    It writes to whatever `sys.stderr` is when a record comes, not the stream it was
    made with (as logging's own last-resort handler does): a process that swaps
    stderr (a test capturing it, a tool redirecting it) never has records written to
    a stream that was closed since.
    """

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass  # always the current sys.stderr


def configure_logging(log_format: LogFormat, level: int = logging.INFO) -> None:
    """Send every log record to stderr (the journal under systemd) in one format.

    The server's own access log is switched off: the service writes its own
    (`service.api.request_log`), with the route, duration and kiosk, and no query.

    Args:
        log_format: "json" (one object per line) or "text".
        level: the root logger's level.
    """
    handler = _ServiceHandler()
    handler.setFormatter(
        JsonLines(REQUEST_FIELDS) if log_format == "json" else PlainText(TEXT_FORMAT)
    )
    handler.addFilter(NoQueryStrings())
    root = logging.getLogger()
    # Only our own handler is replaced: one called twice in a process (the tests run the
    # command line in theirs) writes each line once, beside whatever else listens.
    for old in [h for h in root.handlers if isinstance(h, _ServiceHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger(ACCESS_LOGGER).disabled = True


def unconfigure_logging() -> None:
    """Take configure_logging's handler off the root logger again.

    For a process that runs a tool in-process and goes on (the tests): records from
    its other threads then no longer reach stderr through a handler it did not want.
    """
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _ServiceHandler)]:
        root.removeHandler(old)
    logging.getLogger(ACCESS_LOGGER).disabled = False
