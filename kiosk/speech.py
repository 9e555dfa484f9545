"""Reading the screen aloud through espeak-ng (EN 301 549 closed functionality).

A walk-up kiosk is "closed": a holder cannot bring their own screen reader, so the
kiosk speaks for itself. `Speaker.say` hands the words (already chosen by the
screen: heading, question or message, keys; never what was typed in a field) to
espeak-ng on its standard input, never on its command line (which any user of
the machine can read), in the voice of the holder's language. Sound goes to the
machine's default output. Saying something new stops what was being said.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import threading
from collections.abc import Sequence
from pathlib import Path

from contract.language import Language

log = logging.getLogger(__name__)

VOICES: dict[Language, str] = {Language.ENGLISH: "en-gb", Language.WELSH: "cy"}
"""espeak-ng voice per language (espeak-ng ships a Welsh voice)."""
WORDS_PER_MINUTE = 150
"""A little slower than espeak-ng's default 175, for a kiosk in a busy ward."""


def speech_command(
    language: Language, *, program: str = "espeak-ng", to_file: Path | None = None
) -> list[str]:
    """The espeak-ng command that reads its standard input aloud in `language`.

    Args:
        language: The holder's language.
        program: espeak-ng, or a stand-in with the same options (tests).
        to_file: Write a WAV file instead of playing (tests check the speech).

    Returns:
        argv: the words are never in it.
    """
    command = [program, "-v", VOICES[language], "-s", str(WORDS_PER_MINUTE), "--stdin"]
    if to_file is not None:
        command += ["-w", str(to_file)]
    return command


class Speaker:
    """Speaks one text at a time in a background process.

    Args:
        program: The speech engine (espeak-ng); None or missing: speech is off
            and `say` only logs that it could not speak.
    """

    def __init__(self, program: str | None = "espeak-ng") -> None:
        self._program = shutil.which(program) if program else None
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def available(self) -> bool:
        """Whether there is a speech engine to speak with."""
        return self._program is not None

    def say(self, text: str, language: Language) -> None:
        """Start saying `text` in `language` (stopping anything being said)."""
        if self._program is None:
            log.warning("read aloud asked for, but no speech engine is installed")
            return
        self.stop()
        command = speech_command(language, program=self._program)
        try:
            process = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        except OSError as exc:
            log.warning("speech engine did not start: %s", type(exc).__name__)
            return
        with self._lock:
            self._process = process
        # The words go through the pipe, closed at once so espeak-ng reads to the end;
        # written from a thread so a long text never blocks the app.
        threading.Thread(target=_feed, args=(process, text), daemon=True).start()

    def stop(self) -> None:
        """Stop speaking now (a new screen, a new request, the app closing)."""
        with self._lock:
            process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                process.kill()


def _feed(process: subprocess.Popen[bytes], text: str) -> None:
    assert process.stdin is not None
    try:
        process.stdin.write(text.encode("utf-8"))
        process.stdin.close()
    except OSError:
        pass  # stopped before it had read everything
    try:
        process.wait(timeout=600)
    except subprocess.TimeoutExpired:
        process.kill()


def spoken(parts: Sequence[str]) -> str:
    """The parts of a screen as one text, each a sentence of its own."""
    sentences = []
    for part in parts:
        part = " ".join(part.split())
        if part:
            sentences.append(part if part[-1] in ".?!:…" else part + ".")
    return "\n".join(sentences)
