"""Request counts per throttle bucket and minute."""

from __future__ import annotations

from sqlalchemy import Connection, delete, insert, select, update

from service.tables import rate_limits


def count_one(conn: Connection, bucket: str, window: int) -> int:
    """Count one request in the bucket's window; the count so far, this one included.

    Raises:
        IntegrityError: another instance opened this window at the same moment.
    """
    where = (rate_limits.c.bucket == bucket) & (rate_limits.c.window == window)
    count = conn.execute(select(rate_limits.c.count).where(where).with_for_update()).scalar()
    if count is None:
        conn.execute(insert(rate_limits).values(bucket=bucket, window=window, count=1))
        return 1
    conn.execute(update(rate_limits).where(where).values(count=count + 1))
    return int(count) + 1


def count_of(conn: Connection, bucket: str, window: int) -> int:
    """The requests counted so far in the bucket's window (nothing counted)."""
    where = (rate_limits.c.bucket == bucket) & (rate_limits.c.window == window)
    return int(conn.execute(select(rate_limits.c.count).where(where)).scalar() or 0)


def forget_before(conn: Connection, window: int) -> None:
    """Delete the counts of windows before this one."""
    conn.execute(delete(rate_limits).where(rate_limits.c.window < window))
