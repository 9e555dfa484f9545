"""Every code the service can write into the audit has a phrase on the RA's screens
(issue 17): the audit types and outcomes the RA sees among a holder's recent events,
and the refusal reasons of the report (the problem codes).

The codes are read from the service's source, at every call of `record` and
`refusals_recorded`: a new audit type or outcome written there without a phrase in
`screens/ra_wording.py` fails here, and so does a call whose codes this test cannot
work out (say where they come from below, in WIRE or by a literal).
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import get_args

import pytest

from contract.language import Language, translate
from contract.problems import ProblemCode
from contract.ra_wire import SignOutIn
from contract.wire import ResultIn
from screens import ra_wording
from service.domain.registrations import REGISTRATION
from service.domain.unlocks import UNLOCK

SERVICE = Path(__file__).resolve().parents[2] / "service"
RECORDERS = {"record", "refusals_recorded"}
"""The service's audit writers: (parts, conn, type, outcome, ...)."""
FLOWS = (UNLOCK, REGISTRATION)
"""The code steps' variants (their audit types are made from their names)."""
WIRE = {
    "reason": set(get_args(SignOutIn.model_fields["reason"].annotation)),
    "outcome": set(get_args(ResultIn.model_fields["outcome"].annotation)),
}
"""Parameters whose values come from a request body, checked there by these Literals."""


def _functions_of(tree: ast.Module, node: ast.AST) -> list[ast.FunctionDef]:
    """The functions around `node`, innermost first."""
    around = [
        fn
        for fn in ast.walk(tree)
        if isinstance(fn, ast.FunctionDef) and any(n is node for n in ast.walk(fn))
    ]
    return sorted(around, key=lambda fn: fn.lineno, reverse=True)


def _strings(node: ast.AST) -> set[str] | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        body, orelse = _strings(node.body), _strings(node.orelse)
        return body | orelse if body is not None and orelse is not None else None
    return None


class Codes:
    """The audit types and outcomes the service writes, worked out from its source."""

    def __init__(self) -> None:
        self.types: set[str] = set()
        self.outcomes: set[str] = set()
        self.unknown: list[str] = []
        self.trees = {path: ast.parse(path.read_text()) for path in SERVICE.rglob("*.py")}
        for path, tree in self.trees.items():
            for call in ast.walk(tree):
                if self._is_recorder(call) and len(call.args) >= 3:  # type: ignore[attr-defined]
                    assert isinstance(call, ast.Call)
                    where = f"{path.relative_to(SERVICE.parent)}:{call.lineno}"
                    self._add(self.types, tree, call, call.args[2], where)
                    if len(call.args) >= 4:
                        self._add(self.outcomes, tree, call, call.args[3], where)

    @staticmethod
    def _is_recorder(node: ast.AST) -> bool:
        return (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in RECORDERS
        )

    def _add(
        self, into: set[str], tree: ast.Module, call: ast.Call, arg: ast.AST, where: str
    ) -> None:
        found = self._resolve(tree, call, arg)
        if found is None:
            self.unknown.append(f"{where}: {ast.unparse(arg)}")
        else:
            into |= found

    def _resolve(self, tree: ast.Module, call: ast.Call, arg: ast.AST) -> set[str] | None:
        found = _strings(arg)
        if found is not None:
            return found
        text = ast.unparse(arg)
        if text == "refusal.code":
            return {code.value for code in ProblemCode}
        if text.endswith(".code_step"):
            return {flow.code_step for flow in FLOWS}
        if text == "f'{kind.name}_resend'":
            return {f"{flow.name}_resend" for flow in FLOWS}
        if not isinstance(arg, ast.Name):
            return None
        for fn in _functions_of(tree, call):
            found = self._name_in(fn, arg.id)
            if found is not None or arg.id in [a.arg for a in fn.args.args]:
                return found
        return None

    def _name_in(self, fn: ast.FunctionDef, name: str) -> set[str] | None:
        """A local given only strings (None aside: nothing is written then), or a
        parameter: what the request body or every caller gives it."""
        assigned = [
            node.value
            for node in ast.walk(fn)
            if isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
            and not (isinstance(node.value, ast.Constant) and node.value.value is None)
        ]
        if assigned:
            values = [_strings(value) for value in assigned]
            if any(v is None for v in values):
                return None
            return set().union(*(v for v in values if v is not None))
        params = [a.arg for a in fn.args.args]
        if name not in params:
            return None
        if fn.name in RECORDERS:
            return set()  # the writers themselves: their callers are read
        if name in WIRE:
            return WIRE[name]
        return self._from_callers(fn, params.index(name), name)

    def _from_callers(self, fn: ast.FunctionDef, index: int, name: str) -> set[str] | None:
        """A parameter: the strings every caller passes for it."""
        found: set[str] = set()
        calls = 0
        for tree in self.trees.values():
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                callee = node.func
                called = callee.id if isinstance(callee, ast.Name) else getattr(callee, "attr", "")
                if called != fn.name:
                    continue
                calls += 1
                given = [k.value for k in node.keywords if k.arg == name]
                if not given and len(node.args) > index:
                    given = [node.args[index]]
                strings = _strings(given[0]) if given else None
                if strings is None:
                    return None
                found |= strings
        return found if calls else None


@pytest.fixture(scope="module")
def codes() -> Codes:
    return Codes()


def test_every_call_that_writes_the_audit_is_understood(codes: Codes) -> None:
    assert not codes.unknown, "say where these codes come from: " + "; ".join(codes.unknown)
    # The reading itself finds what is known to be there.
    assert {"unlock_code", "registration_resend", "ra_unlock_result"} <= codes.types
    assert {"ok", "unlocked", "card_error", "idle", "role_revoked"} <= codes.outcomes


def test_every_audit_type_the_service_writes_has_a_phrase(codes: Codes) -> None:
    missing = sorted(codes.types - set(ra_wording.EVENTS))
    assert not missing, f"add to screens/ra_wording.py EVENTS: {missing}"
    stale = sorted(set(ra_wording.EVENTS) - codes.types)
    assert not stale, f"no longer written by the service: {stale}"


def test_every_outcome_and_refusal_has_a_phrase(codes: Codes) -> None:
    problems = {code.value for code in ProblemCode}
    assert set(ra_wording.REFUSALS) == problems
    missing = sorted(codes.outcomes - problems - set(ra_wording.OUTCOMES))
    assert not missing, f"add to screens/ra_wording.py OUTCOMES: {missing}"
    stale = sorted(set(ra_wording.OUTCOMES) - codes.outcomes)
    assert not stale, f"no longer written by the service: {stale}"
    assert not set(ra_wording.OUTCOMES) & problems, "a problem code is a refusal"


def test_the_phrases_are_in_welsh_too() -> None:
    for phrase in [*ra_wording.EVENTS.values(), *ra_wording.OUTCOMES.values(),
                   *ra_wording.REFUSALS.values()]:  # fmt: skip
        assert translate(phrase, Language.WELSH) != phrase, phrase
