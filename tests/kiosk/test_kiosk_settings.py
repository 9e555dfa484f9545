"""Kiosk settings: defaults, config/kiosk.toml, --config FILE, SSU_KIOSK_* and flags."""

from __future__ import annotations

import ast
import datetime as dt
import inspect
import itertools
import textwrap
from pathlib import Path

import pytest
from pydantic import ValidationError

from kiosk.passcode_rules import PasscodeRules
from kiosk.settings import DEFAULT_CONFIG_FILE, KioskSettings, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("SSU_KIOSK_"):
            monkeypatch.delenv(name)


def test_shipped_file_loads() -> None:
    assert DEFAULT_CONFIG_FILE.name == "kiosk.toml" and DEFAULT_CONFIG_FILE.is_file()
    settings = load_settings()
    assert settings.approved_email_domains == ["nhs.net", "gov.uk", "mod.uk"]
    assert settings.expiring_warning_days == 90
    assert settings.timeouts.inactivity_seconds == 90
    assert settings.timeouts.warning_seconds == 30
    assert settings.passcode_rules == PasscodeRules()


def test_defaults_without_any_file() -> None:
    settings = KioskSettings()
    assert settings.service_url == "http://127.0.0.1:8750"
    assert settings.reader is None
    assert settings.kiosk_token.get_secret_value() == ""


def test_config_file_override(tmp_path: Path) -> None:
    config = tmp_path / "other.toml"
    config.write_text(
        'service_url = "https://unlock.example.nhs.uk/"\n'
        'kiosk_name = "Ward 7"\n'
        'reader = "Virtual PCD 00 01"\n'
        "[timeouts]\ninactivity_seconds = 120\n"
        "[passcode_rules]\nmin_digits = 8\n"
    )
    settings = load_settings(config)
    assert settings.service_url == "https://unlock.example.nhs.uk"
    assert (settings.kiosk_name, settings.reader) == ("Ward 7", "Virtual PCD 00 01")
    assert settings.timeouts.inactivity_seconds == 120
    assert settings.timeouts.warning_seconds == 30
    assert settings.passcode_rules.min_digits == 8


def test_missing_config_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_settings(tmp_path / "nope.toml")


def test_environment_beats_file_and_flags_beat_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "k.toml"
    config.write_text('kiosk_name = "from file"\nstore = "from-file.sqlite"\n')
    monkeypatch.setenv("SSU_KIOSK_KIOSK_NAME", "from env")
    monkeypatch.setenv("SSU_KIOSK_KIOSK_TOKEN", "tok-123")
    monkeypatch.setenv("SSU_KIOSK_TIMEOUTS__WARNING_SECONDS", "15")
    settings = KioskSettings.load(config, kiosk_name=None, store=tmp_path / "flag.sqlite")
    assert settings.kiosk_name == "from env"
    assert settings.store == tmp_path / "flag.sqlite"
    assert settings.kiosk_token.get_secret_value() == "tok-123"
    assert "tok-123" not in repr(settings)
    assert settings.timeouts.warning_seconds == 15
    assert KioskSettings.load(config, kiosk_name="from flag").kiosk_name == "from flag"


@pytest.mark.parametrize(
    "bad",
    [
        {"service_url": "ftp://x"},
        {"timeouts": {"inactivity_seconds": 1}},
        {"passcode_rules": {"max_digits": 12}},
        {"no_such_setting": 1},
    ],
)
def test_bad_values_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        KioskSettings(**bad)  # type: ignore[arg-type]


def test_domains_are_normalised() -> None:
    settings = KioskSettings(approved_email_domains=[" NHS.net", "@gov.uk", ""])
    assert settings.approved_email_domains == ["nhs.net", "gov.uk"]


def test_every_field_is_documented() -> None:
    from kiosk.settings import Timeouts

    for model in (KioskSettings, Timeouts, PasscodeRules):
        documented = attribute_docstrings(model)
        for name in model.model_fields:
            assert documented.get(name, "").strip(), f"{model.__name__}.{name} has no docstring"


def attribute_docstrings(model: type) -> dict[str, str]:
    """Field name -> the string literal right under its annotated assignment."""
    body = ast.parse(textwrap.dedent(inspect.getsource(model))).body[0]
    assert isinstance(body, ast.ClassDef)
    docs: dict[str, str] = {}
    for node, after in itertools.pairwise(body.body):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
            and isinstance(after.value.value, str)
        ):
            docs[node.target.id] = after.value.value
    return docs


def test_the_docstring_check_sees_a_missing_one() -> None:
    class Undocumented:
        documented: int = 1
        """Here."""
        bare: int = 2

    assert attribute_docstrings(Undocumented) == {"documented": "Here."}


def test_flow_config_follows_the_settings() -> None:
    settings = KioskSettings(
        timeouts={"inactivity_seconds": 60, "warning_seconds": 10},  # type: ignore[arg-type]
        expiring_warning_days=30,
    )
    flow = settings.flow_config()
    assert flow.inactivity_timeout == dt.timedelta(seconds=60)
    assert flow.inactivity_countdown == dt.timedelta(seconds=10)
    assert flow.expiring_warning_days == 30
    assert flow.passcode_rules == settings.passcode_rules


def test_the_entry_hands_the_service_timeout_to_the_client(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`timeouts.service_seconds` once stopped at the settings; the client kept 5 s."""
    from kiosk import service_client
    from kiosk.__main__ import build_app
    from kiosk.store import open_store

    made: list[dict[str, object]] = []

    class RecordingClient(service_client.ServiceClient):
        def __init__(self, *args: object, **kwargs: object) -> None:
            made.append({"args": args, **kwargs})
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(service_client, "ServiceClient", RecordingClient)
    settings = KioskSettings(
        service_url="http://127.0.0.1:9",
        kiosk_token="tok-timeout",  # type: ignore[arg-type]
        store=tmp_path / "kiosk.sqlite",
        timeouts={"service_seconds": 3.5},  # type: ignore[arg-type]
    )
    store = open_store(settings.store)
    try:
        app = build_app(settings, store)
    finally:
        store.close()
    assert isinstance(app.client, RecordingClient)
    assert made == [{"args": ("http://127.0.0.1:9", "tok-timeout"), "timeout": 3.5, "verify": True}]
