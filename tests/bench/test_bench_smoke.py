"""The benchmark modules import, and a tiny run gives the keys the report reads.

No timing assertions: the benchmarks are run and read (`make bench`), never judged here.
"""

from __future__ import annotations

import json
from pathlib import Path

from bench import card_noticed, cold_start, service, unlock
from bench.common import machine, parse_emitted, percentile, summary
from bench.memory import flow_journeys
from bench.report import render


def test_statistics_and_machine_facts() -> None:
    stats = summary([3.0, 1.0, 2.0])
    assert stats["n"] == 3 and stats["median"] == 2.0 and stats["p95"] == 3.0
    assert summary([])["median"] is None
    assert percentile([1.0, 2.0], 50) == 1.0
    assert {"nproc", "cpu", "python", "pcscd", "textual", "date"} <= set(machine())
    assert parse_emitted('noise\nBENCH-RESULT {"a": 1}\n') == {"a": 1}


def test_tiny_flow_memory_run_and_a_report() -> None:
    from tests.kiosk.kiosk_journey import Driver

    flow_journeys(Driver.new().state, 3)
    argon = service.argon2_checks(seconds=0.0, max_checks=1)
    assert {"cost", "checks_per_s_one_caller", "checks_per_cpu_s", "verify_s"} <= set(argon)
    text = render(machine(), {"service": {"error": "not run"}}, "quick", 0.0)
    for heading in ("## Machine", "## 1. Card noticed", "## 2. Cold start", "## 6. Service"):
        assert heading in text
    assert "not measured yet" in text
    assert callable(card_noticed.run) and callable(cold_start.run) and callable(unlock.run)


def test_journeys_phases_and_report_section() -> None:
    from bench import journeys

    quick, full = journeys.phases(full=False), journeys.phases(full=True)
    assert [p.kiosks for p in quick] == [1, 20, 100, 200]
    assert [p.kiosks for p in full] == [1, 20, 100, 200, 1000]
    assert all(p.seconds <= 40 for p in quick) and max(p.seconds for p in full) <= 90
    phase = {
        "kiosks": 1,
        "window_s": 1.0,
        "grace_s": 1.0,
        "completed": 2,
        "completed_in_window": 2,
        "timed_out": 0,
        "failed": {},
        "journeys_per_s": 2.0,
        "ratio_to_floor": 1.0,
        "journey_s": summary([0.1, 0.2]),
        "statuses": {"200": 8},
        "zero_5xx": True,
    }
    variant = {"label": "configured cost", "argon2": {}, "phases": [phase]}
    text = render(machine(), {"journeys": {"variants": [variant]}}, "quick", 0.0)
    assert "## 6b." in text and "| 1 (floor) |" in text


def test_journeys_targets_and_a_report_kept_apart(tmp_path: Path) -> None:
    from bench import health_probe  # noqa: F401 - the probe process's module imports
    from bench.__main__ import last_report

    loaded = {
        "kiosks": 100,
        "journeys_per_s": 0.9,
        "ratio_to_floor": 0.9,
        "zero_5xx": True,
        "busy_refusals": 3,
        "abandoned": 0,
        "cut_off": 7,
        "health": {"p99": 0.012},
        "ready": {"p99": 0.013},
    }
    variant = {"label": "configured cost", "argon2": {}, "phases": [loaded]}
    text = render(machine(), {"journeys": {"variants": [variant]}}, "quick", 0.0)
    assert "journeys/s >= 0.8x the 1-kiosk rate" in text
    assert "| 100 | met (0.90x) | met (0) | met | met (12.0 ms) |" in text
    raw = tmp_path / "RESULTS.json"
    assert last_report(raw) is None
    raw.write_text(json.dumps({"machine": machine(), "results": {"service": {}}}))
    kept = last_report(raw)
    assert kept is not None and kept["mode"] == "full" and "service" in kept["results"]
