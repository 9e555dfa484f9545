"""The passcode rules of docs/design.md section 1."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from kiosk.passcode_rules import (
    MISMATCH,
    REPEAT_MISSING,
    PasscodeRules,
    is_date_like,
    is_repeated,
    is_run,
)

RULES = PasscodeRules()


@pytest.mark.parametrize("good", ["583920", "1357924", "90817263", "246813", "102938"])
def test_good_passcodes_pass(good: str) -> None:
    assert RULES.check(good) == []
    assert RULES.allows(good)


@pytest.mark.parametrize(
    ("bad", "word"),
    [
        ("", "Type a passcode"),
        ("12a456", "digits"),
        ("58 920", "digits"),
        ("５８３９２０", "digits"),  # full-width digits are digits to Python, not to the card
        ("²³⁴⁵⁶⁷", "digits"),
        ("58392", "at least 6"),
        ("583920173", "no more than 8"),
        ("111111", "repeat"),
        ("00000000", "repeat"),
        ("123456", "in order"),
        ("3456789", "in order"),
        ("876543", "in order"),
        ("98765432", "in order"),
        ("250190", "date"),  # 25 January 1990
        ("290200", "date"),  # 29 February 2000
        ("311299", "date"),
        ("25011990", "date"),
        ("01012000", "date"),
        ("29022024", "date"),
    ],
)
def test_bad_passcodes_are_refused_in_plain_words(bad: str, word: str) -> None:
    reasons = RULES.check(bad)
    assert reasons and any(word in reason for reason in reasons), reasons


@pytest.mark.parametrize(
    "not_a_date",
    [
        "320190",  # day 32
        "001290",  # day 0
        "311390",  # month 13
        "300290",  # 30 February
        "29021900",  # 1900 was not a leap year
        "29022023",
        "25011850",  # outside the years that count
        "12251990",  # MMDDYYYY is not refused (the rule names DDMMYY and DDMMYYYY only)
        "19900125",  # nor YYYYMMDD
    ],
)
def test_not_dates(not_a_date: str) -> None:
    assert not is_date_like(not_a_date)


def test_no_wrap_around_runs() -> None:
    assert not is_run("890123") and not is_run("210987")
    assert RULES.check("890123") == []


def test_six_digit_feb_29_counts_when_either_century_is_leap() -> None:
    assert is_date_like("290200")  # 2000
    assert is_date_like("290296")  # 1996
    assert not is_date_like("290297")


def test_several_reasons_together() -> None:
    # 1111 is too short and repeated: the holder hears both.
    assert len(RULES.check("1111")) == 2


def test_pair_mismatch_and_rules() -> None:
    assert RULES.check_pair("583920", "583920") == []
    assert RULES.check_pair("583920", "583921") == [MISMATCH]
    assert RULES.check_pair("123456", "123457")[-1] == MISMATCH
    assert len(RULES.check_pair("123456", "123457")) == 2


def test_rules_are_configurable() -> None:
    relaxed = PasscodeRules(min_digits=4, refuse_runs=False, refuse_dates=False)
    assert relaxed.check("1234") == []
    assert relaxed.check("250190") == []
    assert relaxed.check("1111")  # repeated is still refused
    assert PasscodeRules(refuse_repeated=False).check("999999") == []
    assert PasscodeRules(min_digits=8).check("5839201") == ["Use at least 8 digits."]


@pytest.mark.parametrize(
    "bad",
    [
        {"min_digits": 3},
        {"max_digits": 9},
        {"min_digits": 8, "max_digits": 6},
        {"date_years": (2000, 1900)},
        {"unknown": 1},
    ],
)
def test_impossible_configurations_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        PasscodeRules(**bad)  # type: ignore[arg-type]


def test_describe_follows_the_configuration() -> None:
    assert RULES.describe()[0] == "Use 6 to 8 digits."
    assert len(RULES.describe()) == 4
    assert PasscodeRules(min_digits=8, refuse_runs=False).describe()[0] == "Use 8 digits."
    assert len(PasscodeRules(refuse_runs=False, refuse_dates=False).describe()) == 2


# ---------------------------------------------------------------- properties

digits = st.text(alphabet="0123456789", min_size=0, max_size=12)


@given(digits)
def test_check_agrees_with_its_parts(value: str) -> None:
    reasons = RULES.check(value)
    expected_ok = (
        6 <= len(value) <= 8
        and not is_repeated(value)
        and not is_run(value)
        and not is_date_like(value)
    )
    assert (reasons == []) == expected_ok


@given(st.text(max_size=12))
def test_check_never_crashes_and_never_echoes_the_value(value: str) -> None:
    reasons = RULES.check(value)
    assert all(isinstance(reason, str) and reason for reason in reasons)
    if len(value) >= 3:
        assert not any(value in reason for reason in reasons)


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2099, 12, 31)))
def test_every_real_date_is_refused_in_both_orders(day: dt.date) -> None:
    assert not RULES.allows(day.strftime("%d%m%y"))
    assert not RULES.allows(day.strftime("%d%m%Y"))


@given(st.integers(0, 9), st.integers(6, 8), st.sampled_from([1, -1]))
def test_every_run_and_repeat_is_refused(start: int, length: int, direction: int) -> None:
    repeated = str(start) * length
    assert not RULES.allows(repeated)
    run = "".join(str(start + direction * i) for i in range(length))
    if all(ch.isdigit() for ch in run) and "-" not in run and len(run) == length:
        assert not RULES.allows(run)


@given(digits, digits)
def test_pair_refuses_every_mismatch(new: str, repeat: str) -> None:
    reasons = RULES.check_pair(new, repeat)
    # An empty second box is asked for by name rather than called a mismatch.
    assert (MISMATCH in reasons or REPEAT_MISSING in reasons) == (new != repeat)


@pytest.mark.parametrize("value", ["111111", "00000000", "222222"])
def test_a_repeated_digit_gets_one_reason_not_also_a_date(value: str) -> None:
    # 111111 also reads as 11/11/11: the holder is told the one thing to change.
    assert RULES.check(value) == ["Do not repeat one digit, like 111111. Choose a mix of digits."]


def test_an_empty_confirmation_asks_for_it_not_that_they_differ() -> None:
    reasons = RULES.check_pair("583920", "")
    assert reasons == ["Type the new passcode again in the second box."]
    assert MISMATCH not in reasons
