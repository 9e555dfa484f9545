"""The passcode rules (docs/design.md section 1), checked on the kiosk before the card is touched.

A card blocks after three wrong tries, and RESET RETRY COUNTER sets whatever it is
given, so the kiosk refuses a weak passcode itself: no card retry is ever spent
and no weak passcode ever reaches a card.

The current NHS rule (July 2023): 6 to 8 digits, no repeated digits (111111), no
runs (123456, 876543) and no date-like values. Dates are refused in the two
orders the rule names, DDMMYY and DDMMYYYY. Other orders (MMDDYY, YYYYMMDD) are
deliberately not refused: the rule does not name them, and refusing every
reading of every 6 or 8 digit string as some date would refuse a large share of
the passcodes holders choose.

The rules are a pydantic model so a deployment can configure them in the kiosk
settings; `check` itself is pure and never logs or keeps the value it is given.
"""

from __future__ import annotations

import calendar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from contract.language import N_

# The card stores the passcode in 8 bytes (docs/design.md section 3), and the card layer
# refuses fewer than 4 digits: configured bounds must stay inside both.
CARD_MAX_DIGITS = 8
CARD_MIN_DIGITS = 4

NOT_DIGITS = N_("Use digits (0 to 9) only.")
MISMATCH = N_("The two passcodes are not the same. Type the same passcode twice.")
EMPTY = N_("Type a passcode.")
REPEAT_MISSING = N_("Type the new passcode again in the second box.")


class PasscodeRules(BaseModel):
    """What a new passcode must look like; `check` says why a value is refused."""

    # Fields documented as in kiosk.settings (strings under them, not read by pydantic).
    model_config = ConfigDict(frozen=True, extra="forbid")

    min_digits: int = Field(default=6, ge=CARD_MIN_DIGITS, le=CARD_MAX_DIGITS)
    """Fewest digits a passcode may have."""

    max_digits: int = Field(default=8, ge=CARD_MIN_DIGITS, le=CARD_MAX_DIGITS)
    """Most digits a passcode may have (the card holds at most 8)."""

    refuse_repeated: bool = True
    """Refuse a passcode made of one digit repeated, such as 111111."""

    refuse_runs: bool = True
    """Refuse digits in order up or down, such as 123456 or 876543 (no wrap-around)."""

    refuse_dates: bool = True
    """Refuse date-like values: a real calendar date as DDMMYY or DDMMYYYY."""

    date_years: tuple[int, int] = (1900, 2099)
    """First and last year a DDMMYYYY value counts as a date (DDMMYY: any year)."""

    @model_validator(mode="after")
    def _bounds_in_order(self) -> PasscodeRules:
        if self.min_digits > self.max_digits:
            raise ValueError("min_digits must not be more than max_digits")
        if self.date_years[0] > self.date_years[1]:
            raise ValueError("date_years must be (first year, last year)")
        return self

    def describe(self) -> list[str]:
        """The rules in plain language, for the new-passcode screen.

        Returns:
            One sentence per rule that is switched on.
        """
        if self.min_digits == self.max_digits:
            lines: list[str] = [N_("Use {count} digits.", count=self.min_digits)]
        else:
            lines = [
                N_("Use {least} to {most} digits.", least=self.min_digits, most=self.max_digits)
            ]
        if self.refuse_repeated:
            lines.append(N_("Do not repeat one digit, like 111111."))
        if self.refuse_runs:
            lines.append(N_("Do not use digits in order, like 123456 or 876543."))
        if self.refuse_dates:
            lines.append(N_("Do not use a date, like 250190 or 25011990."))
        return lines

    def check(self, passcode: str) -> list[str]:
        """Check one passcode against the rules.

        Args:
            passcode: The value the holder typed.

        Returns:
            Plain-language reasons it is refused; an empty list means it is allowed.
        """
        if passcode == "":
            return [EMPTY]
        # str.isdigit() admits other scripts' digits and superscripts; the card
        # only takes ASCII 0-9.
        if not all("0" <= ch <= "9" for ch in passcode):
            return [NOT_DIGITS]
        reasons: list[str] = []
        if len(passcode) < self.min_digits:
            reasons.append(N_("Use at least {count} digits.", count=self.min_digits))
        elif len(passcode) > self.max_digits:
            reasons.append(N_("Use no more than {count} digits.", count=self.max_digits))
        if self.refuse_repeated and is_repeated(passcode):
            reasons.append(N_("Do not repeat one digit, like 111111. Choose a mix of digits."))
        elif self.refuse_runs and is_run(passcode):
            reasons.append(N_("Do not use digits in order, like 123456 or 876543."))
        elif self.refuse_dates and is_date_like(passcode, self.date_years):
            # 111111 also reads as 11/11/11: one reason, the one the holder can act on.
            reasons.append(
                N_("Do not use a date, like a birthday. Choose digits that are not a date.")
            )
        return reasons

    def check_pair(self, new: str, repeat: str) -> list[str]:
        """Check a new passcode and the same passcode typed again.

        Args:
            new: The new passcode.
            repeat: The holder's second typing of it.

        Returns:
            Plain-language reasons, the rules first, then a mismatch; empty when allowed.
        """
        reasons = self.check(new)
        if repeat == "" and new != "":
            reasons.append(REPEAT_MISSING)
        elif new != repeat:
            reasons.append(MISMATCH)
        return reasons

    def allows(self, passcode: str) -> bool:
        """True when `check` finds nothing to refuse."""
        return not self.check(passcode)


def is_repeated(digits: str) -> bool:
    """True for one digit repeated (two or more digits long)."""
    return len(digits) > 1 and len(set(digits)) == 1


def is_run(digits: str) -> bool:
    """True when every digit is one more, or every digit one less, than the one before.

    No wrap-around: 890123 is not a run.
    """
    if len(digits) < 2:
        return False
    steps = {int(b) - int(a) for a, b in zip(digits, digits[1:], strict=False)}
    return steps in ({1}, {-1})


def is_date_like(digits: str, years: tuple[int, int] = (1900, 2099)) -> bool:
    """True when the digits read as a real calendar date, DDMMYY or DDMMYYYY.

    Args:
        digits: ASCII digits.
        years: First and last year a DDMMYYYY value counts as a date.

    Returns:
        Whether the value is a valid date in one of the two orders.
    """
    if len(digits) == 6:
        day, month, yy = int(digits[:2]), int(digits[2:4]), int(digits[4:])
        # A two-digit year could be 19yy or 20yy; 29 February counts when either
        # century makes it a leap year (so 290200 is a date: 2000 was a leap year).
        return any(_valid(day, month, century + yy) for century in (1900, 2000))
    if len(digits) == 8:
        day, month, year = int(digits[:2]), int(digits[2:4]), int(digits[4:])
        return years[0] <= year <= years[1] and _valid(day, month, year)
    return False


def _valid(day: int, month: int, year: int) -> bool:
    if not 1 <= month <= 12 or day < 1:
        return False
    return day <= calendar.monthrange(year, month)[1]
