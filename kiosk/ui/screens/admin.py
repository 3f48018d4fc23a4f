"""The counter admin screen (behind the hidden gesture and the PIN): status, sync, device settings."""

from __future__ import annotations

from typing import Any

from kivy.clock import Clock
from kivy.properties import ListProperty, NumericProperty, StringProperty

from kiosk.store import StoreUnavailable
from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.strings import tr

__all__ = ["AdminScreen"]


class AdminScreen(KioskScreen):
    """Everything is read again from the store each time the screen is prepared."""

    status_text = StringProperty("")
    action_text = StringProperty("")
    staff_values = ListProperty([])
    bound_text = StringProperty("")
    default_lang = StringProperty("vi")
    mode = StringProperty("kiosk")
    speech_volume = NumericProperty(0.8)  # the audio mode's volume for each new citizen

    def prepare(self) -> None:
        """Refresh the status area and the settings' current values."""
        app = self.kiosk
        lang = app.lang
        self.speech_volume = app.speech_volume
        never, none = tr("admin_never", lang), tr("admin_none", lang)
        lines: list[str] = []
        try:
            counts = app.store.counts_by_status()
            info = app.sync_hook.describe() if app.sync_hook else {}
            lost = int(app.store.get("ledger_lost") or 0)
        except StoreUnavailable as exc:
            app.store_fault = str(exc)
            counts, info, lost = {}, {}, 0
        lines.append(
            tr(
                "admin_counts",
                lang,
                pending=counts.get("pending", 0),
                synced=counts.get("synced", 0),
                conflict=counts.get("conflict", 0),
                rejected=counts.get("rejected", 0),
            )
        )
        if lost:
            lines.append(tr("admin_lost", lang, lost=lost))
        lines.append(tr("admin_last_sync", lang, when=info.get("last_sync") or never))
        lines.append(tr("admin_last_error", lang, error=info.get("last_error") or none))
        lines.append(tr("admin_config", lang, version=app.config_.config_version))
        lines.append(
            tr("admin_device", lang, server=info.get("server") or none, name=info.get("name") or none)
        )
        if app.config_.warning:
            lines.append(app.config_.warning)
        if app._pending_config is not None:
            lines.append(tr("admin_config_pending", lang))
        if app.store_fault:
            lines.append(tr("admin_store_fault", lang, error=app.store_fault))
        else:
            lines.append(tr("admin_store_ok", lang))
        if app.sync_status:
            lines.append(app.sync_status)
        self.status_text = "\n".join(lines)
        self.staff_values = [tr("admin_bound_none", lang)] + [f"{o.name} ({o.id})" for o in app.config_.staff]
        self.default_lang = app.default_lang
        self.mode = app.mode
        bound = app.bound_staff_id
        self.bound_text = next(
            (f"{o.name} ({o.id})" for o in app.config_.staff if o.id == bound), tr("admin_bound_none", lang)
        )

    def choose_bound(self, text: str) -> None:
        if text == self.bound_text:
            return
        staff_id = next((o.id for o in self.kiosk.config_.staff if f"{o.name} ({o.id})" == text), None)
        self.kiosk.set_setting("bound_staff_id", staff_id)

    def sync_now(self) -> None:
        lang = self.kiosk.lang
        self.action_text = tr("admin_working", lang)
        self.kiosk.sync_hook.sync_now(self._done, tr("admin_no_sync", lang))

    def enrol(self) -> None:
        lang = self.kiosk.lang
        server, code = self.ids.server.text.strip(), self.ids.code.text.strip()
        name = self.ids.device_name.text.strip()
        if not server or not code:
            self.action_text = f"{tr('admin_server_url', lang)} / {tr('admin_code', lang)}?"
            return
        self.action_text = tr("admin_working", lang)
        self.kiosk.sync_hook.enrol(server, code, name, self._done, tr("admin_no_sync", lang))

    def _done(self, message: str) -> None:
        # Called on the sync thread: hop to the Kivy thread before touching widgets.
        def apply(_dt: float) -> None:
            self.action_text = message
            if self.manager is not None and self.manager.current == self.name:
                self.prepare()

        Clock.schedule_once(apply, 0)

    def on_leave(self, *args: Any) -> None:
        self.ids.code.text = ""
        self.action_text = ""
