"""What the server holds of one device: the ledger a kiosk compares with its store (sync-protocol.md).

ledger = device_ledger(session, device_id)
# {"device_id": …, "stored_count": 40, "max_seq": 70, "missing": [[41, 70]], "truncated": False}
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from sync_server.models import Response

__all__ = ["MAX_RANGES", "device_ledger", "missing_ranges"]

MAX_RANGES = 1000


def missing_ranges(seqs_and_next: list[tuple[int, int]], first: int | None, limit: int) -> list[list[int]]:
    """Inclusive gaps in 1..max from (seq, next seq) pairs that jump, plus 1..first-1.

    >>> missing_ranges([(3, 7), (9, 12)], first=2, limit=10)
    [[1, 1], [4, 6], [10, 11]]
    """
    ranges: list[list[int]] = []
    if first is not None and first > 1:
        ranges.append([1, first - 1])
    for seq, nxt in seqs_and_next:
        if len(ranges) > limit:
            break
        ranges.append([seq + 1, nxt - 1])
    return ranges


def device_ledger(session: Session, device_id: str, limit: int = MAX_RANGES) -> dict[str, Any]:
    """The ledger of `device_id`: count, highest seq, the missing ranges (oldest first, at most `limit`)."""
    count, first, last = session.execute(
        select(func.count(), func.min(Response.seq), func.max(Response.seq)).where(
            col(Response.device_id) == device_id
        )
    ).one()
    if not count:
        return {"device_id": device_id, "stored_count": 0, "max_seq": None, "missing": [], "truncated": False}
    nxt = func.lead(col(Response.seq)).over(order_by=col(Response.seq))
    inner = (
        select(col(Response.seq).label("seq"), nxt.label("next_seq"))
        .where(col(Response.device_id) == device_id)
        .subquery()
    )
    jumps = session.execute(
        select(inner.c.seq, inner.c.next_seq)
        .where(inner.c.next_seq - inner.c.seq > 1)
        .order_by(inner.c.seq)
        .limit(limit + 1)
    ).all()
    ranges = missing_ranges([(int(a), int(b)) for a, b in jumps], int(first), limit)
    return {
        "device_id": device_id,
        "stored_count": int(count),
        "max_seq": int(last),
        "missing": ranges[:limit],
        "truncated": len(ranges) > limit,
    }
