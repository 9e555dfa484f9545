"""The JSON log line both the kiosk and the service write, so one pipeline reads both.

One JSON object per record: time, level, logger, message, and only the extra
fields the writer allows. Nothing else on a record is written, so whatever a
caller passes in `extra` or `exc_info` cannot reach the log: a fault is named by
its type only, never its message or traceback (either may quote a secret or SQL).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import UTC, datetime


class JsonLines(logging.Formatter):
    """One JSON object per record, from an allow-list of fields."""

    def __init__(self, fields: Iterable[str] = ()) -> None:
        """Args:
        fields: record attributes (set with `extra=`) a line may carry when not None.
        """
        super().__init__()
        self.fields = tuple(fields)

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in self.fields:
            value = record.__dict__.get(name)
            if value is not None:
                line[name] = value
        if record.exc_info and record.exc_info[0] is not None:
            line["exc_type"] = record.exc_info[0].__name__
        return json.dumps(line, ensure_ascii=False, default=str)
