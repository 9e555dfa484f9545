"""Effects on the local store: the checkpoint, the outbox, the question catalogue cache.

A full or read-only disk must not stop a holder: the journey goes on (only a
resume after a crash is lost), and outbox items wait in memory instead
(`EffectParts.unsaved`) until the store takes them or they are delivered.
"""

from __future__ import annotations

import logging
import sqlite3
import uuid
from typing import Any

from kiosk.effects.parts import Effect, EffectParts
from kiosk.flow import commands as c
from kiosk.flow import facts
from kiosk.service_client import QuestionCatalogue
from kiosk.store import CacheEntry, OutboxItem

log = logging.getLogger(__name__)

CATALOGUE_KEY = "questions"
"""Cache key of the question catalogue in the local store."""


async def save_checkpoint(parts: EffectParts, cmd: c.SaveCheckpoint) -> None:
    """SaveCheckpoint: replace the saved progress."""
    try:
        parts.store.save_checkpoint(cmd.checkpoint)
    except sqlite3.Error as exc:
        log.warning("checkpoint not saved (local store: %s)", exc)


async def clear_checkpoint(parts: EffectParts, _cmd: c.ClearCheckpoint) -> None:
    """ClearCheckpoint: forget the saved progress."""
    try:
        parts.store.clear_checkpoint()
    except sqlite3.Error as exc:
        log.warning("checkpoint not cleared (local store: %s)", exc)


async def queue_audit(parts: EffectParts, cmd: c.QueueAudit) -> None:
    """QueueAudit: an audit event into the outbox, with a fresh stable id."""
    at = cmd.at or parts.clock()
    payload = {
        "type": cmd.type,
        "outcome": cmd.outcome,
        "at": at.isoformat(),
        "serial": cmd.serial,
        "uuid": cmd.uuid,
        "detail": dict(cmd.detail),
    }
    queue(parts, payload, kind="audit", item_id=str(uuid.uuid4()))


async def queue_result_report(parts: EffectParts, cmd: c.QueueResultReport) -> None:
    """QueueResultReport: an unlock result into the outbox, keyed by unlock and outcome."""
    payload = {"unlock_id": cmd.unlock_id, "outcome": cmd.outcome, "status_word": cmd.status_word}
    queue(parts, payload, kind="unlock_result", item_id=result_key(cmd.unlock_id, cmd.outcome))


def result_key(unlock_id: str, outcome: str) -> str:
    """The one id of an unlock's result: the outbox item's and the service's idempotency key."""
    return f"result-{unlock_id}-{outcome}"


def queue(parts: EffectParts, payload: dict[str, Any], *, kind: str, item_id: str) -> None:
    """Put an item in the outbox, or keep it in memory when the store refuses it."""
    now = parts.clock()
    try:
        parts.store.outbox.add(payload, now=now, kind=kind, item_id=item_id)
    except sqlite3.Error as exc:
        log.warning("outbox item kept in memory (local store: %s)", exc)
        parts.unsaved.append(OutboxItem(item_id, kind, payload, now, 0, now))


def cached_catalogue(parts: EffectParts) -> CacheEntry | None:
    """The cached question catalogue, if any (an unreadable store only costs the copy)."""
    try:
        return parts.store.cache.get(CATALOGUE_KEY)
    except sqlite3.Error:
        return None


def cache_catalogue(parts: EffectParts, catalogue: QuestionCatalogue) -> None:
    """Keep the catalogue the service sent, for when it is down."""
    value = {
        "version": catalogue.version,
        "etag": catalogue.etag,
        "questions": [{"id": q.id, "text": q.text} for q in catalogue.questions],
    }
    try:
        parts.store.cache.put(CATALOGUE_KEY, value, fetched_at=parts.clock())
    except sqlite3.Error as exc:
        # A full or read-only disk must not stop a registration: the catalogue
        # is shown from the service's answer, just not kept for an outage.
        log.warning("question catalogue not cached (local store: %s)", exc)


def cached_etag(entry: CacheEntry) -> str | None:
    """The ETag the cached catalogue came with, to ask the service whether it changed."""
    value = entry.value
    etag = value.get("etag") if isinstance(value, dict) else None
    return etag if isinstance(etag, str) and etag else None


def cached_questions(entry: CacheEntry) -> tuple[facts.Question, ...]:
    """The questions of a cached catalogue; () when the cache holds something else."""
    value = entry.value
    items = value.get("questions") if isinstance(value, dict) else None
    if not isinstance(items, list):
        return ()
    questions = []
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            questions.append(facts.Question(id=item["id"], text=str(item.get("text", ""))))
    return tuple(questions)


EFFECTS: dict[type[c.Command], Effect] = {
    c.SaveCheckpoint: save_checkpoint,
    c.ClearCheckpoint: clear_checkpoint,
    c.QueueAudit: queue_audit,
    c.QueueResultReport: queue_result_report,
}
"""Command type -> effect, for the store's commands (the app runs them in order)."""
