"""Spoken "payment received" announcements, as Vietnamese payment sound boxes make them.

``announcement(250_000)`` -> ``"Đã nhận hai trăm năm mươi nghìn đồng"`` (core's amount in words).
``Speaker`` turns it into a WAV with ``espeak-ng`` and its Vietnamese voice when that program is
installed (``Speaker(command=...)`` names another program or path; one that does not exist means "no
speech", and the merchant display then plays a chime and shows a banner instead).

Bounded: at most ``cache_size`` WAVs (and ``max_cache_bytes``) are kept (least recently used goes
first), one synthesis runs at a time, each is given ``timeout`` seconds and its output is capped.
"""

from __future__ import annotations

import io
import logging
import shutil
import subprocess
import threading
import wave
from collections import OrderedDict

from payer_app.core.amount_words import vietnamese_words

log = logging.getLogger(__name__)

DEFAULT_COMMAND = "espeak-ng"
DEFAULT_VOICE = "vi"
MAX_WAV_BYTES = 4 * 1024 * 1024  # an announcement is about 100 kB; anything far larger is refused


def announcement(amount: int) -> str:
    """What the sound box says for an approved amount (Vietnamese, lower case after "Đã nhận")."""
    words = vietnamese_words(amount)
    return f"Đã nhận {words[0].lower()}{words[1:]}"


class Speaker:
    def __init__(self, command: str = DEFAULT_COMMAND, voice: str = DEFAULT_VOICE, *, cache_size: int = 64,
                 max_cache_bytes: int = 16 * 1024 * 1024, timeout: float = 10.0):
        self.command = command
        self.voice = voice
        self.cache_size = cache_size
        self.max_cache_bytes = max_cache_bytes
        self.timeout = timeout
        self._program = shutil.which(command)
        self._cache: OrderedDict[str, bytes] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._synth_lock = threading.Lock()

    @property
    def available(self) -> bool:
        """Whether the speech program was found when this speaker was made."""
        return self._program is not None

    @property
    def description(self) -> str:
        """One line for the operator: whether approvals are spoken."""
        if self._program is None:
            return f"approvals chimed: {self.command} is not installed (apt-get install espeak-ng to hear them spoken)"
        return f"approvals spoken by {self.command} ({self.voice})"

    def cached(self, text: str) -> bytes | None:
        with self._cache_lock:
            data = self._cache.get(text)
            if data is not None:
                self._cache.move_to_end(text)
            return data

    def cache_stats(self) -> tuple[int, int]:
        """(entries, bytes) in the cache."""
        with self._cache_lock:
            return len(self._cache), sum(len(v) for v in self._cache.values())

    def wav(self, text: str) -> bytes | None:
        """A WAV of ``text`` spoken, or None when speech is not available or failed (logged)."""
        if self._program is None:
            return None
        data = self.cached(text)
        if data is not None:
            return data
        with self._synth_lock:
            data = self.cached(text)  # made by another thread meanwhile
            if data is None:
                data = self._synthesise(self._program, text)
                if data is not None:
                    self._remember(text, data)
        return data

    def _synthesise(self, program: str, text: str) -> bytes | None:
        try:
            done = subprocess.run(
                [program, "-v", self.voice, "--stdout", "--stdin"], input=text.encode("utf-8"),
                capture_output=True, timeout=self.timeout, check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            log.warning("speech synthesis failed: %s", exc)
            return None
        if done.returncode != 0 or not done.stdout or len(done.stdout) > MAX_WAV_BYTES:
            log.warning("speech synthesis failed (exit %s, %d bytes)", done.returncode, len(done.stdout))
            return None
        return _complete_wav(done.stdout)

    def _remember(self, text: str, data: bytes) -> None:
        with self._cache_lock:
            self._cache[text] = data
            while self._cache and (len(self._cache) > self.cache_size
                                   or sum(len(v) for v in self._cache.values()) > self.max_cache_bytes):
                self._cache.popitem(last=False)


def _complete_wav(streamed: bytes) -> bytes | None:
    """A WAV with a correct header. ``espeak-ng --stdout`` writes a streaming header whose sizes are
    placeholders (a 2**31-byte length): browsers and the ``wave`` module need the real ones."""
    try:
        with wave.open(io.BytesIO(streamed), "rb") as source:
            params = source.getparams()
            frames = source.readframes(params.nframes)
    except (wave.Error, EOFError) as exc:
        log.warning("speech output is not a WAV: %s", exc)
        return None
    out = io.BytesIO()
    with wave.open(out, "wb") as target:
        target.setnchannels(params.nchannels)
        target.setsampwidth(params.sampwidth)
        target.setframerate(params.framerate)
        target.writeframes(frames)
    return out.getvalue()


__all__ = ["DEFAULT_COMMAND", "DEFAULT_VOICE", "Speaker", "announcement"]
