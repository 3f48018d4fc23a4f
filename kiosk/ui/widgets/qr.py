"""Phone-ballot QR codes on the kiosk: a QR drawn as a Kivy texture, the thank-you panel with a fresh
token, the welcome screen's button and pop-up, the hotline line and a small QR per office channel.

    QrCode(text="https://server/r/AQE…")      # any text; drawn sharp (nearest filter), quiet zone kept
    panel.refresh(staff_id="cb01")              # a fresh token each time it is shown, or hidden

The words are kept here (not in strings.py) so the phone-ballot feature stays in one place.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.factory import Factory
from kivy.graphics import Color, Rectangle
from kivy.graphics.texture import Texture
from kivy.properties import ListProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.modalview import ModalView
from kivy.uix.widget import Widget

from kiosk.phone_ballot import ballot_url, channel_link
from kiosk.store import StoreUnavailable
from surveys.ballot_token import qr_modules

__all__ = [
    "TEXT",
    "ChannelCodes",
    "PhoneBallotEntry",
    "PhoneBallotPanel",
    "PhoneBallotPopup",
    "QrCode",
    "say",
]

TEXT: dict[str, dict[str, str]] = {
    "phone_title": {"vi": "Đánh giá kín trên điện thoại của Ông/Bà", "en": "Rate privately on your phone"},
    "phone_hint": {
        "vi": "Quét mã bằng máy ảnh điện thoại. Mỗi mã chỉ dùng một lần, không ghi tên Ông/Bà.",
        "en": "Scan the code with your phone's camera. Each code works once and carries no name.",
    },
    "phone_button": {"vi": "Đánh giá kín trên điện thoại", "en": "Rate privately on your phone"},
    "close": {"vi": "Đóng", "en": "Close"},
    "hotline": {"vi": "Đường dây nóng: {value}", "en": "Hotline: {value}"},
    "feedback_box": {"vi": "Hòm thư góp ý: {value}", "en": "Feedback box: {value}"},
    "email": {"vi": "Thư điện tử", "en": "E-mail"},
    "zalo": {"vi": "Zalo", "en": "Zalo"},
    "facebook": {"vi": "Facebook", "en": "Facebook"},
    "hotline_qr": {"vi": "Gọi đường dây nóng", "en": "Call the hotline"},
}
POPUP_S = 120.0  # the welcome pop-up closes by itself: the next citizen sees the welcome screen


def say(key: str, lang: str, **values: object) -> str:
    """A phone-ballot phrase in `lang` (Vietnamese when missing), NFC."""
    entry = TEXT[key]
    text = entry.get(lang) or entry["vi"]
    return unicodedata.normalize("NFC", text.format(**values) if values else text)


def _app() -> Any:
    return App.get_running_app()


def hotline_text(lang: str) -> str:
    """ "Đường dây nóng: 0210 …" from the unit's configuration, or "" when it has none."""
    app = _app()
    channels = dict(getattr(getattr(app, "config_", None), "channels", ()) or ())
    return say("hotline", lang, value=channels["hotline"]) if channels.get("hotline") else ""


class QrCode(Widget):
    """A square QR code of `text` on white, as large as the widget's shorter side."""

    text = StringProperty("")

    def __init__(self, **kwargs: Any) -> None:
        self._texture: Texture | None = None
        super().__init__(**kwargs)
        self.bind(pos=self._draw, size=self._draw)

    def on_text(self, _widget: Widget, text: str) -> None:
        self._texture = None
        if text:
            modules = qr_modules(text)
            side = len(modules)
            # RGBA rows (4 bytes a module) keep every row aligned; rows go bottom-up in GL.
            data = b"".join(
                (b"\x00\x00\x00\xff" if dark else b"\xff\xff\xff\xff")
                for row in reversed(modules)
                for dark in row
            )
            texture = Texture.create(size=(side, side), colorfmt="rgba")
            texture.mag_filter = texture.min_filter = "nearest"
            texture.blit_buffer(data, colorfmt="rgba", bufferfmt="ubyte")
            self._texture = texture
        self._draw()

    def _draw(self, *_args: Any) -> None:
        self.canvas.clear()
        if self._texture is None:
            return
        side = min(self.width, self.height)
        with self.canvas:
            Color(1, 1, 1, 1)
            Rectangle(
                pos=(self.center_x - side / 2, self.center_y - side / 2),
                size=(side, side),
                texture=self._texture,
            )


class PhoneBallotPanel(BoxLayout):
    """The QR of a fresh `/r/<token>` URL with its caption; `url` is "" (and the panel empty) when the
    unit has phone ballots off, the kiosk is not enrolled, or its store cannot count a new token."""

    url = StringProperty("")

    def refresh(self, staff_id: str | None = None) -> None:
        app = _app()
        config = getattr(app, "config_", None)
        url = None
        if config is not None and config.web_ballots:
            try:
                url = ballot_url(app.store, staff_id=staff_id or app.bound_staff_id)
            except StoreUnavailable:
                url = None
        self.url = url or ""


class ChannelCodes(BoxLayout):
    """A small QR per office channel that a phone can open (hotline, e-mail, Zalo, Facebook)."""

    items = ListProperty([])  # [(caption, link)]

    def refresh(self, lang: str) -> None:
        config = getattr(_app(), "config_", None)
        items = []
        for name, value in getattr(config, "channels", ()) or ():
            link = channel_link(name, value)
            if link:
                items.append((say("hotline_qr" if name == "hotline" else name, lang), link))
        self.items = items
        self.clear_widgets()
        for caption, link in items:
            cell = Factory.ChannelCode()
            cell.caption, cell.link = caption, link
            self.add_widget(cell)


class PhoneBallotPopup(ModalView):
    """The welcome screen's pop-up: a fresh QR, the channels, and "Đóng"; it closes by itself."""

    def on_pre_open(self) -> None:
        self.ids.panel.refresh()
        self.ids.channels.refresh(_app().lang)
        self._timer = Clock.schedule_once(
            lambda _dt: self.dismiss(), POPUP_S / getattr(_app(), "time_scale", 1.0)
        )

    def on_dismiss(self) -> None:
        timer = getattr(self, "_timer", None)
        if timer is not None:
            timer.cancel()


class PhoneBallotEntry(BoxLayout):
    """On the welcome screen: the hotline line and the "Đánh giá kín trên điện thoại" button, shown
    only while the unit has phone ballots on and the kiosk is enrolled."""

    hotline = StringProperty("")
    shown = StringProperty("")  # "1" when the button is offered

    def on_kv_post(self, _base: Any) -> None:
        app = _app()
        if app is not None:
            app.bind(lang=self.refresh, sync_status=self.refresh, config_version=self.refresh)
        Clock.schedule_once(self.refresh, 0)

    def refresh(self, *_args: Any) -> None:
        app = _app()
        config = getattr(app, "config_", None)
        if app is None or config is None:
            return
        self.hotline = hotline_text(app.lang)
        enrolled = app.store.get("server_url") is not None if not app.store_fault else False
        self.shown = "1" if config.web_ballots and enrolled else ""

    def open_popup(self) -> None:
        PhoneBallotPopup().open()
