"""The RA manager's report: the last 30 days at a glance, with a chart (issue 17 item 3)."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Sparkline, Static

from kiosk.flow.ra_states import RaReport
from kiosk.flow.states import KioskState
from screens.base import KioskScreen
from screens.language import _, tr


class RaReportScreen(KioskScreen):
    """Registrations, unlocks, locks, codes not delivered and refusals; unlocks per day."""

    STATE = RaReport
    HELP_TOPIC = None
    ENTER_CONTINUES = True
    KEY_HINTS = (("Esc", _("Back")),)

    def compose_body(self) -> ComposeResult:
        """Heading, the chart and the figures."""
        yield Static(_("Self-service and RA desk report"), classes="heading")
        yield Static("", id="period", classes="lead")
        yield Static("", id="error", classes="error")
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
        """The chart of unlocks per day, then the totals and each kiosk's figures."""
        assert isinstance(screen, RaReport)
        self.set_text("error", screen.error)
        report = screen.report
        chart = self.query_one("#unlocks", Sparkline)
        if report is None:
            self.set_text("period", _("Counting…") if screen.error is None else None)
            chart.data = []
            for widget_id in ("chart-ends", "totals", "kiosks"):
                self.set_text(widget_id, None)
            return
        self.set_text(
            "period",
            _("From {since} to {until} (UTC days).", since=report.since, until=report.until),
        )
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
        refusals = ", ".join(f"{code} {n}" for code, n in report.refusals) or _("none")
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
                refusals=refusals,
            ),
        )
        self.set_text("kiosks", "\n".join(tr(line) for line in report.kiosks) or None)
