"""A request's answer kept for its Idempotency-Key in the step's own transaction.

Kept afterwards, in a transaction of its own, a crash between the two left the
step done and its key "running": the kiosk's repeat then ran the step again once
the record was taken as abandoned, and a wrong answer was counted twice. So
while a keyed request runs (`keeping`), the transaction that ends its step keeps
the answer with it: a refusal by `Parts.transaction` (which commits refusals),
a success by the step itself (`keep`) in its last transaction. Either both are
in the store or neither is. An answer no step kept this way (a refusal raised
outside any transaction, a fault) is kept afterwards as before
(`service/api/deps.py`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from pydantic import BaseModel
from sqlalchemy import Connection

from service.domain.errors import Refusal
from service.queries import idempotency

KEPT = "ssu_answer_kept"
"""Set in a connection's info by a transaction that kept the request's answer."""


@dataclass
class Keeping:
    """The keyed request running now, and whether its answer is in the store yet."""

    kiosk_id: str
    key_hash: str
    status: int
    """The status a success is answered with (201 where the route creates)."""
    recomputed: bool
    """A success's body is not kept but computed again (cryptograms)."""
    problem: Callable[[Refusal], tuple[int, str]]
    """A refusal's status and problem+json body (the HTTP edge's table)."""
    kept: bool = False
    """The answer was committed with the step."""


_current: ContextVar[Keeping | None] = ContextVar("ssu_keeping", default=None)


@contextmanager
def keeping(request: Keeping) -> Iterator[Keeping]:
    """Keep the answer of the steps run inside with them."""
    token = _current.set(request)
    try:
        yield request
    finally:
        _current.reset(token)


def keep(conn: Connection, result: BaseModel | None) -> None:
    """Keep the step's answer in its transaction (call it in the step's last one).

    Args:
        conn: the step's last transaction.
        result: what the step answers (None where it is computed again on a repeat).
    """
    request = _current.get()
    if request is None:
        return
    body = None
    if result is not None and not request.recomputed:
        body = json.dumps(result.model_dump(mode="json", exclude_none=True))
    idempotency.finish(conn, request.kiosk_id, request.key_hash, request.status, body)
    conn.info[KEPT] = True


def keep_refusal(conn: Connection, refusal: Refusal) -> None:
    """Keep a refusal in the transaction that commits what led to it."""
    request = _current.get()
    if request is None:
        return
    status, body = request.problem(refusal)
    idempotency.finish(conn, request.kiosk_id, request.key_hash, status, body)
    conn.info[KEPT] = True


def committed(conn: Connection) -> None:
    """The transaction committed: if it kept the answer, nothing is left to keep."""
    if conn.info.pop(KEPT, False):
        request = _current.get()
        if request is not None:
            request.kept = True


def rolled_back(conn: Connection) -> None:
    """The transaction rolled back: what it kept is gone with it."""
    conn.info.pop(KEPT, None)
