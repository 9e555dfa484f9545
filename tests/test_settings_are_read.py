"""Every setting acts somewhere: a field nothing reads is a promise the product breaks.

`timeouts.service_seconds` was shipped in config/kiosk.toml for months while the
service client kept its own default. This test reads the product's source: each
settings field must be read as an attribute (`x.field`, or `getattr(x, "field")`)
by the package that owns it. It cannot tell whose attribute is read (a field named
like an unrelated attribute passes), so the paths that matter most also have
behaviour tests (tests/kiosk/test_kiosk_settings.py builds the kiosk through its
entry and checks what the service client got).
"""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest
from pydantic import BaseModel

from contract.contacts import RaContacts
from kiosk.passcode_rules import PasscodeRules
from kiosk.settings import KioskSettings, Timeouts
from service.settings import Argon2Cost, Notify, ServiceSettings, Throttle

ROOT = Path(__file__).resolve().parents[1]
KIOSK_SIDE = ("kiosk", "screens")
SERVICE_SIDE = ("service",)

MODELS: list[tuple[type[BaseModel], tuple[str, ...]]] = [
    (KioskSettings, KIOSK_SIDE),
    (Timeouts, KIOSK_SIDE),
    (RaContacts, (*KIOSK_SIDE, *SERVICE_SIDE)),
    (PasscodeRules, KIOSK_SIDE),
    (ServiceSettings, SERVICE_SIDE),
    (Argon2Cost, SERVICE_SIDE),
    (Throttle, SERVICE_SIDE),
    (Notify, SERVICE_SIDE),
]


def attributes_read(packages: tuple[str, ...]) -> set[str]:
    """Names read as attributes anywhere in these packages' modules."""
    names: set[str] = set()
    for package in packages:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
                    names.add(node.attr)
                elif (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id == "getattr"
                    and len(node.args) >= 2
                    and isinstance(node.args[1], ast.Constant)
                    and isinstance(node.args[1].value, str)
                ):
                    names.add(node.args[1].value)
    return names


def unread_fields(model: type[BaseModel], packages: tuple[str, ...]) -> list[str]:
    read = attributes_read(packages)
    return sorted(name for name in model.model_fields if name not in read)


@pytest.mark.parametrize(("model", "packages"), MODELS, ids=lambda m: getattr(m, "__name__", ""))
def test_every_settings_field_is_read(model: type[BaseModel], packages: tuple[str, ...]) -> None:
    unread = unread_fields(model, packages)
    assert not unread, f"{model.__name__}: nothing in {packages} reads {unread}"


def test_the_check_sees_an_unread_field() -> None:
    class Unread(Timeouts):
        no_code_reads_this_setting: float = 1.0

    assert unread_fields(Unread, KIOSK_SIDE) == ["no_code_reads_this_setting"]
    assert unread_fields(Timeouts, SERVICE_SIDE)  # the service never reads kiosk timeouts


def commented_keys(text: str) -> set[str]:
    """Keys shown commented out as examples (`# name = value`) in a TOML file."""
    return set(re.findall(r"^#\s*([a-z_]+)\s*=", text, flags=re.MULTILINE))


def table_keys(data: dict[str, object], prefix: str = "") -> set[str]:
    keys = set()
    for key, value in data.items():
        keys.add(prefix + key)
        if isinstance(value, dict):
            keys |= table_keys(value, f"{prefix}{key}.")
    return keys


def model_keys(model: type[BaseModel], prefix: str = "") -> set[str]:
    keys = set()
    for name, field in model.model_fields.items():
        keys.add(prefix + name)
        kind = field.annotation
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            keys |= model_keys(kind, f"{prefix}{name}.")
    return keys


@pytest.mark.parametrize(
    ("file", "model"), [("kiosk.toml", KioskSettings), ("service.toml", ServiceSettings)]
)
def test_shipped_config_names_only_real_settings(file: str, model: type[BaseModel]) -> None:
    """Set or commented out as an example, every key in config/ is a setting."""
    text = (ROOT / "config" / file).read_text()
    known = model_keys(model)
    set_keys = table_keys(tomllib.loads(text))
    assert set_keys <= known
    leaves = {key.rsplit(".", 1)[-1] for key in known}
    assert commented_keys(text) <= leaves, commented_keys(text) - leaves


def test_dev_keys_file_holds_only_the_masters() -> None:
    """A flag here would read as "these keys are allowed"; the service goes by the values."""
    from card.keys import DEV_KEYS_PATH, KEY_NAMES

    data = tomllib.loads(DEV_KEYS_PATH.read_text())
    assert set(data) == {"masters"}
    assert set(data["masters"]) == set(KEY_NAMES)
