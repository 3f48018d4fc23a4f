"""The server's nightly job: gap and clock reports, expiry of enrolment codes and of phone numbers, hooks.

The only APScheduler import on the server. Several server processes may share one PostgreSQL
database; a PostgreSQL advisory lock makes exactly one of them run the job each night::

    report = run_nightly(engine, settings)          # None when another process holds the lock
    scheduler = NightlyScheduler(engine, settings); scheduler.start(); …; scheduler.shutdown()

The dashboard adds its own nightly work with ``register_nightly_hook("name", hook)``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import Engine, delete, func, select, text
from sqlmodel import Session, col

from .models import Device, EnrolmentCode, Response, ResponseQuarantine, ServerSetting, Unit, utcnow
from .settings import Settings

__all__ = [
    "CLOCK_DRIFT_WARN_S",
    "DEFAULT_NIGHTLY_CRON",
    "NIGHTLY_HOOKS",
    "REPORT_KEY",
    "NightlyContext",
    "NightlyHook",
    "NightlyScheduler",
    "clock_report",
    "expire_enrolment_codes",
    "gap_report",
    "last_report",
    "nightly_command",
    "nightly_contacts",
    "nightly_lock",
    "nightly_report_mail",
    "register_nightly_hook",
    "run_nightly",
]

log = logging.getLogger(__name__)

DEFAULT_NIGHTLY_CRON = "30 3 * * *"  # after the kiosks' 02:00 + 30 min jitter window
DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
# One 64-bit key for pg_try_advisory_lock: the first bytes of "ctt-nightly".
ADVISORY_KEY = 0x6374742D6E696768
REPORT_KEY = "nightly_report"
CLOCK_DRIFT_WARN_S = 300.0
MAX_RANGES_SHOWN = 20


@dataclass
class NightlyContext:
    """What a hook gets: the time the run started, the settings, and the report so far."""

    now: dt.datetime
    settings: Settings
    report: dict[str, Any] = field(default_factory=dict)


# A hook does its work in the given session (committed after it returns) and may return a summary
# that lands in the report under its name.
NightlyHook = Callable[[Session, NightlyContext], Any]
NIGHTLY_HOOKS: list[tuple[str, NightlyHook]] = []


def register_nightly_hook(name: str, hook: NightlyHook) -> None:
    """Run ``hook`` every night after the built-in steps; registering a name again replaces it."""
    for index, (existing, _) in enumerate(NIGHTLY_HOOKS):
        if existing == name:
            NIGHTLY_HOOKS[index] = (name, hook)
            return
    NIGHTLY_HOOKS.append((name, hook))


# --- the built-in steps ---------------------------------------------------------------------------


def expire_enrolment_codes(session: Session, now: dt.datetime) -> int:
    """Delete enrolment codes that expired unused; used codes stay as the record of an enrolment."""
    result = session.execute(
        delete(EnrolmentCode).where(col(EnrolmentCode.expires) < now, col(EnrolmentCode.used).is_(None))
    )
    return int(getattr(result, "rowcount", 0) or 0)


def gap_report(session: Session) -> list[dict[str, Any]]:
    """Per device with missing sequence numbers: which ``seq`` ranges never arrived.

    A gap is a ballot the device numbered but the server has not stored: still on the device, lost
    there, or rejected (quarantined items are counted beside it to tell these apart).
    """
    nxt = func.lead(col(Response.seq)).over(partition_by=col(Response.device_id), order_by=col(Response.seq))
    inner = select(
        col(Response.device_id).label("device_id"), col(Response.seq).label("seq"), nxt.label("next_seq")
    ).subquery()
    holes = session.execute(
        select(inner.c.device_id, inner.c.seq, inner.c.next_seq)
        .where(inner.c.next_seq - inner.c.seq > 1)
        .order_by(inner.c.device_id, inner.c.seq)
    ).all()
    firsts = session.execute(
        select(col(Response.device_id), func.min(Response.seq), func.count()).group_by(
            col(Response.device_id)
        )
    ).all()
    quarantined = dict(
        session.execute(
            select(col(ResponseQuarantine.device_id), func.count()).group_by(
                col(ResponseQuarantine.device_id)
            )
        ).all()
    )
    ranges: dict[str, list[tuple[int, int]]] = {}
    for device_id, first, _ in firsts:
        if first > 1:
            ranges.setdefault(device_id, []).append((1, int(first) - 1))
    for device_id, seq, next_seq in holes:
        ranges.setdefault(device_id, []).append((int(seq) + 1, int(next_seq) - 1))
    stored = {device_id: int(n) for device_id, _, n in firsts}
    devices = {d.id: d for d in session.scalars(select(Device).where(col(Device.id).in_(list(ranges))))}
    units = _unit_codes(session)
    report = []
    for device_id in sorted(ranges):
        spans = sorted(ranges[device_id])
        device = devices.get(device_id)
        report.append(
            {
                "device_id": device_id,
                "device_name": device.name if device else None,
                "unit": units.get(device.unit_id) if device else None,
                "stored": stored.get(device_id, 0),
                "missing": sum(hi - lo + 1 for lo, hi in spans),
                "quarantined": int(quarantined.get(device_id, 0)),
                "ranges": [[lo, hi] for lo, hi in spans[:MAX_RANGES_SHOWN]],
                "ranges_total": len(spans),
                "last_seen": _iso(device.last_seen) if device else None,
            }
        )
    return report


def clock_report(session: Session, now: dt.datetime) -> list[dict[str, Any]]:
    """Per device whose clock is off by more than 5 minutes, or that sent ``clock_suspect`` ballots."""
    suspect = dict(
        session.execute(
            select(col(Response.device_id), func.count())
            .where(col(Response.clock_suspect).is_(True))
            .group_by(col(Response.device_id))
        ).all()
    )
    units = _unit_codes(session)
    report = []
    for device in session.scalars(select(Device).order_by(col(Device.id))):
        offset = device.clock_offset_s
        drifting = offset is not None and abs(offset) > CLOCK_DRIFT_WARN_S
        count = int(suspect.get(device.id, 0))
        if not drifting and not count:
            continue
        report.append(
            {
                "device_id": device.id,
                "device_name": device.name,
                "unit": units.get(device.unit_id),
                "clock_offset_s": offset,
                "clock_suspect_ballots": count,
                "last_seen": _iso(device.last_seen),
                "silent_days": (now - device.last_seen).days if device.last_seen else None,
            }
        )
    return report


def _unit_codes(session: Session) -> dict[int | None, str]:
    return {u.id: u.code for u in session.scalars(select(Unit))}


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment is not None else None


# --- exactly one runner ---------------------------------------------------------------------------


@contextlib.contextmanager
def nightly_lock(engine: Engine, settings: Settings) -> Iterator[bool]:
    """Yield True when this process may run the nightly job, False when another one is running it.

    PostgreSQL: a session advisory lock on a dedicated connection (released when it closes, even
    if the process dies). SQLite: a file lock in the data folder (one machine by nature).
    """
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_KEY}).scalar())
            conn.commit()
            try:
                yield got
            finally:
                if got:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_KEY})
                    conn.commit()
        return
    path = Path(settings.data_dir) / "nightly.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def nightly_backup(session: Session, context: NightlyContext) -> str:
    """A dated backup into `SURVEY_BACKUP_DIR`, pruned by `SURVEY_BACKUP_KEEP`; its one-line summary."""
    from sync_server.backup import backup_into_rotation

    folder = context.settings.backup_dir
    assert folder is not None
    stamp = context.now.astimezone().replace(tzinfo=None)
    report = backup_into_rotation(context.settings.database_url, folder, context.settings.backup_keep, stamp)
    return report.summary()


def nightly_contacts(session: Session, context: NightlyContext) -> dict[str, int]:
    """Erase consented phone numbers older than `SURVEY_CONTACT_RETENTION_DAYS` (before the backup)."""
    from sync_server.contacts import erase_expired_contacts, scrub_sqlite

    days = context.settings.contact_retention_days
    erased = erase_expired_contacts(session, context.now, days)
    session.commit()
    scrub_sqlite(session.get_bind().engine)
    return {"days": days, "ballots": erased.ballots, "audit": erased.audit}


def nightly_report_mail(session: Session, context: NightlyContext) -> dict[str, list[str]]:
    """E-mail closed periods' reports to the units' chosen recipients (failures retried next night)."""
    from sync_server.mail import SETTING_KEY, env_settings
    from sync_server.reports.mailing import send_closed_reports

    stored = session.get(ServerSetting, SETTING_KEY)
    smtp = env_settings(stored.value if stored else None)
    return send_closed_reports(session, context.now, smtp, min_sample=context.settings.min_sample)


def run_nightly(engine: Engine, settings: Settings, now: dt.datetime | None = None) -> dict[str, Any] | None:
    """Run every nightly step once and save the report; None when another process is running it.

    Each step commits on its own, so one failing hook does not undo the others; its error is kept in
    the report under ``errors``.
    """
    moment = now or utcnow()
    with nightly_lock(engine, settings) as got:
        if not got:
            log.info("nightly job skipped: another server process is running it")
            return None
        context = NightlyContext(now=moment, settings=settings)
        report = context.report
        report["started_at"] = _iso(moment)
        report["errors"] = {}
        steps: list[tuple[str, NightlyHook]] = [
            ("expired_codes", lambda s, c: expire_enrolment_codes(s, c.now)),
            ("gaps", lambda s, c: gap_report(s)),
            ("clock", lambda s, c: clock_report(s, c.now)),
            ("contacts", nightly_contacts),  # before the backup, which must not keep old numbers
            ("report_mail", nightly_report_mail),
            *([("backup", nightly_backup)] if settings.backup_dir else []),
            *NIGHTLY_HOOKS,
        ]
        for name, step in steps:
            try:
                with Session(engine) as session:
                    result = step(session, context)
                    session.commit()
                report[name] = result
            except Exception as exc:  # one step's failure is reported, the others still run
                log.exception("nightly step %s failed", name)
                report["errors"][name] = f"{type(exc).__name__}: {exc}"
        report["finished_at"] = _iso(utcnow())
        _save_report(engine, report)
        log.info(
            "nightly job done: %s expired codes, %d devices with gaps, %d clock warnings",
            report.get("expired_codes"),
            len(report.get("gaps") or []),
            len(report.get("clock") or []),
        )
        return report


def _save_report(engine: Engine, report: dict[str, Any]) -> None:
    payload = json.dumps(report, ensure_ascii=False, default=str)
    with Session(engine) as session:
        row = session.get(ServerSetting, REPORT_KEY)
        if row is None:
            session.add(ServerSetting(key=REPORT_KEY, value=payload))
        else:
            row.value = payload
        session.commit()


def last_report(engine: Engine) -> dict[str, Any] | None:
    """The report of the most recent nightly run (for the dashboard), or None before the first."""
    with Session(engine) as session:
        row = session.get(ServerSetting, REPORT_KEY)
    if row is None:
        return None
    data = json.loads(row.value)
    return data if isinstance(data, dict) else None


# --- the scheduler inside `survey-server serve` ---------------------------------------------------


class NightlyScheduler:
    """Runs ``run_nightly`` at ``cron`` (server time zone) in a background thread of ``serve``."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        *,
        cron: str = DEFAULT_NIGHTLY_CRON,
        timezone: str = DEFAULT_TIMEZONE,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.trigger = CronTrigger.from_crontab(cron, timezone=ZoneInfo(timezone))
        self._scheduler = BackgroundScheduler(
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 6 * 3600}
        )

    def start(self) -> None:
        self._scheduler.add_job(self._run, self.trigger, id="nightly", replace_existing=True)
        self._scheduler.start()

    def shutdown(self, wait: bool = False) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=wait)

    @property
    def next_run(self) -> dt.datetime | None:
        job = self._scheduler.get_job("nightly")
        return job.next_run_time if job is not None else None

    def _run(self) -> None:
        try:
            run_nightly(self.engine, self.settings)
        except Exception:  # the server keeps serving; tomorrow's run tries again
            log.exception("nightly job failed")


# --- `survey-server nightly` ----------------------------------------------------------------------


def nightly_command() -> None:
    """Run the nightly job once now (for cron); does nothing if another server process is running it."""
    import typer

    from sync_server.cli_support import open_engine

    settings = Settings.from_env()
    engine = open_engine(settings)
    try:
        report = run_nightly(engine, settings)
    finally:
        engine.dispose()
    if report is None:
        typer.echo("Another server process is running the nightly job; nothing done.")
        return
    gaps = report.get("gaps") or []
    clock = report.get("clock") or []
    typer.echo(f"Expired enrolment codes deleted: {report.get('expired_codes', 0)}")
    typer.echo(f"Devices with missing ballots: {len(gaps)}")
    for gap in gaps[:MAX_RANGES_SHOWN]:
        spans = ", ".join(f"{lo}–{hi}" if lo != hi else str(lo) for lo, hi in gap["ranges"])
        typer.echo(
            f"  {gap['unit']} {gap['device_name'] or gap['device_id']}: {gap['missing']} missing ({spans})"
        )
    typer.echo(f"Devices with clock problems: {len(clock)}")
    for item in clock[:MAX_RANGES_SHOWN]:
        offset = item["clock_offset_s"]
        shown = f"{offset:+.0f} s" if offset is not None else "unknown"
        typer.echo(
            f"  {item['unit']} {item['device_name'] or item['device_id']}: offset {shown},"
            f" {item['clock_suspect_ballots']} clock-suspect ballots"
        )
    contacts = report.get("contacts") or {}
    if contacts:
        typer.echo(
            f"Phone numbers older than {contacts['days']} days erased: {contacts['ballots']} ballots,"
            f" {contacts['audit']} audit copies"
        )
    mail = report.get("report_mail") or {}
    for label in mail.get("sent", []):
        typer.echo(f"Report e-mailed: {label}")
    for label in mail.get("failed", []):
        typer.echo(f"Report not sent (retried tomorrow): {label}")
    if report.get("backup"):
        typer.echo(str(report["backup"]))
    for name, error in (report.get("errors") or {}).items():
        typer.echo(f"Step {name} failed: {error}", err=True)
    if report.get("errors"):
        raise typer.Exit(1)
