"""Both catalogues are complete: every holder-facing text extracted from the code and
config/ is translated, nothing fuzzy, every field kept, and the shipped .mo files are
the compiled .po files."""

from __future__ import annotations

import gettext
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from contract.language import CATALOGUES, DOMAIN

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ("en", "cy")
FIELD = re.compile(r"\{(\w+)\}|\$(\w+)")


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> list[object]:
    """What `make catalogues` extracts now, from the code as it is."""
    pot = tmp_path_factory.mktemp("pot") / "ssu.pot"
    pybabel = Path(sys.executable).with_name("pybabel")
    subprocess.run(
        [
            str(pybabel), "extract", "-F", "catalogues/babel.cfg",
            "-k", "N_", "-k", "plural:1,2", "-k", "ngettext:1,2",
            "--no-location", "-o", str(pot), ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )  # fmt: skip
    with pot.open("rb") as f:
        return [m.id for m in read_po(f) if m.id]


def _catalogue(language: str):  # type: ignore[no-untyped-def]
    with (CATALOGUES / language / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as f:
        return read_po(f, locale=language)


def _key(value: object) -> object:
    return tuple(value) if isinstance(value, list | tuple) else value


def _fields(text: str) -> set[str]:
    return {a or b for a, b in FIELD.findall(text)}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_text_is_translated_and_none_is_fuzzy(language: str, template: list[object]) -> None:
    catalogue = _catalogue(language)
    assert not catalogue.fuzzy
    missing = [mid for mid in template if mid not in catalogue]
    assert not missing, f"{language}: not in the catalogue (run make catalogues): {missing[:5]}"
    for message in catalogue:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"{language}: untranslated {message.id!r}"
        assert not message.fuzzy, f"{language}: fuzzy {message.id!r}"
        plural = message.id[1] if isinstance(message.id, tuple) else message.id
        for string in strings:
            # Every {field} and $field of the English, and no other (Welsh uses the
            # number itself with a singular noun, so plural forms keep {count} too).
            assert _fields(string) == _fields(plural), f"{language}: {message.id!r}"
    assert len([m for m in catalogue if m.id]) == len(template), "obsolete entries"


def test_welsh_says_it_is_a_draft_until_a_translator_checks_it() -> None:
    text = (CATALOGUES / "cy" / "LC_MESSAGES" / f"{DOMAIN}.po").read_text("utf-8")
    assert "NOT YET CHECKED by a" in text.split("msgid", 1)[0]
    assert "Plural-Forms: nplurals=6;" in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_shipped_mo_is_the_po_compiled(language: str) -> None:
    folder = CATALOGUES / language / "LC_MESSAGES"
    with (folder / f"{DOMAIN}.po").open("rb") as f:
        source = {_key(m.id): _key(m.string) for m in read_po(f, locale=language) if m.id}
    with (folder / f"{DOMAIN}.mo").open("rb") as f:
        shipped = {_key(m.id): _key(m.string) for m in read_mo(f) if m.id}
    assert shipped == source, "stale .mo: run make compile-catalogues"


def test_gettext_finds_the_welsh() -> None:
    welsh = gettext.translation(DOMAIN, CATALOGUES, languages=["cy"])
    assert welsh.gettext("Insert your smartcard") == "Rhowch eich cerdyn clyfar i mewn"
    assert welsh.ngettext("{count} minute", "{count} minutes", 3) == "{count} munud"
