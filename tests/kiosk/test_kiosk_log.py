"""The kiosk's log beside its store: JSON lines by default, and nothing secret in them."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from kiosk.__main__ import log_handler
from kiosk.settings import KioskSettings


def write(handler: logging.Handler) -> None:
    logger = logging.getLogger("kiosk.test_log")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        logger.info("card read, %d tries left", 3, extra={"answer": "Cornwall"})
        try:
            raise ValueError("the code 31415926 was refused")
        except ValueError:
            logger.exception("refused")
    finally:
        logger.removeHandler(handler)
        handler.close()


def test_json_lines_carry_no_extra_field_message_or_traceback(tmp_path: Path) -> None:
    assert KioskSettings().log_format == "json"
    log = tmp_path / "kiosk.log"
    write(log_handler(log, "json"))
    first, second = (json.loads(line) for line in log.read_text().splitlines())
    assert first["message"] == "card read, 3 tries left" and first["level"] == "INFO"
    assert {"time", "logger"} <= set(first) and "answer" not in first
    assert second["exc_type"] == "ValueError"
    text = log.read_text()
    for leak in ("Cornwall", "31415926", "Traceback"):
        assert leak not in text, leak


def test_text_lines_on_request(tmp_path: Path) -> None:
    log = tmp_path / "kiosk.log"
    write(log_handler(log, "text"))
    assert "kiosk.test_log card read, 3 tries left" in log.read_text().splitlines()[0]
