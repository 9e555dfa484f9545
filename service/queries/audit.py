"""The audit trail: what the service did and what the kiosks reported."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    Row,
    and_,
    case,
    cast,
    func,
    insert,
    literal_column,
    or_,
    select,
    text,
)

from service.tables import audit


def add(conn: Connection, **values: Any) -> None:
    """Append one audit record (IntegrityError for a kiosk event id seen before)."""
    conn.execute(insert(audit).values(**values))


def has_event(conn: Connection, event_id: str) -> bool:
    """Whether a kiosk event with this id was stored."""
    return conn.execute(select(audit.c.seq).where(audit.c.event_id == event_id)).first() is not None


def records(conn: Connection, since: float | None = None) -> Iterator[Row[Any]]:
    """The records in order, optionally only those recorded at or after since."""
    query = select(audit).order_by(audit.c.seq)
    if since is not None:
        query = query.where(audit.c.recorded_at >= since)
    yield from conn.execute(query)


def about_holder(conn: Connection, uuid: str, limit: int) -> list[Row[Any]]:
    """The newest records the service and the RA desks made about a holder, newest first
    (at most limit). What kiosks report of themselves is left out: it repeats the
    service's own records in the kiosk's words."""
    query = (
        select(audit)
        .where(audit.c.uuid == uuid, audit.c.source != "kiosk")
        .order_by(audit.c.seq.desc())
        .limit(limit)
    )
    return list(conn.execute(query))


DAY_SECONDS = 86400


def _utc_day(conn: Connection) -> ColumnElement[int]:
    """The record's UTC day, as days since 1970-01-01."""
    days = audit.c.recorded_at / DAY_SECONDS
    if conn.dialect.name == "sqlite":
        return cast(days, Integer)  # SQLite truncates: the floor, for times after 1970
    return cast(func.floor(days), Integer)  # PostgreSQL would round


def _detail_says(member: str) -> ColumnElement[bool]:
    """The stored detail (json.dumps, sorted keys) holds `member`, e.g. '"locked_now": true'."""
    pattern = "%" + member.replace("'", "''") + "%"
    return audit.c.detail.like(literal_column(f"'{pattern}'"))


def counted_by_day(
    conn: Connection, since: float, until: float, code_mails: tuple[str, ...]
) -> list[Row[Any]]:
    """The RA manager's report, counted by the database: records of the service and the
    RA desks recorded in [since, until), grouped by UTC day (`day`, days since 1970),
    `kiosk`, `type`, `outcome`, and three flags the report needs from the detail:
    `locked_now` (the answer step that locked self-service), `code_mail` (a mail not
    sent was a code's) and `code_owed` (a step that sent one of its two codes and owes
    the other); `n` is how many. What kiosks report of themselves is left out.
    """
    locked_now = case(
        (and_(audit.c.type == "unlock_answers", _detail_says('"locked_now": true')), 1), else_=0
    )
    code_mail = case(
        (
            and_(
                audit.c.type == "mail_not_sent",
                or_(*(_detail_says(f'"template": "{name}"') for name in code_mails)),
            ),
            1,
        ),
        else_=0,
    )
    code_owed = case((and_(audit.c.outcome == "ok", _detail_says('"not_sent": "')), 1), else_=0)
    query = (
        select(
            _utc_day(conn).label("day"),
            audit.c.kiosk,
            audit.c.type,
            audit.c.outcome,
            locked_now.label("locked_now"),
            code_mail.label("code_mail"),
            code_owed.label("code_owed"),
            func.count().label("n"),
        )
        .where(
            audit.c.recorded_at >= since,
            audit.c.recorded_at < until,
            audit.c.source != "kiosk",
        )
        # By position: PostgreSQL takes an expression with parameters in GROUP BY only
        # when it is the select list's very own, which positions say on both databases.
        .group_by(*(text(str(n)) for n in range(1, 8)))
    )
    return list(conn.execute(query))
