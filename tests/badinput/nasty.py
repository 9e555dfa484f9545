"""The catalogue of hostile text every bad-input test here draws from.

Each value is something a holder can produce at a kiosk (a terminal paste, a
phone keyboard, a card reader's wedge, a confused keyboard layout) or a caller
of the service can send. Names say what each one probes; the counts in the
report come from these tables.
"""

from __future__ import annotations

PASTE_10K = "x" * 10_000
"""A 10 000-character paste: the size of a whole document pasted by mistake."""

NASTY_TEXT: dict[str, str] = {
    "fullwidth": "ＪＯ ＢＬＯＧＧＳ",
    "ligatures": "\ufb01sh \ufb02our \ufb00",
    "rtl_hebrew": "\u05e9\u05dc\u05d5\u05dd \u05e2\u05d5\u05dc\u05dd",
    "rtl_arabic": "\u0645\u0631\u062d\u0628\u0627",
    "rtl_override": "abc\u202edcba\u202c",
    "nul": "ab\x00cd",
    "escape_csi": "\x1b[31mred\x1b[0m\x1b[2J",
    "escape_osc_title": "\x1b]0;owned\x07title",
    "crlf": "line one\r\nline two",
    "tab_bell_backspace": "a\tb\x07c\x08d",
    "emoji_zwj": "\U0001f431\u200d\U0001f464 cat \U0001f469\U0001f3fd\u200d\u2695\ufe0f",
    "combining": "e\u0301e\u0301e\u0301",
    "zalgo": "z\u0337\u0322\u031ba\u0334l\u0338g\u0335o\u0336",
    "zero_width": "\u200b\u200c\u200d\ufeff",
    "nbsp_and_ideographic_space": "jo\u00a0\u3000bloggs",
    "astral_math_digits": "\U0001d7d3\U0001d7d6\U0001d7d1",
    "markup_like": "[red]x[/red] <b>y</b> {z}",
    "paste_10k": PASTE_10K,
    "paste_10k_rtl": "\u05e9\u05dc\u05d5\u05dd " * 2_000,
    "paste_10k_escapes": "\x1b[31m" * 2_000,
}
"""Free text: answers, names, anything a holder types."""

NASTY_EMAILS: dict[str, str] = {
    "newline_before_at": "abc\n@nhs.net",
    "crlf_header_injection": "a@nhs.net\r\nBcc: x@nhs.net",
    "fullwidth_local": "\uff4a@nhs.net",
    "fullwidth_domain": "j@\uff4e\uff48\uff53.net",
    "rtl_override": "j\u202e@nhs.net",
    "nul": "j@nhs.net\x00",
    "escape": "\x1b[31mj@nhs.net",
    "emoji": "\U0001f600@nhs.net",
    "homoglyph_domain": "j@nh\u0455.net",
    "lookalike_suffix": "j@nhs.net.evil.com",
    "paste_10k": PASTE_10K + "@nhs.net",
    "empty": "",
}
"""Email addresses that must all be refused (422) by the service and the kiosk."""

NASTY_MOBILES: dict[str, str] = {
    "fullwidth_digits": "\uff10\uff17\uff17\uff10\uff10\uff19\uff10\uff10\uff11\uff12\uff13",
    "mixed_fullwidth_after_07": "07\uff17\uff10\uff10\uff19\uff10\uff10\uff11\uff12\uff13",
    "arabic_indic_after_07": "07\u0667\u0660\u0660\u0669\u0660\u0660\u0661\u0662\u0663",
    "devanagari_after_447": "+447\u0967\u0966\u0966\u096f\u0966\u0966\u0967\u0968\u0969",
    "rtl_mark": "\u200f07700900123",
    "escape": "\x1b[31m07700900123",
    "nul": "07700900123\x00",
    "emoji": "07700900123\U0001f4de",
    "letters": "O77OO9OO123",
    "paste_10k": "07" + "7" * 9_998,
    "empty": "",
}
"""Mobile numbers that must all be refused (422): only ASCII digits make a UK mobile."""
