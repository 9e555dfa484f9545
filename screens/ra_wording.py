"""The service's audit and refusal codes in the RA's words (issue 17): one table each.

The RA desk shows what the service recorded about a holder (recent events) and why
it refused (the report's refusals by reason). The service speaks in codes; these
tables give each code a phrase to translate. tests/kiosk/test_ra_wording.py fails
when the service can emit a code that has no phrase here.
"""

from __future__ import annotations

from screens.language import tr

REFUSALS: dict[str, str] = {}
"""Problem code -> what was refused, in a few words."""


def refusal_phrase(code: str) -> str:
    """A refusal code in the RA's language (the code itself if it has no phrase)."""
    phrase = REFUSALS.get(code)
    return tr(phrase) if phrase is not None else code
