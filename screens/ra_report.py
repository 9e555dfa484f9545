"""The RA manager's report for a chosen period, with a chart (issue 17 item 3).

7, 3 and 9 choose the last 7, 30 or 90 UTC days; D shows two date fields for any
period (the flow checks them: bad input changes nothing). The figures are per day
(the chart of unlocks) and per kiosk (a line each), as the service counted them.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Sparkline, Static

from kiosk.flow.ra_events import RaReportDatesRequested, RaReportPeriodChosen, SubmitReportDates
from kiosk.flow.ra_states import RaReport
from kiosk.flow.states import KioskState
from screens.action_keys import ActionKey, ActionKeysScreen, key_bindings
from screens.language import _, tr
from screens.ra_wording import refusal_phrase
from screens.widgets import TextInput

PERIOD_KEYS = {"7": 7, "3": 30, "9": 90}
"""Key -> the last N UTC days (kiosk.flow.ra_desk.REPORT_PERIODS)."""


class RaReportScreen(ActionKeysScreen):
    """Registrations, unlocks, locks, codes not delivered and refusals; unlocks per day."""

    STATE = RaReport
    HELP_TOPIC = None
    ENTER_CONTINUES = True
    ACTION_KEYS = {
        **{
            key: ActionKey(partial(RaReportPeriodChosen, days), f"Last {days} days")
            for key, days in PERIOD_KEYS.items()
        },
        "d": ActionKey(RaReportDatesRequested, "Choose the days"),
    }
    BINDINGS = key_bindings(ACTION_KEYS)

    AUTO_FOCUS = None
    _choosing: bool = False

    def compose_body(self) -> ComposeResult:
        """Heading, the period, the date fields (on D), the chart and the figures."""
        yield Static(_("Self-service and RA desk report"), classes="heading")
        yield Static("", id="period", classes="lead")
        yield Static("", id="error", classes="error")
        with Vertical(id="dates"):
            yield Static(_("First day (YYYY-MM-DD):"), classes="field-label")
            yield TextInput(placeholder="2026-11-01", id="since", classes="contact", max_length=10)
            yield Static(_("Last day (YYYY-MM-DD):"), classes="field-label")
            yield TextInput(placeholder="2026-11-30", id="until", classes="contact", max_length=10)
        with Vertical(id="figures"):
            yield Static(_("Unlocks per day (self-service and assisted):"), classes="field-label")
            yield Sparkline([], id="unlocks")
            yield Static("", id="chart-ends", classes="detail")
            yield Static("", id="totals", classes="lead")
            yield Static("", id="kiosks", classes="detail")
            yield Static(
                _(
                    "The same figures as CSV, per day and kiosk: `ssu-service report` on the "
                    "service, or the desk's report.csv (docs/api.md)."
                ),
                classes="detail",
            )

    def render_state(self, screen: Any, state: KioskState) -> None:
        """The period, then the date fields or the chart of unlocks per day and the totals."""
        assert isinstance(screen, RaReport)
        self.set_text("error", screen.error)
        self._show_dates(screen)
        self.set_text(
            "period",
            _("From {since} to {until} (UTC days).", since=screen.since, until=screen.until)
            if not screen.loading
            else _(
                "Counting {since} to {until} (UTC days)…", since=screen.since, until=screen.until
            ),
        )
        self.KEY_HINTS = (
            (("Enter", _("Show the report")), ("Esc", _("Back to the report")))
            if screen.choosing_dates
            else (
                ("7 3 9", _("Last 7, 30 or 90 days")),
                ("D", _("Choose the days")),
                ("Esc", _("Back")),
            )
        )
        report = screen.report
        figures = self.query_one("#figures", Vertical)
        figures.display = report is not None and not screen.choosing_dates
        chart = self.query_one("#unlocks", Sparkline)
        if report is None:
            chart.data = []
            return
        chart.data = [float(n) for n in report.unlocks_per_day]
        peak = max(report.unlocks_per_day, default=0)
        self.set_text(
            "chart-ends",
            _(
                "{first} … {last}, at most {peak} a day",
                first=report.days[0],
                last=report.days[-1],
                peak=peak,
            ),
        )
        refusals = ", ".join(f"{refusal_phrase(code)} {n}" for code, n in report.refusals)
        self.set_text(
            "totals",
            _(
                "Registrations: {registrations}\n"
                "Unlocks: {self_service} self-service, {assisted} assisted by an RA\n"
                "Self-service locks: {locks}\n"
                "Codes not delivered: {not_delivered}\n"
                "Refusals by reason: {refusals}",
                registrations=report.registrations,
                self_service=report.unlocks_self_service,
                assisted=report.unlocks_assisted,
                locks=report.locks,
                not_delivered=report.codes_not_delivered,
                refusals=refusals or _("none"),
            ),
        )
        self.set_text("kiosks", "\n".join(tr(line) for line in report.kiosks) or None)

    def fields(self) -> list[Input]:
        """The date fields, only while they are on show (else 7, 3, 9 and D are keys)."""
        return super().fields() if self._choosing else []

    def _show_dates(self, screen: RaReport) -> None:
        dates = self.query_one("#dates", Vertical)
        dates.display = screen.choosing_dates
        for field in self.query(Input):
            # Hidden fields never take the cursor (nor 7, 3, 9 or D typed into them).
            field.can_focus = screen.choosing_dates
        if screen.choosing_dates and not self._choosing:
            # The fields open with the period on show, to be changed rather than retyped.
            self.query_one("#since", Input).value = screen.since
            self.query_one("#until", Input).value = screen.until
            self.set_focus(self.query_one("#since", Input))
        elif not screen.choosing_dates and isinstance(self.focused, Input):
            self.set_focus(None)
        self._choosing = screen.choosing_dates

    def submit_step(self) -> None:
        """Enter in the last field: the days as typed; the flow checks them."""
        since = self.query_one("#since", Input).value
        until = self.query_one("#until", Input).value
        self.intent(SubmitReportDates(since=since, until=until))
