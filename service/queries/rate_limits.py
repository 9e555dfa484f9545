"""Request counts per throttle bucket and minute."""

from __future__ import annotations

from sqlalchemy import Connection, bindparam, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert

from service.tables import rate_limits


def _counting(dialect: str) -> Insert:
    upsert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        upsert(rate_limits)
        .values(bucket=bindparam("bucket"), window=bindparam("window"), count=1)
        .on_conflict_do_update(
            index_elements=[rate_limits.c.bucket, rate_limits.c.window],
            set_={"count": rate_limits.c.count + 1},
        )
        .returning(rate_limits.c.count)
    )


# Built once per dialect: building the statement cost more than running it, on every
# authenticated request (issue 14 item 4).
_COUNTING = {name: _counting(name) for name in ("postgresql", "sqlite")}


def count_one(conn: Connection, bucket: str, window: int) -> int:
    """Count one request in the bucket's window; the count so far, this one included.

    One statement (INSERT ... ON CONFLICT DO UPDATE ... RETURNING), atomic on both
    stores: instances counting the same bucket at once each get their own count,
    with no read before the write and no retry when two open a window together.
    """
    counted = conn.execute(_COUNTING[conn.dialect.name], {"bucket": bucket, "window": window})
    return int(counted.scalar_one())


def count_of(conn: Connection, bucket: str, window: int) -> int:
    """The requests counted so far in the bucket's window (nothing counted)."""
    where = (rate_limits.c.bucket == bucket) & (rate_limits.c.window == window)
    return int(conn.execute(select(rate_limits.c.count).where(where)).scalar() or 0)


def forget_before(conn: Connection, window: int) -> None:
    """Delete the counts of windows before this one."""
    conn.execute(delete(rate_limits).where(rate_limits.c.window < window))
