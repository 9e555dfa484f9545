"""One published development master is enough to refuse the keys (issue 13 item 5).

One public `unblock` master mints cryptograms for every card, so each master is
checked on its own, by the same doors a deployment uses: a keys file to `serve`,
and `create_app`.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from card.keys import KEY_NAMES, MasterKeys, load_dev_keys, write_master_keys
from service.api.app import create_app
from service.assembly import KeysRefused
from service.cli import main as cli_main
from service.settings import ServiceSettings


@pytest.mark.parametrize("published", KEY_NAMES)
def test_any_one_development_master_is_refused_outside_demo(
    published: str, masters: MasterKeys, settings: ServiceSettings, tmp_path: Path
) -> None:
    mixed = dataclasses.replace(masters, **{published: load_dev_keys().master(published)})
    with pytest.raises(KeysRefused):
        create_app(settings, masters=mixed)
    keys = write_master_keys(tmp_path / "mixed.toml", mixed)
    with pytest.raises(KeysRefused):
        create_app(settings.model_copy(update={"keys": keys}))
    assert cli_main(["serve", "--keys", str(keys), "--db", settings.db]) == 2
    # Demo mode accepts them, as it accepts all three.
    create_app(settings.model_copy(update={"demo": True}), masters=mixed)


def test_fresh_masters_are_accepted(
    masters: MasterKeys, settings: ServiceSettings, tmp_path: Path
) -> None:
    keys = write_master_keys(tmp_path / "fresh.toml", masters)
    create_app(settings.model_copy(update={"keys": keys}))
