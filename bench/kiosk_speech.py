"""Speech figures: render time and folder size for the whole survey + a 9-officer roster, a roster
change's re-render, and tap → sound start (explore-by-touch) and key → sound start, p50/p95.

    .venv/bin/python bench/kiosk_speech.py [--taps 40] [--record docs/kiosk-speech-ballot.opus]

Sound goes to SDL's `disk` audio driver (44.1 kHz 16-bit stereo written in real time); the moment
a sound starts is the first non-zero sample after the file's length at the tap. A bare SoundLoader
play of the same clips, measured the same way in the same run, is the reference. `--record` also
takes one whole ballot with the keypad in audio mode (each reading heard to its end) and writes it as
Ogg/Opus (16 kHz mono) with its transcript beside it (`.md`).
"""

from __future__ import annotations

import argparse
import array
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

WORK = Path(tempfile.mkdtemp(prefix="kiosk-speech-bench-"))
DISK = WORK / "speaker.raw"
os.environ["SDL_AUDIODRIVER"] = "disk"
os.environ["SDL_DISKAUDIOFILE"] = str(DISK)
os.environ.setdefault("KIVY_HOME", str(WORK / "kivy"))
os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KCFG_KIVY_LOG_LEVEL", "warning")
os.environ.setdefault("LP_NUM_THREADS", "0")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kiosk.config import Officer, load_config  # noqa: E402
from kiosk.settings import KioskSettings  # noqa: E402
from kiosk.speech import SpeechLibrary, phrases_for  # noqa: E402
from kiosk.store import KioskStore  # noqa: E402
from surveys.loader import default_survey_path, load_survey  # noqa: E402

BPS = 44100 * 2 * 2
NAMES = (
    "Nguyễn Thị Lan",
    "Trần Văn Minh",
    "Lê Thị Hồng Nhung",
    "Tôn Nữ Thị Hoàng Phương Thảo",
    "Phạm Quốc Hùng",
    "Hoàng Thị Thu Hà",
    "Đặng Văn Dũng",
    "Vũ Thị Ngọc Ánh",
    "Bùi Đức Thắng",
)
TITLES = ("Công chức Tư pháp – Hộ tịch", "Công chức Địa chính – Xây dựng", "Công chức Văn hoá – Xã hội")


def officers(rename: dict[str, str] | None = None) -> list[Officer]:
    rename = rename or {}
    return [
        Officer(f"nv{i:02d}", rename.get(f"nv{i:02d}", n), TITLES[i % 3], str(1 + i % 4), None)
        for i, n in enumerate(NAMES, start=1)
    ]


def roster_csv(path: Path) -> Path:
    lines = ["id,name,title,counter,photo"] + [f"{o.id},{o.name},{o.title},{o.counter}," for o in officers()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def render_figures(folder: Path) -> None:
    survey = load_survey(default_survey_path())
    library = SpeechLibrary(folder)
    phrases = phrases_for(survey, officers())
    report = library.render(phrases)
    count = sum(len(p) for p in phrases.values())
    seconds = sum(_wav_seconds(p) for p in folder.glob("*/*.wav"))
    print(
        f"render: {count} phrases (vi + en: survey {survey.id} {survey.version} + 9 officers) in "
        f"{report.seconds:.1f} s on {os.cpu_count()} cores, {report.rendered} clips, "
        f"{library.size_bytes() / 1e6:.1f} MB, {seconds / 60:.1f} min of speech"
    )
    again = SpeechLibrary(folder).render(
        phrases_for(survey, officers({"nv04": "Tôn Nữ Thị Hoàng Phương Thảo Nguyên"}))
    )
    print(
        f"roster change (one officer renamed): {again.rendered} clips rendered, {again.kept} kept, "
        f"{again.removed} removed in {again.seconds:.2f} s"
    )
    SpeechLibrary(folder).render(phrases)  # back to the roster the kiosk uses below


def _wav_seconds(path: Path) -> float:
    import wave

    with wave.open(str(path)) as w:
        return w.getnframes() / w.getframerate()


# --- the speaker ------------------------------------------------------------------------------------


def size() -> int:
    return DISK.stat().st_size if DISK.exists() else 0


def first_sound(since: int, t_action: float, limit_s: float = 0.4) -> float | None:
    """Seconds from `t_action` (perf_counter) until the device file holds a sample louder than -54 dBFS
    after byte `since`, polled every millisecond (nothing else runs meanwhile: the tap's handler has
    already returned and SDL's audio thread mixes on its own)."""
    seen = since - since % 4
    end = t_action + limit_s
    with DISK.open("rb") as f:
        while time.perf_counter() < end:
            f.seek(seen)
            chunk = f.read()
            usable = len(chunk) // 4 * 4
            if usable:
                data = array.array("h", chunk[:usable])
                if any(abs(v) > 64 for v in data):
                    return time.perf_counter() - t_action
                seen += usable
            time.sleep(0.001)
    return None


def quiet(pump: Any, seconds: float = 0.25) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pump()


def summary(name: str, values: list[float]) -> str:
    ordered = sorted(values)
    if not ordered:
        return f"{name}: no samples"
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    p50, top = statistics.median(values) * 1000, ordered[-1] * 1000
    return f"{name}: n={len(values)} p50={p50:.0f} ms p95={p95 * 1000:.0f} ms max={top:.0f} ms"


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def start_app(home: Path, speech_folder: Path, roster: Path) -> Any:
    from kivy.base import EventLoop

    from kiosk.ui.app import KioskApp

    shutil.copytree(speech_folder, home / "speech")
    settings = KioskSettings.from_env(
        {}, home=home, config_file=roster, speech_prerender=False, cooldown_s=0.0, detail_items_per_ballot=3
    )
    store = KioskStore(settings.db_path)
    config = load_config(store, settings.home, settings.config_file)
    EventLoop.ensure_window()
    EventLoop.window.size = (1280, 800)
    app = KioskApp(settings, store, config)
    app._run_prepare()
    app.clock = Clock()
    for _ in range(30):
        EventLoop.idle()
    return app


def latency(app: Any, taps: int) -> None:
    from kivy.base import EventLoop
    from kivy.core.audio import SoundLoader
    from kivy.tests.common import UnitTestTouch

    pump = EventLoop.idle
    app.speech.start_audio()
    app.start_ballot()
    app.choose_staff("nv01")
    app.speech.stop()
    for _ in range(5):
        pump()
    quiet(pump, 0.4)
    screen = app.sm.current_screen
    taps_s: list[float] = []
    keys_s: list[float] = []
    bare_s: list[float] = []
    for i in range(taps):
        face = screen.ids.faces.children  # rows
        widget = next(w for row in face for w in row.children if getattr(w, "value", 0) == 1 + i % 5)
        touch = UnitTestTouch(*widget.to_window(*widget.center))
        app.clock.t += 1.0
        touch.touch_down()
        pump()
        app.clock.t += 0.1
        mark = size()
        t0 = time.perf_counter()
        touch.touch_up()
        found = first_sound(mark, t0)
        if found is not None:
            taps_s.append(found)
        app.speech.stop()
        quiet(pump)
        # key "." (read again) on the same screen
        app.clock.t += 1.0
        mark = size()
        t0 = time.perf_counter()
        app.root_window.dispatch("on_key_down", 266, 0, None, [])
        found = first_sound(mark, t0)
        app.root_window.dispatch("on_key_up", 266, 0)
        if found is not None:
            keys_s.append(found)
        app.speech.stop()
        quiet(pump)
        # bare reference: a clip already loaded, played straight from SoundLoader
        clip = app.speech.library.clip("vi", f"face.{1 + i % 5}")
        sound = SoundLoader.load(str(clip))
        mark = size()
        t0 = time.perf_counter()
        sound.play()
        found = first_sound(mark, t0)
        if found is not None:
            bare_s.append(found)
        sound.stop()
        sound.unload()
        quiet(pump)
    print(summary("tap → sound start (explore-by-touch, first tap on a face)", taps_s))
    print(summary('key "." → sound start (read the screen again)', keys_s))
    print(summary("bare SoundLoader.play() → sound start (reference)", bare_s))
    if bare_s and taps_s:
        print(f"ratio tap / bare (p50): {statistics.median(taps_s) / statistics.median(bare_s):.2f}")
    app.go_welcome()


def record(app: Any, out: Path) -> None:
    """One ballot with the keypad alone, each reading heard to its end; Opus file + transcript."""
    from kivy.base import EventLoop

    pump = EventLoop.idle
    speech = app.speech
    texts = {}
    from kiosk.speech.catalogue import catalogue, spoken

    texts = catalogue(app.config_.survey, app.config_.staff, "vi")
    speech.spoken.clear()
    start = size()
    log: list[str] = []

    def key(name: str, code: int) -> None:
        while speech.speaking:
            pump()
        quiet(pump, 0.4)
        app.clock.t += 1.0
        log.append(f"**[phím {name}]** ({app.sm.current})")
        before = len(speech.spoken)
        app.root_window.dispatch("on_key_down", code, 0, None, [])
        app.root_window.dispatch("on_key_up", code, 0)
        for _ in range(3):
            pump()
        while speech.speaking:
            pump()
        for phrase_id in speech.spoken[before:]:
            log.append(f"- `{phrase_id}`: {spoken(texts.get(phrase_id, phrase_id), 'vi')}")

    key("5", 261)  # any key: audio mode on
    key("Enter", 13)
    key("2", 258)  # the second officer
    key("4", 260)  # tong_the: Hài lòng
    key("2", 258)  # answer more
    for _ in range(6):
        name = app.sm.current
        if name == "rating":
            key("5", 261)
        elif name == "checklist":
            key("1", 257)
            key("9", 265)
        elif name == "choice":
            key("1", 257)
        else:
            break
    key("1", 257)  # quick comment 1
    key("Enter", 13)
    key("Enter", 13)  # contact: send without a number
    quiet(pump, 0.5)
    raw = WORK / "ballot.raw"
    with DISK.open("rb") as f:
        f.seek(start - start % 4)
        raw.write_bytes(f.read())
    wav = WORK / "ballot.wav"
    subprocess.run(
        [
            "sox",
            "-t",
            "raw",
            "-r",
            "44100",
            "-e",
            "signed",
            "-b",
            "16",
            "-c",
            "2",
            str(raw),
            "-r",
            "16000",
            "-c",
            "1",
            str(wav),
            "silence",
            "1",
            "0.05",
            "0.1%",
            "reverse",
            "silence",
            "1",
            "0.05",
            "0.1%",
            "reverse",
        ],
        check=True,
    )
    subprocess.run(["opusenc", "--quiet", "--bitrate", "24", str(wav), str(out)], check=True)
    stats = subprocess.run(["sox", str(wav), "-n", "stats"], capture_output=True, text=True).stderr
    transcript = out.with_suffix(".md")
    ballot = app.store.ballots()[-1]
    kb = out.stat().st_size // 1024
    words = ["cán bộ", "hài lòng", "Ông/Bà", "UBND", "Enter", *NAMES]
    phonemes = [f"| {w} | {spoken(w, 'vi')} | `{_phonemes(spoken(w, 'vi'))}` |" for w in words]
    transcript.write_text(
        "# One ballot with the keypad alone, in audio mode: what the kiosk said\n\n"
        f"Recording: `{out.name}` (SDL disk audio driver → 16 kHz mono Opus, {kb} KB), made by "
        "`bench/kiosk_speech.py --record`. "
        f"Stored ballot: officer `{ballot['staff_id']}`, answers `{ballot['answers']}`, comment "
        f"`{ballot['comment']}`. How it sounds, judged from the phonemes below: docs/decisions.md, "
        '"Speech, explore-by-touch and the keypad".\n\nEach key, then the phrases it made the kiosk say '
        "(phrase id: the text given to espeak-ng).\n\n"
        + "\n".join(log)
        + "\n\n## The plan's words as espeak-ng says them (`espeak-ng -v vi -x`)\n\n"
        + "| written | given to espeak-ng | phonemes (tone digit after the vowel) |\n|---|---|---|\n"
        + "\n".join(phonemes)
        + "\n\n## sox stats of the recording\n\n```\n"
        + stats.strip()
        + "\n```\n",
        encoding="utf-8",
    )
    print(f"recording: {out} ({out.stat().st_size // 1024} KB), transcript {transcript}")


def _phonemes(text: str) -> str:
    done = subprocess.run(["espeak-ng", "-v", "vi", "-q", "-x", text], capture_output=True, text=True)
    return " ".join(done.stdout.split())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--taps", type=int, default=40)
    parser.add_argument("--record", type=Path, default=None)
    args = parser.parse_args()
    try:
        folder = WORK / "speech"
        render_figures(folder)
        app = start_app(WORK / "home", folder, roster_csv(WORK / "staff.csv"))
        latency(app, args.taps)
        if args.record:
            record(app, args.record)
        app.dispatch("on_stop")
    finally:
        shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
