"""Read-aloud: espeak-ng really speaks English and Welsh (rendered to a file and
measured with sox), and a screen's spoken words never hold what was typed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from textual.widgets import Input, Static

from contract.language import Language
from kiosk.speech import VOICES, speech_command, spoken
from screens import OVERLAYS
from screens.base import KioskView
from screens.language import set_current
from screens.wording import plain_words
from tests.screens.harness import ScreenHarness
from tests.screens.states import REPRESENTATIVE


@pytest.fixture
def speech_tools() -> None:
    """espeak-ng and sox are real parts here: missing, the test fails (never skips)."""
    missing = [tool for tool in ("espeak-ng", "sox") if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"{missing} not installed: `make test` installs them (the Makefile's DEBS)")


needs_espeak = pytest.mark.usefixtures("speech_tools")

SAMPLES = {
    Language.ENGLISH: "Your card is locked. Press Enter to start. F1 Help.",
    Language.WELSH: "Mae eich cerdyn wedi'i gloi. Pwyswch Enter i ddechrau. F1 Cymorth.",
}


def _sox_number(wav: Path, *args: str, field: str) -> float:
    out = subprocess.run(
        ["sox", str(wav), "-n", *args], capture_output=True, text=True, timeout=60, check=True
    ).stderr
    line = next(line for line in out.splitlines() if line.startswith(field))
    return float(line.split(":")[1].split()[0])


@needs_espeak
@pytest.mark.parametrize("language", list(Language))
def test_espeak_speaks_each_language(language: Language, tmp_path: Path) -> None:
    wav = tmp_path / "speech.wav"
    subprocess.run(
        speech_command(language, to_file=wav),
        input=SAMPLES[language].encode(),
        check=True,
        timeout=60,
        capture_output=True,
    )
    seconds = float(
        subprocess.run(
            ["soxi", "-D", str(wav)], capture_output=True, text=True, timeout=60, check=True
        ).stdout
    )
    # About ten words at 150 a minute: a few seconds, not a click and not a minute.
    assert 2.0 < seconds < 15.0, seconds
    # Speech, not silence: a real level over most of it.
    assert _sox_number(wav, "stat", field="RMS     amplitude") > 0.02


@needs_espeak
def test_there_is_a_welsh_voice() -> None:
    voices = subprocess.run(
        ["espeak-ng", "--voices=cy"], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    assert VOICES[Language.WELSH] in voices.split()


def test_spoken_text_is_sentences() -> None:
    assert spoken(["Check your email", "  Enter   Send code "]) == (
        "Check your email.\nEnter Send code."
    )


@pytest.mark.parametrize("language", list(Language), ids=["en", "cy"])
@pytest.mark.parametrize("name", sorted(REPRESENTATIVE))
async def test_every_screen_reads_its_heading_and_never_a_field(
    name: str, language: Language
) -> None:
    set_current(language)
    try:
        state = REPRESENTATIVE[name]
        overlay = OVERLAYS[type(state.overlay)]() if state.overlay is not None else None
        app = ScreenHarness(state, overlay=overlay)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            view = app.screen
            assert isinstance(view, KioskView)
            secret = "Zq7secretWord"
            for field in app.kiosk_screen.query(Input):
                field.value = secret
            await pilot.pause()
            parts = view.spoken_parts()
            words = spoken(parts)
            assert words, f"{name}: nothing to say"
            for heading in view.query(".heading").results(Static):
                said = " ".join(plain_words(heading.content).split())
                if heading.display and said:
                    assert said in words, f"{name}: heading not said"
            assert secret not in words
            assert "Zq7" not in words
            if view is app.kiosk_screen:
                # The keys are said too, the access keys among them.
                assert "F10" in words
    finally:
        set_current(Language.ENGLISH)


@pytest.mark.parametrize("name", sorted(REPRESENTATIVE))
async def test_high_contrast_and_large_text_on_every_screen(name: str) -> None:
    state = REPRESENTATIVE[name]
    app = ScreenHarness(state)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.kiosk_screen
        plain_background = screen.styles.background
        app.add_class("high-contrast")
        await pilot.pause()
        assert screen.styles.background.hex == "#000000" != plain_background.hex
        assert screen.styles.color.hex == "#FFFFFF"
        app.remove_class("high-contrast")
        app.add_class("large-text")
        await pilot.pause()
        measure = screen.query_one("#measure")
        assert measure.styles.max_width is not None and measure.styles.max_width.value == 64
        for widget in screen.query(".lead"):
            assert widget.styles.text_style.bold


@pytest.mark.parametrize("style", ["error", "warning"])
@pytest.mark.parametrize("contrast", [False, True])
async def test_colour_is_never_the_only_carrier(style: str, contrast: bool) -> None:
    """Errors and warnings are bold and carry a bar, in both themes (seen without colour)."""
    app = ScreenHarness(REPRESENTATIVE["passcode_entry_last_try"])
    async with app.run_test(size=(80, 24)) as pilot:
        if contrast:
            app.add_class("high-contrast")
        await pilot.pause()
        probe = Static("x", classes=style)
        await app.kiosk_screen.query_one("#measure").mount(probe)
        await pilot.pause()
        assert probe.styles.text_style.bold
        kind, _colour = probe.styles.border_left
        assert kind in ("thick", "wide", "outer", "heavy"), kind
