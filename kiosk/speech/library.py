"""The kiosk's clips on disk: rendered ahead of time with espeak-ng, or the office's own recordings.

Rendered clips live in `<folder>/<lang>/<phrase id>-<hash>.wav`, the hash taken from the voice and
the spoken text, so a new configuration re-renders only the phrases whose words changed and drops the
ones no longer used. A recording `<recordings>/<lang>/<phrase id>.wav` (or `.ogg`) wins over synthesis.

>>> library = SpeechLibrary(home / "speech")
>>> report = library.render({"vi": {"ui.start": "Bắt đầu đánh giá"}})
>>> report.rendered, library.clip("vi", "ui.start").suffix
(1, '.wav')
"""

from __future__ import annotations

import array
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import wave
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from kiosk.speech.catalogue import spoken

__all__ = ["ENGINE", "VOICES", "RenderReport", "SpeechLibrary", "SpeechUnavailable", "espeak_command"]

ENGINE = "espeak-ng"
# Voice and speed per language: a little slower than espeak-ng's 175 words a minute for the counter.
VOICES: dict[str, tuple[str, int]] = {"vi": ("vi", 145), "en": ("en-gb", 150)}
_RECORDING_SUFFIXES = (".wav", ".ogg", ".mp3")
_SAFE = re.compile(r"[^A-Za-z0-9_.-]")
# «…» marks words said in Vietnamese inside an English phrase (officers' names and titles).
_VI_SPAN = re.compile(r"«([^»]*)»")


class SpeechUnavailable(RuntimeError):
    """espeak-ng is missing or failed; the message says which phrase."""


@dataclass
class RenderReport:
    """What one render did: clips made, kept as they were, and removed as no longer used."""

    rendered: int = 0
    kept: int = 0
    removed: int = 0
    seconds: float = 0.0
    failed: list[str] = field(default_factory=list)
    rendered_ids: list[tuple[str, str]] = field(default_factory=list)


def espeak_command(lang: str, text: str, out: Path, engine: str = ENGINE) -> list[str]:
    """The espeak-ng call that renders `text` (already spoken form) in `lang` to the WAV file `out`."""
    voice, speed = VOICES.get(lang, VOICES["vi"])
    if _VI_SPAN.search(text):
        vi_voice, _ = VOICES["vi"]
        body = _VI_SPAN.sub(
            lambda m: f'<voice name="{vi_voice}">{_xml(m.group(1))}</voice>', _xml_outside(text)
        )
        return [engine, "-v", voice, "-s", str(speed), "-m", "-w", str(out), f"<speak>{body}</speak>"]
    return [engine, "-v", voice, "-s", str(speed), "-w", str(out), "--", text]


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _xml_outside(text: str) -> str:
    parts = _VI_SPAN.split(text)
    # split() keeps the captured spans at odd indexes: escape the rest, re-mark the spans for sub().
    return "".join(_xml(p) if i % 2 == 0 else f"«{p}»" for i, p in enumerate(parts))


def _trim_lead(path: Path, keep_s: float = 0.01, threshold: int = 48) -> None:
    """Cut espeak-ng's leading silence (50–70 ms) so a tap's sound starts at once; `keep_s` is left."""
    with wave.open(str(path), "rb") as src:
        params = src.getparams()
        frames = src.readframes(params.nframes)
    if params.sampwidth != 2 or params.nchannels != 1:
        return
    samples = array.array("h", frames)
    first = next((i for i, v in enumerate(samples) if abs(v) > threshold), 0)
    start = max(0, first - int(keep_s * params.framerate))
    if start <= 0:
        return
    with wave.open(str(path), "wb") as out:
        out.setparams(params)
        out.writeframes(samples[start:].tobytes())


def clip_hash(lang: str, text: str) -> str:
    """Twelve hex digits that change when the voice or the spoken words change."""
    voice, speed = VOICES.get(lang, VOICES["vi"])
    digest = hashlib.sha256(f"{ENGINE}|{voice}|{speed}|{spoken(text, lang)}".encode()).hexdigest()
    return digest[:12]


class SpeechLibrary:
    """Rendered clips under `folder`, recordings under `recordings` (default `<folder>/recordings`)."""

    def __init__(self, folder: Path, recordings: Path | None = None, *, engine: str = ENGINE) -> None:
        self.folder = Path(folder)
        self.recordings = Path(recordings) if recordings is not None else self.folder / "recordings"
        self.engine = engine
        self._index: dict[str, dict[str, str]] = self._read_index()

    # --- playing side -------------------------------------------------------------------------------

    def clip(self, lang: str, phrase_id: str) -> Path | None:
        """The file to play for `phrase_id` in `lang`: the office's recording, else the rendered clip."""
        for suffix in _RECORDING_SUFFIXES:
            recorded = self.recordings / lang / f"{phrase_id}{suffix}"
            if recorded.is_file():
                return recorded
        name = self._index.get(lang, {}).get(phrase_id)
        if name:
            path = self.folder / lang / name
            if path.is_file():
                return path
        return None

    def available(self) -> bool:
        """True when espeak-ng can be run."""
        return shutil.which(self.engine) is not None

    # --- rendering side -----------------------------------------------------------------------------

    def render(self, phrases: Mapping[str, Mapping[str, str]], *, jobs: int = 2) -> RenderReport:
        """Make sure every phrase has its clip; `phrases` is {lang: {phrase id: written text}}.

        Clips whose words did not change are kept; clips of phrases no longer listed are removed.
        """
        started = time.monotonic()
        report = RenderReport()
        todo: list[tuple[str, str, str, Path]] = []
        index: dict[str, dict[str, str]] = {}
        for lang, entries in phrases.items():
            folder = self.folder / lang
            folder.mkdir(parents=True, exist_ok=True)
            index[lang] = {}
            for phrase_id, text in entries.items():
                name = f"{_SAFE.sub('_', phrase_id)}-{clip_hash(lang, text)}.wav"
                index[lang][phrase_id] = name
                if (folder / name).is_file():
                    report.kept += 1
                else:
                    todo.append((lang, phrase_id, text, folder / name))
        if todo and not self.available():
            raise SpeechUnavailable(f"{self.engine} is not installed; {len(todo)} phrases have no audio")
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            for (lang, phrase_id, _text, _path), error in zip(
                todo, pool.map(self._render_one, todo), strict=True
            ):
                if error:
                    report.failed.append(f"{lang}/{phrase_id}: {error}")
                    index[lang].pop(phrase_id, None)
                else:
                    report.rendered += 1
                    report.rendered_ids.append((lang, phrase_id))
        for lang, names in index.items():
            wanted = set(names.values())
            for old in (self.folder / lang).glob("*.wav"):
                if old.name not in wanted:
                    old.unlink(missing_ok=True)
                    report.removed += 1
        self._index = index
        self._write_index(index)
        report.seconds = time.monotonic() - started
        return report

    def _render_one(self, job: tuple[str, str, str, Path]) -> str:
        lang, _phrase_id, text, path = job
        fd, tmp_name = tempfile.mkstemp(suffix=".wav", dir=path.parent)
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            done = subprocess.run(
                espeak_command(lang, spoken(text, lang), tmp, self.engine),
                capture_output=True,
                timeout=60,
                check=False,
            )
            if done.returncode != 0 or tmp.stat().st_size <= 44:
                return (
                    done.stderr.decode("utf-8", "replace").strip()[:200] or f"exit status {done.returncode}"
                )
            _trim_lead(tmp)
            tmp.replace(path)
            return ""
        except (OSError, subprocess.TimeoutExpired) as exc:
            return str(exc)
        finally:
            tmp.unlink(missing_ok=True)

    # --- the index ----------------------------------------------------------------------------------

    def _read_index(self) -> dict[str, dict[str, str]]:
        try:
            data = json.loads((self.folder / "index.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict):
            return {}
        return {
            str(k): {str(i): str(n) for i, n in v.items()} for k, v in data.items() if isinstance(v, dict)
        }

    def _write_index(self, index: dict[str, dict[str, str]]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / "index.json.tmp"
        tmp.write_text(json.dumps(index, ensure_ascii=False, indent=0, sort_keys=True), encoding="utf-8")
        tmp.replace(self.folder / "index.json")

    def size_bytes(self) -> int:
        """Bytes of rendered clips on disk."""
        return sum(p.stat().st_size for p in self.folder.glob("*/*.wav"))
