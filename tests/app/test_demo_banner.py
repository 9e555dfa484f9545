"""The demo banner shows each demo card as it is now (issue 12 item 14).

A unit test of `DemoCards.banner`: the cards' passcodes and counters are the
virtual cards' own; what the service holds is read through the seam the demo
world fills with its database.
"""

from __future__ import annotations

from demo.world import DemoCards, HolderStatus, Mailbox, load_demo_data


def test_the_banner_follows_the_cards_and_the_service() -> None:
    holders = load_demo_data()["holders"]
    status = {h["uuid"]: HolderStatus(registered=bool(h.get("answers"))) for h in holders}
    cards = DemoCards(0, Mailbox(), holders, holder_status=status.get, status_every=0)
    alex = next(h for h in holders if h["key"] == "locked")
    sam = next(h for h in holders if h["key"] == "unregistered")
    before = cards.banner
    assert f"passcode {alex['pin']}" in before and "not registered" in before

    # Alex unlocks the card with a new passcode; Sam registers (new answers).
    card = cards.personalisation("locked")
    card.pin, card.tries_left = "258147", 3
    status[sam["uuid"]] = HolderStatus(registered=True, answers_changed=True)
    after = cards.banner
    alex_line = next(line for line in after.splitlines() if alex["name"] in line)
    sam_line = next(line for line in after.splitlines() if sam["name"] in line)
    assert "258147" in alex_line and alex["pin"] not in alex_line
    assert "locked" not in alex_line.split(":", 1)[1]
    assert "not registered" not in sam_line
    assert "the answers you chose" in after

    # Self-service locked after three wrong answer sets.
    status[alex["uuid"]] = HolderStatus(registered=True, self_service_locked=True)
    assert "self-service locked" in cards.banner


def test_the_folded_keys_line_names_the_piv_and_ra_keys_in_both_languages() -> None:
    """In 80x24 the banner folds to one line of keys: the RA card (Ctrl+F5) and the PIV
    cards (Ctrl with F2-F4) must be on it, or a newcomer never finds them (issue 17)."""
    from contract.language import Language, Phrase
    from screens.base import DEMO_KEYS_LINE

    assert isinstance(DEMO_KEYS_LINE, Phrase)
    for language in Language:
        line = DEMO_KEYS_LINE.in_language(language)
        assert "Ctrl+F5" in line and "Ctrl: PIV" in line, (language, line)
        assert all(key in line for key in ("F2-F4", "F5", "F6")), (language, line)
        assert len(line) <= 76, (language, line)  # two columns of margin either side
