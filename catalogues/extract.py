"""Babel extractors for the texts that live in config/ rather than in code.

- `terms`: the terms of self-service (config/terms.toml), one message per paragraph,
  as `screens.wording.terms_in_language` looks them up.
- `questions`: the security question catalogue (config/questions.toml), one message
  per question; the kiosk looks each text up as the service sends it.
- `mail`: a mail template (config/mail/*.txt), the whole file as one message, as the
  service's mailer looks it up (its `$name` fields kept as they are).
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from typing import IO, Any

Extracted = tuple[int, str, str, list[str]]


def terms_paragraphs(text: str) -> list[str]:
    """The paragraphs of a terms text, as they are looked up (blank-line separated)."""
    return [paragraph.strip() for paragraph in text.strip().split("\n\n") if paragraph.strip()]


def terms(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any
) -> Iterator[Extracted]:
    """Each paragraph of the terms' `text`."""
    data = tomllib.loads(fileobj.read().decode("utf-8"))
    for paragraph in terms_paragraphs(str(data.get("text", ""))):
        yield 1, "", paragraph, ["The terms of self-service: a paragraph."]


def questions(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any
) -> Iterator[Extracted]:
    """Each question's `text`."""
    data = tomllib.loads(fileobj.read().decode("utf-8"))
    for question in data.get("questions", []):
        yield 1, "", str(question["text"]), [f"Security question {question['id']}."]


def mail(fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any) -> Iterator[Extracted]:
    """The whole template: first line `Subject: ...`; keep every `$field` as it is."""
    yield (
        1,
        "",
        fileobj.read().decode("utf-8"),
        ["A mail template: keep the first line's 'Subject:' and every $field."],
    )
