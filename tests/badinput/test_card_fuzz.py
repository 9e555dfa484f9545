"""A short, fixed-size atheris run over the card parsers, vpcd framing and the applet.

The hypothesis tests beside the codec (tests/card) draw inputs blind; atheris is
coverage-guided, so from a seed journey (power on, ATR, SELECT, VERIFY, CHANGE
REFERENCE DATA, GET CHALLENGE, RESET RETRY COUNTER, INTERNAL AUTHENTICATE) it
mutates towards command sequences that reach new branches of the applet. The run
is a child process (libFuzzer exits its process when done), seeded and bounded in
runs and in time.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from card import apdu
from card.apdu import AuthKey, DataObject
from card.virtual import encode_frame

RUNS = 10_000
REPO = Path(__file__).resolve().parents[2]


def seed_corpus(directory: Path) -> Path:
    """One whole card session as vpcd frames, for the fuzzer to start from."""
    frames = [
        bytes([1]),
        bytes([4]),
        apdu.select(),
        apdu.get_data(DataObject.NAME),
        apdu.verify_query(),
        apdu.verify("583920"),
        apdu.change_reference_data("583920", "402917"),
        apdu.get_challenge(),
        apdu.reset_retry_counter(bytes(16), "402917"),
        apdu.internal_authenticate(AuthKey(1), bytes(range(16))),
        bytes([2]),
    ]
    directory.mkdir()
    # The first byte picks the chunk size FrameReader is fed in (see fuzz_card.py).
    (directory / "journey").write_bytes(b"\x01" + b"".join(encode_frame(f) for f in frames))
    return directory


def test_atheris_finds_nothing_in_a_fixed_run(tmp_path: Path) -> None:
    corpus = seed_corpus(tmp_path / "corpus")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.badinput.fuzz_card",
            f"-runs={RUNS}",
            "-seed=1",
            "-max_total_time=40",
            "-max_len=512",
            str(corpus),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    assert f"Done {RUNS} runs" in done.stderr, done.stderr[-2000:]
    coverage = re.findall(r"DONE\s+cov: (\d+) ft: (\d+)", done.stderr)
    print(f"\nATHERIS runs={RUNS} cov/ft={coverage[-1] if coverage else '?'}")
