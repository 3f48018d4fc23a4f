"""A small per-process cache of figures, valid while the unit's tallies are unchanged.

Figures only change when ballots are stored (the nightly sync), and every stored ballot changes the
ballot tallies of its unit; so the sums of those tallies (per flag) plus the survey version make a
cheap "data version" for a unit and its sub-units. A province's year is then computed once per sync.

    cache = FiguresCache(maxsize=256)
    body = cache.get_or_compute(session, unit_ids, survey_hash, key, lambda: indices_for(...))
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlmodel import Session, col

from sync_server.models import TallyBallots

__all__ = ["FiguresCache", "data_version"]

T = TypeVar("T")


def data_version(session: Session, unit_ids: set[int]) -> tuple[int, int, int]:
    """(ballots counted, ballots flagged, tally cells) of these units: changes with every stored ballot."""
    row = session.execute(
        select(
            func.coalesce(func.sum(col(TallyBallots.count)).filter(col(TallyBallots.flagged).is_(False)), 0),
            func.coalesce(func.sum(col(TallyBallots.count)).filter(col(TallyBallots.flagged).is_(True)), 0),
            func.count(),
        ).where(col(TallyBallots.unit_id).in_(unit_ids))
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
