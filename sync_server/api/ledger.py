"""`GET /api/v1/device/ledger`: what the server holds of the calling device (sync-protocol.md, Ledger)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request
from pydantic import BaseModel

from sync_server.api.deps import DeviceDep, SessionDep
from sync_server.db import write_session
from sync_server.ledger import device_ledger
from sync_server.models import Device, ErrorBody

__all__ = ["LedgerReply", "router"]

router = APIRouter(prefix="/api/v1/device", tags=["devices"])


class LedgerReply(BaseModel):
    device_id: str
    stored_count: int
    max_seq: int | None
    missing: list[list[int]]
    truncated: bool


@router.get(
    "/ledger",
    response_model=LedgerReply,
    responses={401: {"model": ErrorBody}},
    summary="What the server holds of this device: count, highest seq, missing seq ranges",
)
def ledger(
    request: Request,
    device: DeviceDep,
    session: SessionDep,
    x_device_lost: Annotated[
        str | None, Header(description="Ballots neither side holds, as counted by the device")
    ] = None,
) -> LedgerReply:
    """The device compares it with its store after every sync and re-sends what the server lacks."""
    reply = LedgerReply(**device_ledger(session, device.id))
    session.rollback()
    lost = _count(x_device_lost)
    if lost is not None and lost != device.ballots_lost:
        with write_session(request.app.state.engine) as writer:
            row = writer.get(Device, device.id)
            if row is not None:
                row.ballots_lost = lost
                writer.commit()
    return reply


def _count(raw: str | None) -> int | None:
    """A header's count, or None when absent or not a small whole number (ignored, never an error)."""
    if raw is None or not raw.strip().isdigit() or len(raw.strip()) > 12:
        return None
    return int(raw.strip())
