"""The RA manager's report: what self-service and the RA desks did, per day and kiosk.

Every figure is counted from the audit by the database (`audit.counted_by_day`), so the
report and `audit export` always agree (docs/api.md "The RA desk", `ssu-service report`):

- registrations: `registration_confirm` ok;
- unlocks_self_service: `unlock_result` unlocked; unlocks_assisted: `ra_unlock_result`
  unlocked;
- locks: the `unlock_answers` refusal that locked self-service (detail `locked_now`);
- codes_not_delivered: `mail_not_sent` for a code's mail, and each step that sent one
  of its two codes and owes the other (detail `not_sent`);
- refusals: every other record of the service or an RA desk whose outcome is a
  problem code, by that code (what kiosks report of themselves is not counted).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

from contract.problems import ProblemCode
from contract.ra_wire import ReportOut, ReportRow
from service.domain.audit import record, refusals_recorded
from service.domain.parts import Kiosk, Parts
from service.domain.ra_errors import NotAnRaManager, ReportPeriodInvalid
from service.domain.ra_sessions import live_session, ra_who
from service.queries import audit, holders

MAX_DAYS = 366
NO_KIOSK = "(command line)"
"""The kiosk column of records made on the command line."""
REFUSALS = frozenset(code.value for code in ProblemCode)
"""Outcomes that are refusals: the problem codes."""
CODE_MAILS = frozenset({"unlock-code", "registration-code"})
EPOCH_DAY = date(1970, 1, 1)
MEASURES = (
    "registrations",
    "unlocks_self_service",
    "unlocks_assisted",
    "locks",
    "codes_not_delivered",
)


def _measure(
    kind: str, outcome: str, locked_now: bool, code_mail: bool, code_owed: bool
) -> str | None:
    if kind == "registration_confirm" and outcome == "ok":
        return "registrations"
    if kind == "unlock_result" and outcome == "unlocked":
        return "unlocks_self_service"
    if kind == "ra_unlock_result" and outcome == "unlocked":
        return "unlocks_assisted"
    if kind == "unlock_answers" and locked_now:
        return "locks"
    if (kind == "mail_not_sent" and code_mail) or code_owed:
        return "codes_not_delivered"
    return None


def figures(parts: Parts, since: date, until: date) -> ReportOut:
    """The report for the UTC days since..until, both included.

    The database counts (by day, kiosk, type and outcome); here its counts are only
    put into the report's rows.

    Raises:
        ReportPeriodInvalid: until before since, or more than MAX_DAYS days.
    """
    if until < since or (until - since).days + 1 > MAX_DAYS:
        raise ReportPeriodInvalid()
    start = datetime(since.year, since.month, since.day, tzinfo=UTC).timestamp()
    end = (datetime(until.year, until.month, until.day, tzinfo=UTC) + timedelta(days=1)).timestamp()
    counts: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: dict.fromkeys(MEASURES, 0))
    refusals: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    with parts.engine.connect() as conn:
        groups = audit.counted_by_day(conn, start, end, tuple(sorted(CODE_MAILS)))
    for group in groups:
        key = (EPOCH_DAY + timedelta(days=group.day)).isoformat(), group.kiosk or NO_KIOSK
        measure = _measure(
            group.type,
            group.outcome,
            bool(group.locked_now),
            bool(group.code_mail),
            bool(group.code_owed),
        )
        if measure is not None:
            counts[key][measure] += group.n
        if group.type != "mail_not_sent" and group.outcome in REFUSALS:
            counts[key]  # a row for the day even when only refusals happened
            refusals[key][group.outcome] += group.n
    rows = [
        _row(day, kiosk, counts[(day, kiosk)], refusals[(day, kiosk)])
        for day, kiosk in sorted(counts)
    ]
    total_counts = {name: sum(getattr(row, name) for row in rows) for name in MEASURES}
    total_refusals: dict[str, int] = defaultdict(int)
    for row in rows:
        for code, n in row.refusals.items():
            total_refusals[code] += n
    totals = _row("total", "all", total_counts, total_refusals)
    return ReportOut(since=since.isoformat(), until=until.isoformat(), rows=rows, totals=totals)


def _row(day: str, kiosk: str, counts: dict[str, int], refused: dict[str, int]) -> ReportRow:
    return ReportRow.model_validate(
        {"day": day, "kiosk": kiosk, **counts, "refusals": dict(sorted(refused.items()))}
    )


def as_csv(report: ReportOut) -> str:
    """The report as CSV: a row per day and kiosk, then the totals; one column per refusal
    reason seen in the period (`refused_<code>`), after a `refusals` total."""
    codes = sorted(report.totals.refusals)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["day", "kiosk", *MEASURES, "refusals", *(f"refused_{c}" for c in codes)])
    for row in [*report.rows, report.totals]:
        writer.writerow(
            [
                row.day,
                _cell(row.kiosk),
                *(getattr(row, name) for name in MEASURES),
                sum(row.refusals.values()),
                *(row.refusals.get(c, 0) for c in codes),
            ]
        )
    return out.getvalue()


def _cell(text: str) -> str:
    """A text cell a spreadsheet will not run as a formula (a kiosk name is free text)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def for_manager(parts: Parts, kiosk: Kiosk, session_id: str, since: date, until: date) -> ReportOut:
    """GET /v1/ra/sessions/{id}/report: the report, for an RA manager's session only.

    Raises:
        RaSessionEnded, NotAnRaManager, ReportPeriodInvalid.
    """
    with parts.transaction() as conn:
        session = live_session(parts, conn, kiosk, session_id)
        ra = holders.get(conn, session.ra_uuid)
        who = {**ra_who(kiosk, session), "since": since.isoformat(), "until": until.isoformat()}
        with refusals_recorded(parts, conn, "ra_report", **who):
            if ra.ra_role != "manager":
                raise NotAnRaManager()
        record(parts, conn, "ra_report", "ok", **who)
    return figures(parts, since, until)
