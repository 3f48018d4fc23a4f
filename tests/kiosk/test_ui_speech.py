"""A blind citizen completes a ballot alone: the keypad and the kiosk's voice, in a real headless window.

Sound goes through Kivy's SDL2 mixer to SDL's `disk` audio driver, which writes what a speaker would
play (44.1 kHz, 16-bit stereo, in real time) to a file; the tests read that file to hear the kiosk.
Clips are rendered once per module with espeak-ng (Vietnamese only: a few seconds).
"""

from __future__ import annotations

import array
import atexit
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# SDL reads these when Kivy's audio first starts (the first clip played in this process).
_DISK = Path(tempfile.gettempdir()) / f"kiosk-speech-test-{os.getpid()}.raw"
os.environ["SDL_AUDIODRIVER"] = "disk"
os.environ["SDL_DISKAUDIOFILE"] = str(_DISK)
# The driver writes 176 kB a second for as long as the process lives: gone when it ends.
atexit.register(lambda: _DISK.unlink(missing_ok=True))

from kiosk.config import Officer  # noqa: E402
from kiosk.speech import SpeechLibrary, phrases_for  # noqa: E402
from kiosk.speech.catalogue import catalogue  # noqa: E402
from kiosk.ui.keys import action_for  # noqa: E402
from surveys.loader import default_survey_path, load_survey  # noqa: E402
from tests.kiosk.conftest import Kiosk  # noqa: E402

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")

BYTES_PER_S = 44100 * 2 * 2
KEYS = {"enter": 13, "back": 8, ".": 46, "+": 270, "-": 269, "up": 273, "down": 274}
NINE = [
    "Nguyễn Thị Lan",
    "Trần Văn Minh",
    "Lê Thị Hồng Nhung",
    "Tôn Nữ Thị Hoàng Phương Thảo",
    "Phạm Quốc Hùng",
    "Hoàng Thị Thu Hà",
    "Đặng Văn Dũng",
    "Vũ Thị Ngọc Ánh",
    "Bùi Đức Thắng",
]


_TITLES = ("Công chức Tư pháp – Hộ tịch", "Công chức Địa chính – Xây dựng", "Công chức Văn hoá – Xã hội")


def _nine_officers(**renamed: str) -> list[Officer]:
    """Nine officers; the first three are the UI tests' roster (tests/kiosk/conftest.py), word for word."""
    return [
        Officer(f"nv{i:02d}", renamed.get(f"nv{i:02d}", name), _TITLES[(i - 1) % 3], str(i), None)
        for i, name in enumerate(NINE, start=1)
    ]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every clip of the default survey and a nine-officer roster (vi and en), rendered once per module."""
    folder = tmp_path_factory.mktemp("speech") / "speech"
    report = SpeechLibrary(folder).render(phrases_for(load_survey(default_survey_path()), _nine_officers()))
    assert not report.failed
    return folder


@pytest.fixture
def speaking_kiosk(
    make_kiosk: Callable[..., Kiosk], rendered: Path, tmp_path: Path
) -> Iterator[Callable[..., Kiosk]]:
    def start(**overrides: Any) -> Kiosk:
        shutil.copytree(rendered, tmp_path / "home" / "speech")
        overrides.setdefault("size", (1280, 800))
        return make_kiosk(**overrides)

    yield start


# --- hearing the disk driver ------------------------------------------------------------------------


class Speaker:
    """What the SDL disk driver wrote: `mark()` now, `heard(mark)` the peak level since."""

    def mark(self) -> int:
        return _DISK.stat().st_size if _DISK.exists() else 0

    def samples(self, since: int) -> array.array[int]:
        with _DISK.open("rb") as f:
            f.seek(since - since % 4)
            data = f.read()
        return array.array("h", data[: len(data) // 2 * 2])

    def peak(self, since: int) -> int:
        samples = self.samples(since)
        return max((abs(v) for v in samples), default=0)


def _listen(kiosk: Kiosk, seconds: float = 0.45) -> None:
    """Let real time pass (the disk driver writes in real time) while Kivy's clock runs."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        kiosk.loop.idle()


def _key(kiosk: Kiosk, name: str, *, after_s: float = 1.0, up: bool = True) -> None:
    """A key of the USB keypad: down (and up), as SDL hands it to the window."""
    window = kiosk.app.root_window
    code = KEYS.get(name) or (256 + int(name) if name.isdigit() else ord(name))
    kiosk.pump(1)
    kiosk.clock.advance(after_s)
    window.dispatch("on_key_down", code, 0, name if len(name) == 1 else None, [])
    kiosk.pump(1)
    if up:
        window.dispatch("on_key_up", code, 0)
        kiosk.pump(1)


def _start_audio_output(rendered: Path) -> None:
    """Open the SDL audio device (SDL2 mixer opens it at the first clip loaded), so silence is written."""
    from kivy.core.audio import SoundLoader

    SoundLoader.load(str(next(rendered.glob("vi/*.wav"))))


# --- the tests ---------------------------------------------------------------------------------------


def test_a_ballot_with_the_keypad_alone_in_audio_mode_stores_what_was_pressed(
    speaking_kiosk: Callable[..., Kiosk],
) -> None:
    kiosk = speaking_kiosk(detail_items_per_ballot=3)
    app = kiosk.app
    speaker = Speaker()
    expected: dict[str, Any] = {}

    def press(name: str, *, what: str) -> None:
        mark = speaker.mark()
        _key(kiosk, name)
        _listen(kiosk)
        assert speaker.peak(mark) > 1000, f"silence after key {name!r} ({what}, screen {kiosk.screen})"

    press("7", what="any key: audio mode on")
    assert app.speech.on and kiosk.screen == "welcome"
    assert app.speech.spoken[-1] == "ui.greeting" or "say.audio_on" in app.speech.spoken
    press("enter", what="start")
    assert kiosk.screen == "staff"
    press("2", what="the second officer")
    assert (kiosk.screen, kiosk.question_id()) == ("rating", "tong_the")
    press("4", what="tong_the = 4")
    expected["tong_the"] = 4
    assert kiosk.screen == "offer"
    press("2", what="answer more")
    steps = 0
    while kiosk.screen in ("rating", "checklist", "choice") and steps < 10:
        steps += 1
        screen = app.sm.current_screen
        qid = screen.question_id
        if kiosk.screen == "rating":
            press("5", what=qid)
            expected[qid] = 5
        elif kiosk.screen == "checklist":
            rows = list(reversed(screen.ids.options.children))
            press("down", what="first item heard")
            press("enter", what="first item ticked")
            press("down", what="second item heard")
            press("9", what="continue")
            expected[qid] = [rows[0].option_id]
        else:
            press("1", what=qid)
            expected[qid] = app.config_.survey.question(qid).options[0].id
    assert kiosk.screen == "comment"
    press("1", what="quick comment 1")
    press("enter", what="comment done")
    assert kiosk.screen == "contact"
    press("enter", what="send without a number")
    assert kiosk.screen == "thanks"
    [ballot] = kiosk.ballots()
    assert ballot["staff_id"] == "nv02"
    assert ballot["answers"] == expected
    assert ballot["comment"] == "Cán bộ rất tận tình"
    # The thank-you is read, then the next citizen starts with the audio mode off and the default volume.
    assert "ui.thanks" in app.speech.spoken
    press("+", what="louder")
    assert app.speech.volume > app.speech.default_volume
    app.thanks_done()
    assert kiosk.screen == "welcome" and not app.speech.on
    assert app.speech.volume == app.speech.default_volume


def test_the_kiosk_is_silent_when_the_audio_mode_is_off(
    speaking_kiosk: Callable[..., Kiosk], rendered: Path
) -> None:
    _start_audio_output(rendered)
    kiosk = speaking_kiosk(detail_items_per_ballot=0)
    speaker = Speaker()
    mark = speaker.mark()
    kiosk.tap("start")
    kiosk.tap("staff_nv01")
    kiosk.tap("face_3")
    _listen(kiosk, 0.6)
    assert speaker.mark() - mark > BYTES_PER_S // 4  # the device was playing ...
    assert speaker.peak(mark) == 0  # ... silence
    assert kiosk.app.speech.spoken == []


def test_explore_by_touch_speaks_first_and_a_second_tap_chooses(speaking_kiosk: Callable[..., Kiosk]) -> None:
    from tests.kiosk.test_ui_integrity import _at, _taps

    kiosk = speaking_kiosk(detail_items_per_ballot=1)
    app = kiosk.app
    kiosk.tap("audio")
    assert app.speech.on
    kiosk.tap("start")  # in audio mode every target speaks first: "Bắt đầu đánh giá"
    assert kiosk.screen == "welcome" and app.speech.spoken[-1] == "ui.start"
    kiosk.tap("start")
    assert kiosk.screen == "staff"
    kiosk.tap("staff_nv03")  # one tap: her name is read, nothing chosen
    assert kiosk.screen == "staff" and app.speech.spoken[-1] == "staff.nv03"
    kiosk.touch(kiosk.widget("staff_nv03"), after_s=0.8)  # the second tap chooses her
    assert (kiosk.screen, kiosk.question_id()) == ("rating", "tong_the")
    assert app.session is not None and app.session.flow.staff_id == "nv03"
    # A bounce of the finger (50 ms) on a face only speaks it ...
    _taps(kiosk, _at(kiosk.widget("face_4")), 2, gap_s=0.05)
    assert kiosk.screen == "rating" and app.speech.spoken[-1] == "face.4"
    assert kiosk.ballots() == []
    # ... a deliberate double tap (250 ms) chooses it, though it is within the 0.5 s repeat delay,
    # and a third tap 50 ms later lands on the next screen before it settles: ignored.
    _taps(kiosk, _at(kiosk.widget("face_4")), 3, gap_s=0.25, after_s=1.0)
    [ballot] = kiosk.ballots()
    assert ballot["answers"] == {"tong_the": 4}
    assert kiosk.screen == "offer"


def test_a_held_key_or_a_double_press_answers_once(speaking_kiosk: Callable[..., Kiosk]) -> None:
    kiosk = speaking_kiosk(detail_items_per_ballot=2)
    app = kiosk.app
    _key(kiosk, "1")  # audio mode on
    _key(kiosk, "enter")
    _key(kiosk, "0")  # "Không rõ cán bộ"
    assert (kiosk.screen, kiosk.question_id()) == ("rating", "tong_the")
    _key(kiosk, "5", up=False)
    for _ in range(5):  # the keypad's own auto-repeat while the key is held
        _key(kiosk, "5", after_s=0.05, up=False)
    kiosk.app.root_window.dispatch("on_key_up", 261, 0)
    assert kiosk.screen == "offer"
    _key(kiosk, "2")
    first = kiosk.question_id()
    _key(kiosk, "3")
    _key(kiosk, "3", after_s=0.2)  # pressed again within the repeat delay: one press
    [ballot] = kiosk.ballots()
    assert ballot["answers"] == {"tong_the": 5, first: 3}
    _key(kiosk, "back", after_s=1.0)
    assert kiosk.question_id() == first
    assert app.speech.on


def test_every_phrase_of_the_survey_and_a_nine_officer_roster_has_audio(rendered: Path) -> None:
    survey = load_survey(default_survey_path())
    library = SpeechLibrary(rendered)
    phrases = phrases_for(survey, _nine_officers())
    assert sum(len(p) for p in phrases.values()) == len(list(rendered.glob("*/*.wav")))
    for lang, entries in phrases.items():
        for phrase_id in entries:
            clip = library.clip(lang, phrase_id)
            assert clip is not None, f"{lang}/{phrase_id} has no clip"
            length, rms_db = _sox_stats(clip)
            assert length > 0.2, f"{lang}/{phrase_id}: {length} s"
            assert rms_db > -40, f"{lang}/{phrase_id} is silence ({rms_db} dB)"


def _sox_stats(path: Path) -> tuple[float, float]:
    out = subprocess.run(["sox", str(path), "-n", "stats"], capture_output=True, text=True, check=True).stderr
    stats = dict(line.rsplit(None, 1) for line in out.splitlines() if line.strip())
    return float(stats["Length s"]), float(stats["RMS lev dB"])


def test_a_roster_change_renders_only_the_officer_who_changed(rendered: Path, tmp_path: Path) -> None:
    survey = load_survey(default_survey_path())
    folder = tmp_path / "speech"
    shutil.copytree(rendered, folder)
    before = {p.relative_to(folder): p.stat().st_mtime_ns for p in folder.glob("*/*.wav")}
    officers = _nine_officers(nv04="Tôn Nữ Thị Hoàng Phương Thảo Nguyên")[:8]  # renamed; nv09 left
    again = SpeechLibrary(folder).render(phrases_for(survey, officers))
    assert sorted(again.rendered_ids) == [("en", "staff.nv04"), ("vi", "staff.nv04")]
    assert again.removed == 4  # nv04's old clips and nv09's, in both languages
    assert again.kept == len(before) - 4
    after = {p.relative_to(folder): p.stat().st_mtime_ns for p in folder.glob("*/*.wav")}
    assert {n: t for n, t in after.items() if n in before} == {n: before[n] for n in after if n in before}
    assert SpeechLibrary(folder).clip("vi", "staff.nv09") is None


def test_an_office_recording_wins_over_synthesis(tmp_path: Path) -> None:
    library = SpeechLibrary(tmp_path / "speech", tmp_path / "recordings")
    library.render({"vi": {"ui.start": "Bắt đầu đánh giá"}})
    assert library.clip("vi", "ui.start") is not None and library.clip("vi", "ui.start").parent.name == "vi"
    own = tmp_path / "recordings" / "vi" / "ui.start.wav"
    own.parent.mkdir(parents=True)
    shutil.copy(library.clip("vi", "ui.start"), own)
    assert library.clip("vi", "ui.start") == own


def test_keys_and_phrases_cover_every_screen_word() -> None:
    survey = load_survey(default_survey_path())
    phrases = catalogue(survey, _nine_officers(), "vi")
    assert phrases["face.4"] == "Hài lòng, mức 4 trên 5"
    assert phrases["staff.nv01"] == "Nguyễn Thị Lan, Công chức Tư pháp – Hộ tịch, Quầy 1"
    assert all(f"q.{q.id}" in phrases for q in survey.questions)
    assert [action_for(k) for k in (256, 261, 53, 271, 8, 266, 270, 269)] == [
        "0",
        "5",
        "5",
        "enter",
        "back",
        "repeat",
        "louder",
        "softer",
    ]


def test_the_citizen_turns_the_volume_up_from_the_administrators_level_and_the_next_one_starts_there(
    speaking_kiosk: Callable[..., Kiosk],
) -> None:
    kiosk = speaking_kiosk()
    app = kiosk.app
    app.set_setting("speech_volume", "0.4")
    app.go_welcome()
    speaker = Speaker()
    _key(kiosk, "1")  # audio mode on, at the administrator's 40 %
    assert app.speech.volume == 0.4
    mark = speaker.mark()
    _key(kiosk, ".")
    _listen(kiosk, 0.6)
    soft = speaker.peak(mark)
    for _ in range(4):
        _key(kiosk, "+")
    assert app.speech.volume == 1.0
    mark = speaker.mark()
    _key(kiosk, ".")
    _listen(kiosk, 0.6)
    loud = speaker.peak(mark)
    assert soft > 500 and loud > soft * 1.8, (soft, loud)
    app.go_welcome()
    assert (app.speech.on, app.speech.volume) == (False, 0.4)


def test_listening_is_not_walking_away(speaking_kiosk: Callable[..., Kiosk]) -> None:
    kiosk = speaking_kiosk(idle_timeout_s=1.5)
    app = kiosk.app
    _key(kiosk, "1")
    _key(kiosk, "enter")
    assert kiosk.screen == "staff"
    _listen(kiosk, 3.0)  # the officers are still being read: no "Ông/Bà có cần thêm thời gian không?"
    assert kiosk.screen == "staff" and app.speech.speaking
    app.speech.stop()  # the reading is over; now the idle time runs
    kiosk.wait_for(lambda: kiosk.screen == "still_there", "the idle warning", limit_s=10)
