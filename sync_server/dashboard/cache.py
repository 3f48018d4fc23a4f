"""A small per-process cache of figures, valid while the unit's tallies are unchanged.

Figures only change when ballots are stored (the nightly sync), and every stored ballot adds to the
ballot roll-up of its unit and of each unit above it, in the ingest transaction; so the sums of the
unit's own roll-up rows (per flag) plus the survey version make a cheap "data version" for a unit and
its sub-units: a few rows per month, however many communes a province has. It is read from the
database on every request, so a ballot stored through any server process changes the key at once
and no process serves figures older than the last stored ballot. A province's year is then computed
once per sync.

    cache = FiguresCache(maxsize=256)
    key = (unit.code, period, data_version(session, unit.id), survey_hash)
    body = cache.get_or_compute(key, lambda: indices_for(...))
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlmodel import Session, col

from sync_server.models import RollupBallots

__all__ = ["FiguresCache", "data_version"]

T = TypeVar("T")


def data_version(session: Session, unit_id: int) -> tuple[int, int, int]:
    """(ballots counted, ballots flagged, roll-up cells) of a unit with its sub-units: changes with every
    ballot stored under it."""
    count, flagged = col(RollupBallots.count), col(RollupBallots.flagged)
    row = session.execute(
        select(
            func.coalesce(func.sum(count).filter(flagged.is_(False)), 0),
            func.coalesce(func.sum(count).filter(flagged.is_(True)), 0),
            func.count(),
        ).where(col(RollupBallots.unit_id) == unit_id)
    ).one()
    return int(row[0]), int(row[1]), int(row[2])


class FiguresCache:
    """Least-recently-used figures keyed by the request and the data version."""

    def __init__(self, maxsize: int = 256) -> None:
        self.maxsize = maxsize
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_compute(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The cached value of `key` (which must include the data version), else `compute()`."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                hit: T = self._items[key]
                return hit
        value = compute()
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)
        return value
