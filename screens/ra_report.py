"""The RA manager's report: the last 30 days at a glance, with a chart (issue 17 item 3)."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Sparkline, Static

from kiosk.flow.ra_states import RaReport
from kiosk.flow.states import KioskState
from screens.base import KioskScreen


class RaReportScreen(KioskScreen):
    """Registrations, unlocks, locks, codes not delivered and refusals; unlocks per day."""

    STATE = RaReport
    HELP_TOPIC = None
    ENTER_CONTINUES = True
    KEY_HINTS = (("Esc", "Back"),)

    def compose_body(self) -> ComposeResult:
        """Heading, the chart and the figures."""
        yield Static("Self-service and RA desk report", classes="heading")
        yield Static("", id="period", classes="lead")
        yield Static("", id="error", classes="error")
        yield Static("Unlocks per day (self-service and assisted):", classes="field-label")
        yield Sparkline([], id="unlocks")
        yield Static("", id="chart-ends", classes="detail")
        yield Static("", id="totals", classes="lead")
        yield Static("", id="kiosks", classes="detail")
        yield Static(
            "The same figures as CSV, per day and kiosk: `ssu-service report` on the "
            "service, or the desk's report.csv (docs/api.md).",
            classes="detail",
        )

    def render_state(self, screen: Any, state: KioskState) -> None:
        """The chart of unlocks per day, then the totals and each kiosk's figures."""
        assert isinstance(screen, RaReport)
        self.set_text("error", screen.error)
        report = screen.report
        chart = self.query_one("#unlocks", Sparkline)
        if report is None:
            self.set_text("period", "Counting…" if screen.error is None else None)
            chart.data = []
            for widget_id in ("chart-ends", "totals", "kiosks"):
                self.set_text(widget_id, None)
            return
        self.set_text("period", f"From {report.since} to {report.until} (UTC days).")
        chart.data = [float(n) for n in report.unlocks_per_day]
        peak = max(report.unlocks_per_day, default=0)
        self.set_text("chart-ends", f"{report.days[0]} … {report.days[-1]}, at most {peak} a day")
        refusals = ", ".join(f"{code} {n}" for code, n in report.refusals) or "none"
        self.set_text(
            "totals",
            f"Registrations: {report.registrations}\n"
            f"Unlocks: {report.unlocks_self_service} self-service, "
            f"{report.unlocks_assisted} assisted by an RA\n"
            f"Self-service locks: {report.locks}\n"
            f"Codes not delivered: {report.codes_not_delivered}\n"
            f"Refusals by reason: {refusals}",
        )
        self.set_text("kiosks", "\n".join(report.kiosks) or None)
