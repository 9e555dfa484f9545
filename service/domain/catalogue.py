"""The question catalogue and the terms version, from config/."""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from contract.wire import Question, Questions


@dataclass(frozen=True)
class Catalogue:
    """The question catalogue."""

    version: str
    questions: dict[str, str]

    @classmethod
    def load(cls, path: Path) -> Catalogue:
        """Read config/questions.toml."""
        with open(path, "rb") as f:
            data = tomllib.load(f)
        questions = {str(q["id"]): str(q["text"]) for q in data["questions"]}
        return cls(version=str(data["version"]), questions=questions)

    def asked(self, question_ids: list[str]) -> list[Question]:
        """These questions with their texts, in this order."""
        return [Question(id=q, text=self.questions[q]) for q in question_ids]

    @cached_property
    def wire(self) -> Questions:
        """The whole catalogue as GET /v1/questions answers it."""
        return Questions(version=self.version, questions=self.asked(list(self.questions)))

    @cached_property
    def etag(self) -> str:
        """A strong ETag of the catalogue (a kiosk revalidates with If-None-Match)."""
        digest = hashlib.sha256(json.dumps(self.wire.model_dump()).encode()).hexdigest()
        return f'"{digest[:32]}"'


def load_terms_version(path: Path) -> str:
    """The current terms version from config/terms.toml."""
    with open(path, "rb") as f:
        return str(tomllib.load(f)["version"])
