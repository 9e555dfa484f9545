"""Renders bench/RESULTS.md from the machine facts and the benchmarks' result dicts."""

from __future__ import annotations

from typing import Any

NOT_MEASURED = "not measured yet"


def ms(seconds: Any) -> str:
    """Seconds as milliseconds, or a dash."""
    return f"{seconds * 1000:.1f} ms" if isinstance(seconds, int | float) else "-"


def num(value: Any, digits: int = 0) -> str:
    """A number with `digits` decimals, or a dash."""
    return f"{value:,.{digits}f}" if isinstance(value, int | float) else "-"


def times(value: Any) -> str:
    """A ratio as 1.23x, or a dash."""
    return f"{value:.2f}x" if isinstance(value, int | float) else "-"


def verdict(value: Any, target: float) -> str:
    """'met' or 'NOT met' for a ratio against its target."""
    if not isinstance(value, int | float):
        return "-"
    return "met" if value <= target else "**NOT met**"


def at_least(value: Any, target: float) -> str:
    """'met' or 'NOT met' for a figure that must reach `target`."""
    if not isinstance(value, int | float):
        return "-"
    return "met" if value >= target else "**NOT met**"


def measured_apart(r: dict[str, Any]) -> list[str]:
    """A line saying when and under what load a section re-measured on its own ran."""
    box = r.get("machine")
    if not isinstance(box, dict):
        return []
    return [
        f"This section was measured on {box.get('date')} ({box.get('cpu')}, nproc "
        f"{box.get('nproc')}, memory {box.get('memory_gib')} GiB; "
        f"{load_said(box.get('loadavg_at_start'), box.get('nproc'))}).",
        "",
    ]


def load_said(load: Any, nproc: Any) -> str:
    """The load average at a section's start, and what it means for reading it."""
    quiet = isinstance(load, list) and load and isinstance(nproc, int) and load[0] < nproc
    said = (
        "fewer tasks waiting than cores"
        if quiet
        else "the machine was busy (other work, or the sections run just before)"
    )
    return (
        f"load average at its start {load if load else '-'}: {said}, "
        "so read ratios within the section only"
    )


def _error(result: dict[str, Any] | None) -> str | None:
    if result is None:
        return "not run in this mode"
    if "error" in result:
        return f"failed: `{str(result['error']).strip().splitlines()[-1][:300]}`"
    return None


def _latency_row(label: str, stats: dict[str, Any] | None, target: float | None = None) -> str:
    s = stats or {}
    cells = [label, str(s.get("n", "-")), ms(s.get("median")), ms(s.get("p95"))]
    cells += [times(s.get("ratio_median")), times(s.get("ratio_p95"))]
    cells.append(verdict(s.get("ratio_p95"), target) if target else "")
    return "| " + " | ".join(cells) + " |"


_LAT_HEAD = (
    "| | n | median | p95 | ratio median | ratio p95 | target p95 <= 1.5x |\n"
    "|---|---|---|---|---|---|---|"
)


def card_section(r: dict[str, Any] | None) -> list[str]:
    """1. Card noticed."""
    out = ["## 1. Card noticed", ""]
    err = _error(r)
    if err or r is None:
        return [*out, err or NOT_MEASURED, ""]
    out += [
        f"vpcd socket connected (`VirtualCard.connect()` returned) to the insertion seen; "
        f"{r['cycles']} insert/remove cycles per phase, a random 0-0.4 s pause between "
        "cycles. The floor is a bare `SCardGetStatusChange` loop watching the *same* "
        "insertions in the same process. pcscd polls vpcd every 400 ms, so the floor "
        "itself spreads over ~0.1-0.5 s.",
        "",
        _LAT_HEAD,
    ]
    w = r.get("watcher_phase", {})
    if "floor" in w:
        out.append(_latency_row("floor (phase 1): bare status-change loop", w["floor"]))
        out.append(_latency_row("`card.watcher.CardWatcher` CardInserted", w.get("watcher")))
    a = r.get("app_phase", {})
    if "floor" in a:
        out.append(_latency_row("floor (phase 2): bare status-change loop", a["floor"]))
        out.append(
            _latency_row(
                "kiosk app: flow state is `CardStatus` (card read)",
                a.get("app_state_card_status"),
                1.5,
            )
        )
        out.append(
            _latency_row(
                "kiosk app: + Pilot pause (screen refreshed)", a.get("app_after_refresh"), 1.5
            )
        )
        over = (a.get("app_state_card_status") or {}).get("over_floor_s", {})
        out += [
            "",
            f"The app's time over the floor on the same insertion (reading the card over "
            f"PC/SC and the flow step): median {ms(over.get('median'))}, "
            f"p95 {ms(over.get('p95'))}, min {ms(over.get('min'))}. "
            f"Missed cycles: watcher phase {w.get('missed_cycles', '-')}, "
            f"app phase {a.get('missed_cycles', '-')}.",
        ]
    elif "error" in a:
        out += ["", f"App phase failed: `{a['error'][:300]}`"]
    rt = r.get("apdu_round_trip") or {}
    stock, quick = rt.get("stock") or {}, rt.get("quickack") or {}
    if stock.get("median") is not None:
        out += [
            "",
            f"One raw APDU round trip (SCardTransmit GET CHALLENGE, {stock.get('n')} times) on "
            f"this rig: median {ms(stock.get('median'))}, p95 {ms(stock.get('p95'))} with the "
            f"stock `card.virtual.VirtualCard`; median {ms(quick.get('median'))}, p95 "
            f"{ms(quick.get('p95'))} with a bench-only variant that sets TCP_NODELAY and "
            "TCP_QUICKACK on its vpcd socket. (Before the virtual card set these itself, "
            "TCP delayed-ACK / Nagle interplay made one round trip about 44 ms, and the app "
            "missed its target; a cost of the virtual card, never of PC/SC or a real reader.)",
        ]
    out.append("")
    return out


def cold_section(r: dict[str, Any] | None) -> list[str]:
    """2. Cold start."""
    out = ["## 2. Cold start", ""]
    err = _error(r)
    if err or r is None:
        return [*out, err or NOT_MEASURED, ""]
    out += [
        f"{r['runs']} runs of each app, alternating, after one warm-up run of each. A fresh "
        "`python -m bench.launch minimal|stack|kiosk` process, headless under Textual's Pilot "
        "(`run_test`), timed from just before `Popen` to the child's first screen shown "
        "and refreshed (`pilot.pause()`), and to process exit. The floor is a one-`Static` "
        "Textual app. The stack is the same app after importing the third-party libraries "
        "the kiosk stands on (" + ", ".join(f"`{m}`" for m in r.get("stack_modules", [])) + "), "
        "and nothing of ours: what any app on this stack pays. The kiosk is built like "
        "`ssu-kiosk` on real parts (PC/SC card access and watcher on a private pcscd, SQLite "
        "local store, service client).",
        "",
        _LAT_HEAD,
    ]
    m, st, k = r.get("minimal", {}), r.get("stack", {}), r.get("kiosk", {})
    out.append(_latency_row("floor: minimal Textual app, first paint", m.get("first_paint_s")))
    out.append(_latency_row("stack: minimal app + the kiosk's libraries", st.get("first_paint_s")))
    out.append(_latency_row("kiosk: waiting screen painted", k.get("first_paint_s"), 1.5))
    out.append(_latency_row("floor: minimal app, process wall", m.get("process_wall_s")))
    out.append(_latency_row("stack: process wall", st.get("process_wall_s")))
    out.append(_latency_row("kiosk: process wall", k.get("process_wall_s")))
    out.append(
        _latency_row("floor: `python -c 'import textual.app, ...'`", m.get("imports_only_s"))
    )
    out.append(_latency_row("stack: imports only", st.get("imports_only_s")))
    out.append(_latency_row("kiosk: `python -c 'import kiosk.app, ...'`", k.get("imports_only_s")))
    paint = k.get("first_paint_s") or {}
    floor_paint = (m.get("first_paint_s") or {}).get("median")
    stack_paint = (st.get("first_paint_s") or {}).get("median")
    if paint.get("median") and floor_paint and stack_paint:
        ours = paint["median"] - stack_paint
        libs = stack_paint - floor_paint
        out += [
            "",
            f"Where the kiosk's {ms(paint['median'] - floor_paint)} over the floor goes "
            f"(medians): {ms(libs)} is importing the libraries (the stack row), "
            f"{ms(ours)} is ours: our modules, the settings and local store opened, the "
            f"kiosk's stylesheet and chrome. Against the stack the kiosk paints in "
            f"{paint.get('ratio_to_stack_median') or 0:.2f}x (p95 "
            f"{paint.get('ratio_to_stack_p95') or 0:.2f}x).",
        ]
        stack_p95 = (st.get("first_paint_s") or {}).get("ratio_p95") or 0
        if stack_p95 > 1.5:
            out[-1] += (
                f" The stack alone is {stack_p95:.2f}x the floor at p95, so no app that loads "
                "these libraries before its first paint meets the 1.5x target. Meeting it "
                "would take painting a stand-in waiting screen before the settings (pydantic) "
                "are read, without the kiosk's name and RA contacts, and loading the rest "
                "behind it. That is not done: the kiosk starts once per boot or after a crash, "
                "and a screen that changes under the holder's eyes costs more than the few "
                "hundred milliseconds it saves."
            )
    out.append("")
    return out


def typing_section(r: dict[str, Any] | None, term: dict[str, Any] | None = None) -> list[str]:
    """3. Typing: under Pilot, and in a real terminal."""
    out = ["## 3. Typing in a masked field", "", "### In a real terminal", ""]
    err = _error(term)
    if err or term is None:
        out += [err or NOT_MEASURED, ""]
    else:
        floor, kiosk = term.get("floor") or {}, term.get("kiosk") or {}
        head = _LAT_HEAD.replace("target p95 <= 1.5x", "keys with no answer")
        out += [
            term.get("how", ""),
            "",
            head,
            _latency_row("floor: first byte back", floor.get("first_byte"))[:-3]
            + f" {floor.get('missed', '-')} |",
            _latency_row("floor: screen updated (end of burst)", floor.get("updated")),
            _latency_row("kiosk: first byte back", kiosk.get("first_byte"))[:-3]
            + f" {kiosk.get('missed', '-')} |",
            _latency_row("kiosk: screen updated (end of burst)", kiosk.get("updated")),
            "",
        ]
    out += ["### Under Pilot", ""]
    err = _error(r)
    t = (r or {}).get("typing")
    if err or not t:
        return [*out, err or NOT_MEASURED, ""]
    out += [
        t.get("how", ""),
        "",
        _LAT_HEAD.replace("target p95 <= 1.5x", "note"),
        _latency_row("floor: bare `Input(password=True)`", t.get("floor")),
        _latency_row("kiosk code field (`SecretInput`)", t),
        "",
        "Most of the floor is the Pilot harness's own settling per press, so read the "
        "ratio and the difference, not the absolute time: median "
        f"{ms((t.get('median') or 0) - ((t.get('floor') or {}).get('median') or 0))} over "
        "the floor.",
        "",
    ]
    return out


def memory_section(
    mem: dict[str, Any] | None, card: dict[str, Any] | None, app: dict[str, Any] | None = None
) -> list[str]:
    """4. Memory."""
    out = ["## 4. Memory (RSS from /proc/self/status VmRSS)", ""]
    rss = ((card or {}).get("app_phase") or {}).get("rss_kib")
    if rss:
        out += [
            "Kiosk app under Pilot (the benchmark process: app, Textual, pyscard, the floor "
            "thread; the demo service is another process):",
            "",
            "| moment | RSS |",
            "|---|---|",
        ]
        out += [f"| {k.replace('_', ' ')} | {num(v)} KiB |" for k, v in rss.items()]
        out.append("")
    else:
        out += ["Kiosk app RSS: " + NOT_MEASURED, ""]
    err = _error(mem)
    if err or mem is None:
        return [*out, "Pure flow journeys: " + (err or NOT_MEASURED), "", *app_memory_part(app)]
    rounds = ", ".join(num(v) for v in mem.get("rss_kib_per_round", []))
    out += [
        f"Pure flow (`kiosk.flow`, tests/kiosk/kiosk_journey.py), whole unlock journeys "
        f"in a row on one carried state, {mem['journeys_per_round']} per round:",
        "",
        f"- RSS idle (imports done): {num(mem.get('rss_kib_idle'))} KiB",
        f"- after the first 200 (warm-up): {num(mem.get('rss_kib_after_first_200'))} KiB",
        f"- after each further round of 200: {rounds} KiB",
        f"- growth after warm-up: {num(mem.get('rss_growth_kib_after_warmup'))} KiB; "
        f"Python heap growth over 200 journeys (tracemalloc): "
        f"{num(mem.get('heap_growth_bytes_per_200'))} bytes",
        f"- speed: {num(mem.get('journeys_per_s'))} journeys/s "
        f"({num(mem.get('ms_per_journey'), 3)} ms each)",
        "",
        *app_memory_part(app),
    ]
    return out


def app_memory_part(r: dict[str, Any] | None) -> list[str]:
    """4, continued: the kiosk app on real parts over many unlock journeys."""
    out = ["### Kiosk app on real parts: idle, mid-journey, unlock journeys in a row", ""]
    err = _error(r)
    if err or r is None:
        return [
            *out,
            "RSS mid-journey and after 200 journeys through the app: " + (err or NOT_MEASURED),
            "",
        ]
    o = r.get("outcome") or {}
    asked, ran = r.get("journeys_asked"), r.get("journeys_run")
    out += [
        f"**{ran} whole unlock journeys run in a row through the app** ({asked} asked"
        + (
            f"; the run stopped at its {num(r.get('budget_s'))} s time budget"
            if o.get("budget_hit")
            else ""
        )
        + f"): {o.get('completed', '-')} completed, **{o.get('failed', '-')} failed**"
        + (f"; stopped early: `{o['stopped']}`" if o.get("stopped") else "")
        + f". {num(r.get('s_per_journey'), 2)} s of wall time per journey, of which the "
        f"holder's four steps took {ms((r.get('machine_s') or {}).get('median'))} (median "
        "machine time, as in section 5 but at the cheap hash cost); the rest is pcscd "
        "noticing the card go in and out (it polls vpcd every 400 ms), the wait for the "
        "mailed code, and the samples.",
        "",
    ]
    out += [f"- failed: {x}" for x in (o.get("reasons") or [])[:10]]
    if o.get("reasons"):
        out.append("")
    samples = r.get("samples") or []
    out += [
        "| moment | RSS | Python blocks | threads | removed widgets alive "
        "| `get_inner_outer` entries | styles caches of gone widgets |",
        "|---|---|---|---|---|---|---|",
    ]
    out += [
        f"| {x['moment']} | {num(x.get('rss_kib'))} KiB | {num(x.get('blocks'))} "
        f"| {x.get('threads', '-')} | {num(x.get('removed_widgets_alive'))} "
        f"| {num(x.get('inner_outer_entries'))} | {num(x.get('styles_caches_of_gone_widgets'))} |"
        for x in samples
    ]
    g = r.get("growth_after_warmup")
    out.append("")
    if g:
        out.append(
            f"Growth after the warm-up (waiting screen after {g['from_journeys']} journeys "
            f"to after {g['to_journeys']}): **{g['rss_kib']:+,} KiB RSS** "
            f"({num(g.get('rss_kib_per_100'), 1)} KiB per 100 journeys), "
            f"{g['blocks']:+,} Python allocated blocks (`sys.getallocatedblocks()`), "
            f"{g['threads']:+} threads, "
            f"{g.get('removed_widgets_alive', 0):+,} removed widgets alive."
        )
        halves = g.get("halves") or []
        if len(halves) == 2:
            out[-1] += (
                " Per 100 journeys, "
                + ", then ".join(
                    f"{num(h['rss_kib_per_100'])} KiB and {num(h['blocks_per_100'])} blocks "
                    f"from {h['from_journeys']} to {h['to_journeys']}"
                    for h in halves
                )
                + "."
            )
        out += _removed_widgets_reading(samples, g)
        out += _inner_outer_reading(
            samples, g, r.get("cleared_caches_blocks") or {}, r.get("textual") or "?"
        )
    else:
        out.append(
            f"Growth after the warm-up: not measured (fewer than {r.get('warmup')} + "
            f"{r.get('sample_every')} journeys ran)."
        )
    h = r.get("heap") or {}
    if "growth_bytes" in h:
        ho = h.get("outcome") or {}
        out.append("")
        out.append(
            f"Python heap growth under tracemalloc, in a second pass of {h['journeys']} "
            f"more journeys (after 5 to warm tracemalloc up; {ho.get('completed', '-')} "
            f"completed, {ho.get('failed', '-')} failed in that pass, the 5 included): "
            f"{num(h['growth_bytes'])} bytes, {num(h.get('growth_bytes_per_journey'))} "
            "bytes per journey. tracemalloc counts only what was allocated once it started: "
            "when a full cache drops an entry made before that, the new entry counts as "
            "growth and the dropped one is not taken off, so with caches full this "
            "overstates growth. Sites that grew most (innermost frame):"
        )
        out.append("")
        out += [
            f"- `{x['where']}`: {x['size_diff']:+,} bytes, {x['count_diff']:+,} blocks"
            for x in (h.get("top") or [])[:6]
        ]
    elif h.get("skipped"):
        out += ["", f"Python heap growth (tracemalloc pass): skipped, {h['skipped']}."]
    else:
        out += [
            "",
            "Python heap growth (tracemalloc pass): not run"
            + (" (the main pass stopped early)." if o.get("stopped") else "."),
        ]
    m = r.get("mail") or {}
    env = ", ".join(f"`{k}={v}`" for k, v in (r.get("service_env") or {}).items())
    out += [
        "",
        "How: the app built by `kiosk.app.make_app` as in section 5 (PC/SC card access "
        "and watcher on a private pcscd + vpcd, the service client, a SQLite local "
        "store), headless under Pilot on the demo world: the service in demo mode as a "
        "subprocess (not counted), the SMTP catcher in this process. Each journey "
        "inserts a fresh locked demo card, then Continue, the answers asked, the mailed "
        "code, a new passcode; it counts as completed only if the flow reached Unlocked, "
        "the card holds the new passcode with 3 tries left, and the app is back on the "
        "waiting screen once the card is out. RSS is the benchmark process's VmRSS after "
        "`gc.collect()` (the app, Textual, pyscard, the virtual card and SMTP catcher "
        "threads), sampled on the waiting screen every "
        f"{r.get('sample_every')} journeys and on the code and new-passcode screens of "
        "the first and last journeys. The SMTP catcher keeps every mail in a list in "
        "this process, which would look like app growth, so the benchmark empties that "
        f"list after every journey: {num(m.get('dropped'))} mails, "
        f"{num((m.get('dropped_bytes') or 0) / 1024)} KiB as bytes, were dropped. "
        f"The service is started with {env}: without them, {asked} unlocks of one card from "
        "one kiosk within minutes would be refused by the per-card and per-holder "
        "(30/min) and per-kiosk (600/min) throttles, and the configured argon2id cost "
        "(about 0.45 s per answers step, in the service process) would spend the time "
        "budget; neither changes what the kiosk holds in memory.",
        "",
    ]
    return out


def _removed_widgets_reading(samples: list[dict[str, Any]], g: dict[str, Any]) -> list[str]:
    """Whether widgets that screens removed stayed alive, from the samples (4, app memory)."""
    after = [x for x in samples if x["moment"].startswith("waiting, after")]
    if not after:
        return []
    end = after[-1]
    alive = end.get("removed_widgets_alive") or 0
    kinds = ", ".join(f"{k} {v:,}" for k, v in (end.get("removed_widgets_by_class") or {}).items())
    if alive and g.get("removed_widgets_alive", 0) > 0:
        text = (
            f"**Leak:** {alive:,} widgets that screens removed were alive at the last sample "
            f"(by class: {kinds}), {g['removed_widgets_alive']:+,} since the warm-up: this "
            "part grows with every journey rather than filling a bounded cache."
        )
        if any(k.endswith("Input") for k in end.get("removed_widgets_by_class") or {}):
            text += (
                " A Textual `Input` (found with textual 8.2.8) subscribes to its screen's "
                "`text_selection_started_signal` on mount with a callback that holds the "
                "field, and the signal forgets subscribers that left the DOM only when it is "
                "published, which never happens with text selection off. "
                "`KioskScreen.replace_fields` (screens/base.py) unsubscribes the fields it "
                "replaces; an input removed any other way is not."
            )
        return ["", text]
    if alive:
        return [
            "",
            f"{alive:,} widgets that screens removed were alive at the last sample (by class: "
            f"{kinds}), no more than after the warm-up: kept, not piling up.",
        ]
    later = [
        x.get("removed_widgets_alive") or 0 for x in after if x["journeys"] >= g["from_journeys"]
    ]
    most = max(later, default=0)
    return [
        "",
        "No widget that a screen removed was alive at the last sample"
        + (
            f" (at most {most:,} at one sample after the warm-up, released by the end)."
            if most
            else ", nor at any sample after the warm-up."
        ),
    ]


def _inner_outer_reading(
    samples: list[dict[str, Any]], g: dict[str, Any], cleared: dict[str, int], textual: str
) -> list[str]:
    """Textual's `StylesCache.get_inner_outer` lru_cache, which keeps gone widgets' lines."""
    first, last = g.get("inner_outer_entries") or [None, None]
    ends = [x for x in samples if x.get("inner_outer_entries") is not None]
    if last is None or not ends:
        return []
    size = ends[-1].get("inner_outer_max")
    text = (
        f"Textual's `StylesCache.get_inner_outer` (textual {textual}, `_styles_cache.py`) is "
        f"a `functools.lru_cache({size})` on an instance method: each entry's key holds a "
        "widget's `StylesCache`, and with it the widget's last rendered lines, after the "
        "widget is gone (Textualize/textual#6665); every widget mounted anew, such as each "
        f"journey's answer fields, adds entries. It held {first:,} entries after the "
        f"warm-up and {last:,} at the end; "
        f"{num(ends[-1].get('styles_caches_of_gone_widgets'))} styles caches of widgets that "
        "no longer exist were alive at the end "
        f"({g.get('styles_caches_of_gone_widgets', 0):+,} since the warm-up). "
    )
    full = next((x for x in ends if size and x["inner_outer_entries"] >= size), None)
    if full is not None:
        text += (
            f"It was full from the sample after {full['journeys']} journeys: from there each "
            "new entry drops the oldest, so the growth it causes has stopped."
        )
    else:
        text += (
            f"It is not full yet: this part grows until it holds {num(size)} entries, then stops."
        )
    if cleared.get("inner_outer") is not None:
        text += (
            " At the very end (after the tracemalloc pass), clearing it freed "
            f"{cleared['inner_outer']:,} Python blocks and left "
            f"{num(cleared.get('styles_caches_of_gone_widgets'))} styles caches of gone "
            "widgets alive; clearing every other functools cache in Textual and Rich freed "
            f"{cleared.get('other_textual_rich', 0):,} blocks more. That is what these "
            "bounded caches alone kept, warm-up included, against "
            f"{g['blocks']:+,} blocks of growth after the warm-up."
        )
    return ["", text]


def unlock_section(r: dict[str, Any] | None) -> list[str]:
    """5. Machine time of a whole unlock."""
    out = ["## 5. Machine time of a whole unlock", ""]
    err = _error(r)
    u = (r or {}).get("unlock")
    if err or not u:
        return [*out, err or NOT_MEASURED, ""]
    out += [
        u.get("how", ""),
        "",
        "| | n | median | p95 | ratio median | ratio p95 |",
        "|---|---|---|---|---|---|",
    ]
    rows = (
        ("floor: raw APDUs + HTTP round trips", u.get("floor")),
        ("  of which APDUs", u.get("floor_apdu")),
        ("  of which HTTP", u.get("floor_http")),
        ("kiosk app, machine time", u.get("app")),
    )
    for label, st in rows:
        st = st or {}
        out.append(
            f"| {label} | {st.get('n', '-')} | {ms(st.get('median'))} | {ms(st.get('p95'))} | "
            + (
                f"{times(u.get('ratio_median'))} | {times(ratio_of(st, u.get('floor'), 'p95'))} |"
                if st is u.get("app")
                else " | |"
            )
        )
    for name, st in (u.get("app_steps") or {}).items():
        out.append(
            f"| app step: {name} | {st.get('n', '-')} | {ms(st.get('median'))} | "
            f"{ms(st.get('p95'))} | | |"
        )
    out += [
        "",
        "The answers step includes the service's 3 argon2id checks and the SMTP hand-off "
        "in both; the new-passcode step includes GET CHALLENGE, the cryptogram call, RESET "
        "RETRY COUNTER and the result report in both.",
        "",
    ]
    return out


def ratio_of(a: dict[str, Any] | None, b: dict[str, Any] | None, key: str) -> float | None:
    """a[key] / b[key] when both are numbers."""
    x, y = (a or {}).get(key), (b or {}).get(key)
    if isinstance(x, int | float) and isinstance(y, int | float) and y:
        return x / y
    return None


def service_section(r: dict[str, Any] | None, journeys_measured: bool = False) -> list[str]:
    """6. Service."""
    out = ["## 6. Service", ""]
    err = _error(r)
    if err or r is None:
        return [*out, err or NOT_MEASURED, ""]
    out += [
        f"`ssu-service serve --demo` after `seed-demo` on a fresh SQLite file (as "
        f"`demo.world.DemoWorld` runs it), against `bench/hello_app.py` (bare FastAPI, sync "
        f"endpoint, same `uvicorn.run(..., log_level='info')`), both one uvicorn process. "
        f"Load: one asyncio HTTP/1.1 keep-alive client, {r['conns']} connections, "
        f"1 s warm-up then {r['seconds_per_endpoint']} s per endpoint, on the same machine "
        f"(client and server share the cores). The per-kiosk throttle is raised for the run "
        f"(`SSU_SERVICE_THROTTLE__PER_KIOSK`), or requests past 600/min would be 429s. "
        "The floor is measured before and after the service's endpoints; each ratio is to "
        "the mean of the two (a single floor moved by a third between runs here). "
        "Targets (issue 14 item 4) for the cheap authenticated endpoints: at least 0.5x the "
        "floor's requests/s, p95 under 50 ms.",
        "",
        *measured_apart(r),
        "| endpoint | requests/s | latency median | latency p95 | latency max | statuses "
        "| ratio to floor | target >= 0.5x, p95 < 50 ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    rows = (
        ("floor: hello `GET /v1/health`, before", "floor_hello"),
        ("`GET /v1/health`", "health"),
        ("`GET /v1/questions` (kiosk token)", "questions"),
        ("`POST /v1/nonces` (kiosk token)", "nonces"),
        ("floor: hello `GET /v1/health`, after", "floor_hello_after"),
    )
    for label, key in rows:
        x = r.get(key) or {}
        lat = x.get("latency_s") or {}
        statuses = ", ".join(f"{k}: {v}" for k, v in (x.get("statuses") or {}).items())
        target = ""
        if key in ("questions", "nonces"):
            p95 = lat.get("p95")
            fast = verdict(p95, 0.050) if isinstance(p95, int | float) else "-"
            target = f"{at_least(x.get('ratio_to_floor'), 0.5)}; {fast}"
        out.append(
            f"| {label} | {num(x.get('rps'))} | {ms(lat.get('median'))} | {ms(lat.get('p95'))} "
            f"| {ms(lat.get('max'))} | {statuses} | {times(x.get('ratio_to_floor'))} | {target} |"
        )
    a = r.get("argon2") or {}
    cost = a.get("cost") or {}
    verify = a.get("verify_s") or {}
    out += [
        "",
        f"Answer checks at the configured argon2id cost (time_cost {cost.get('time_cost')}, "
        f"memory_cost {cost.get('memory_cost')} KiB, parallelism {cost.get('parallelism')}; "
        f"argon2-cffi `PasswordHasher.verify`, one calling thread, {a.get('checks')} checks):",
        "",
        f"- {num(a.get('checks_per_s_one_caller'), 1)} checks/s from one caller "
        f"(verify median {ms(verify.get('median'))}, p95 {ms(verify.get('p95'))})",
        f"- {num(a.get('checks_per_cpu_s'), 1)} checks per CPU-second, i.e. per core "
        f"({ms(a.get('cpu_s_per_check'))} of CPU each, all argon2 lanes counted)",
        "- one answers submission checks 3 answers: about "
        f"{num((a.get('checks_per_cpu_s') or 0) / 3, 1)} submissions per core per second",
        "",
        "Journeys per second with 20, 100, 200 and 1000 simulated kiosks on SQLite: "
        + ("see 6b below." if journeys_measured else NOT_MEASURED + "."),
        "",
    ]
    return out


def _phase_row(p: dict[str, Any]) -> str:
    lat = p.get("journey_s") or {}
    failed = ", ".join(f"{k}: {v}" for k, v in (p.get("failed") or {}).items()) or "0"
    statuses = ", ".join(f"{k}: {v}" for k, v in (p.get("statuses") or {}).items())
    label = f"{p.get('kiosks')}" + (" (floor)" if p.get("kiosks") == 1 else "")
    cells = [
        label,
        f"{num(p.get('window_s'))} + {num(p.get('grace_s'))} s",
        num(p.get("journeys_per_s"), 2),
        times(p.get("ratio_to_floor")),
        ms(lat.get("median")),
        ms(lat.get("p95")),
        f"{p.get('completed', '-')} ({p.get('completed_in_window', '-')} in window)",
        str(p.get("timed_out", "-"))
        + (
            " (at " + ", ".join(f"{k} {v}" for k, v in p["timed_out_at"].items()) + ")"
            if p.get("timed_out_at")
            else ""
        ),
        failed,
        ("yes" if p.get("zero_5xx") else f"**NO: {p.get('server_errors')}**"),
        statuses,
    ]
    return "| " + " | ".join(cells) + " |"


def _admission_rows(phases: list[dict[str, Any]]) -> list[str]:
    """Admission under load (issue 14): refusals waited out, abandoned, RSS, health."""
    if not any("busy_refusals" in p for p in phases):
        return []
    out = [
        "| kiosks | 503 service_busy waited out | refused, then completed | abandoned "
        "| cut off by the phase's end | service peak RSS | /v1/health p50 | p99 | max "
        "| unanswered | /v1/ready p99 |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for p in phases:
        health = p.get("health") or {}
        ready = p.get("ready") or {}
        rss = p.get("service_peak_rss_kib")
        # Older runs counted the cut-off journeys as abandoned.
        cut_off = p.get("cut_off")
        out.append(
            "| "
            + " | ".join(
                [
                    str(p.get("kiosks")),
                    num(p.get("busy_refusals"))
                    + (
                        " (" + ", ".join(f"{k} {v}" for k, v in p["busy_by_call"].items()) + ")"
                        if p.get("busy_by_call")
                        else ""
                    ),
                    num(p.get("refused_then_completed")),
                    num(p.get("abandoned")),
                    num(cut_off) if cut_off is not None else "(in abandoned)",
                    f"{rss / 1024:.0f} MiB" if isinstance(rss, int) else "-",
                    ms(health.get("median")),
                    ms(health.get("p99")),
                    ms(health.get("max")),
                    num(health.get("failures")),
                    ms(ready.get("p99")),
                ]
            )
            + " |"
        )
    return [*out, ""]


def _cpu_rows(phases: list[dict[str, Any]]) -> list[str]:
    """Who had the cores in each phase: the load, the service's and the client's CPU."""
    if not any("service_cpu_s" in p for p in phases):
        return []
    out = [
        "| kiosks | load average at the phase's start | phase wall time | service CPU "
        "| client CPU (the simulated kiosks and the SMTP catcher) "
        "| service CPU per completed journey |",
        "|---|---|---|---|---|---|",
    ]
    for p in phases:
        done = p.get("completed") or 0
        service_cpu = p.get("service_cpu_s")
        per = (
            f"{service_cpu / done:.2f} s" if isinstance(service_cpu, int | float) and done else "-"
        )
        out.append(
            f"| {p.get('kiosks')} | {p.get('loadavg_at_start', '-')} | {num(p.get('wall_s'))} s "
            f"| {num(service_cpu, 1)} s | {num(p.get('client_cpu_s'), 1)} s | {per} |"
        )
    return [*out, ""]


def _targets(phases: list[dict[str, Any]]) -> list[str]:
    """Issue 14's targets for the loaded phases, met or not (never asserted in tests)."""
    loaded = [p for p in phases if p.get("kiosks") in (100, 200, 1000)]
    if not loaded:
        return []
    out = [
        "| kiosks | journeys/s >= 0.8x the 1-kiosk rate | 0 abandoned | 0 5xx but the 503 "
        "| /v1/health p99 < 50 ms |",
        "|---|---|---|---|---|",
    ]
    for p in loaded:
        health = p.get("health") or {}
        out.append(
            f"| {p.get('kiosks')} | {at_least(p.get('ratio_to_floor'), 0.8)} "
            f"({times(p.get('ratio_to_floor'))}) "
            f"| {'met' if p.get('abandoned') == 0 else '**NOT met**'} ({num(p.get('abandoned'))}) "
            f"| {'met' if p.get('zero_5xx') else '**NOT met**'} "
            f"| {verdict(health.get('p99'), 0.050)} ({ms(health.get('p99'))}) |"
        )
    return [*out, ""]


def _journeys_reading(r: dict[str, Any], service: dict[str, Any] | None, cores: Any) -> list[str]:
    """How to read 6b: the argon2 ceiling from section 6's checks per core, same run."""
    per_check = ((service or {}).get("argon2") or {}).get("cpu_s_per_check")
    variants = r.get("variants") or []
    if not variants or not isinstance(per_check, int | float) or not isinstance(cores, int):
        return []
    out = [
        f"Reading it: at the configured cost a journey's 3 answer checks take about "
        f"{ms(3 * per_check)} of CPU (section 6), so this {cores}-core machine, shared with "
        f"the simulated kiosks, cannot pass about {num(cores / (3 * per_check), 1)} "
        "journeys/s however many kiosks there are.",
    ]
    largest = (variants[0].get("phases") or [{}])[-1]
    k = largest.get("kiosks")
    if isinstance(k, int) and largest.get("completed", 0) < k:
        out[-1] += (
            f" With {k} kiosks starting at once, their {3 * k} checks need about "
            f"{num(3 * k * per_check / cores, 0)} s of all {cores} cores, more than the "
            "phase lasts. With the journey door the service takes new journeys at the "
            "rate it finishes them and the rest wait at the door (their nonce refused "
            "with a turn), so the journeys under way finish; with the door off they all "
            "start and queue at their answers together. The timed-out column shows where "
            "the journeys stood when the phase ended."
        )
    out[-1] += (
        " Kiosks that start together finish in waves, so the in-window rate of a short "
        "window is coarse; the completed count over window + grace shows the waves."
    )
    return [*out, ""]


def _store(v: dict[str, Any]) -> str:
    """Where a 6b variant ran: backend and service instances (SQLite, one, if not said)."""
    backend = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}.get(v.get("backend", "sqlite"))
    n = v.get("instances", 1)
    return f"{backend}, {n} instance{'s' if n != 1 else ''}"


def journeys_section(
    r: dict[str, Any] | None, service: dict[str, Any] | None = None, cores: Any = None
) -> list[str]:
    """6b. Whole unlock journeys with many kiosks at once."""
    out = [
        "## 6b. Service: whole unlock journeys with many kiosks at once "
        "(SQLite, and PostgreSQL with several instances)",
        "",
    ]
    err = _error(r)
    if err or r is None:
        return [*out, err or NOT_MEASURED, ""]
    out += [
        "One real `ssu-service serve` process (fresh master keys, a fresh SQLite file, "
        "loopback) and a real aiosmtpd SMTP server on loopback catching the codes. Each "
        "simulated kiosk is a `kiosk.service_client.ServiceClient` with its own token, "
        "running whole unlock journeys back to back: nonce, card proof (AES-CMAC) to start, "
        "the 3 answers asked (3 argon2id checks in the service), the mailed code, a "
        "cryptogram, the result report. Every journey uses a holder of its own (set up "
        "registered in-process in one transaction, answer hashes made once at the run's "
        "cost); the per-kiosk throttle is raised, as above. Each phase runs on a freshly "
        "started service over the same database; kiosks start journeys until the window "
        "ends, in-flight ones then get the grace period, and those still running are "
        "cancelled and counted as timed out. **journeys/s = journeys completed inside the "
        "window / window.** The floor is the same service's rate with 1 kiosk, measured "
        "in the same run; the ratio shows how throughput scales with many kiosks at once "
        "(1.00x: no better than one kiosk alone). Journey time is over every completed "
        f"journey (window and grace). Client: {r.get('client', '-')}.",
        "",
        "Admission (issue 14): answer checks run on a bounded pool (one worker per CPU); "
        "an answer step that would wait past `admission.max_wait` (3 s) is refused at "
        "once with 503 `service_busy` + Retry-After, having counted nothing. New journeys "
        "are admitted at their nonce (the journey door, from 2026-11-29): at the rate "
        "answer steps are measured to finish, after a burst of `admission.journey_burst` "
        "(10 s) of checking; a refused nonce's Retry-After books a turn up to 30 s ahead. "
        "In full mode the SQLite phases run a second time with the door opened wide "
        "(`journey_burst` 1e9: nonces refused only while the answer pool is full, as "
        "before the door), in the same run, labelled as such. The simulated "
        "kiosk does what a kiosk must: waits the Retry-After times a random 1 to 1.5 and "
        "sends the same answers with the same Idempotency-Key (a refused nonce: asks "
        "again after the Retry-After). *Abandoned* = journeys the "
        "kiosk gave up (an error it does not wait out: a refusal other than service_busy, "
        "a 5xx, its own timeout, which is longer than the phase); *cut off* = still under "
        "way when the phase's window + grace ended (the timed-out column above): at N "
        "kiosks and R journeys/s, about N - R x (window + grace) journeys are cut off by "
        "the bench itself. `/v1/health` and `/v1/ready` are asked every 100 ms by a probe "
        "process of its own (`bench.health_probe`, as a load balancer would; it shares the "
        "cores with the kiosks but not their interpreter lock or event loop). Targets "
        "(issue 14; read, never asserted in tests): at 100, 200 and 1000 kiosks at least "
        "0.8x the 1-kiosk rate of the same run, 0 abandoned, no 5xx but the documented 503, "
        "/v1/health p99 under 50 ms, peak RSS bounded.",
        "",
    ]
    if r.get("date"):
        box = r.get("machine") or {}
        where = (
            f"{box.get('cpu')}, nproc {box.get('nproc')}, memory {box.get('memory_gib')} GiB"
            if box
            else f"{r.get('cpus', '-')} usable CPUs; the machine is described above"
        )
        out += [
            f"This section was measured on {r['date']} ({where}; "
            f"{load_said(r.get('loadavg_at_start'), box.get('nproc') or r.get('cpus'))}).",
            "",
        ]
    variants = r.get("variants") or []
    for v in variants:
        cost = v.get("argon2") or {}
        out += [
            f"### {v.get('label')}, {_store(v)}: argon2id time_cost {cost.get('time_cost')}, "
            f"memory_cost "
            f"{cost.get('memory_cost')} KiB, parallelism {cost.get('parallelism')}",
            "",
            f"Set-up of {num(v.get('holders'))} registered holders and the kiosks: "
            f"{num(v.get('setup_s'), 2)} s.",
            "",
            "| kiosks | window + grace | journeys/s | ratio to floor | journey p50 "
            "| journey p95 | completed | timed out | failed | zero 5xx (but 503 service_busy) "
            "| statuses |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        out += [_phase_row(p) for p in v.get("phases") or []]
        out.append("")
        out += _admission_rows(v.get("phases") or [])
        out += _cpu_rows(v.get("phases") or [])
        out += _targets(v.get("phases") or [])
    out += _journeys_reading(r, service, cores)
    if variants and not any(p.get("kiosks") == 1000 for p in variants[0].get("phases") or []):
        out += [
            "1000 kiosks: full mode only (`make bench FULL=1`, 90 s window); "
            + NOT_MEASURED
            + " in this run.",
            "",
        ]
    reason = r.get("cheap_variant_reason")
    if reason:
        out += [
            f"The cheap-cost variant ran because {reason}. It is **not** a deployment "
            "figure: it measures the store, the rules and the mail hand-off under "
            "contention with the answer checks made nearly free.",
            "",
        ]
    return out


def _apart_note(results: dict[str, Any]) -> str:
    """Which sections were re-measured later on their own (`python -m bench --only`)."""
    apart = [k for k, v in results.items() if isinstance(v, dict) and "machine" in v]
    if not apart:
        return ""
    return (
        f" Re-measured later on their own (`python -m bench --only {' '.join(apart)}`): "
        "those sections say when, on what and under what load; the rest are from this run."
    )


def render(info: dict[str, Any], results: dict[str, Any], mode: str, total: float) -> str:
    """The whole RESULTS.md."""
    lines = [
        "# Benchmark results",
        "",
        f"Written by `python -m bench --{mode}` (`make bench`"
        + (" FULL=1" if mode == "full" else "")
        + f") on {info['date']}, {total:.0f} s in all. Every ratio is against a floor "
        "measured in the same run on the same machine; these machines are shared and "
        "noisy, so read ratios rather than absolute figures. Raw numbers: `RESULTS.json`."
        + _apart_note(results),
        "",
        "## Machine",
        "",
        f"- CPU: {info['cpu']}; nproc {info['nproc']} (usable {info['affinity']}); "
        f"memory {info['memory_gib']} GiB; kernel {info['kernel']}",
        f"- Python {info['python']}, pcsc-lite {info['pcscd']}, textual {info['textual']}, "
        f"fastapi {info['fastapi']}, uvicorn {info['uvicorn']}, pyscard {info['pyscard']}, "
        f"argon2-cffi {info['argon2-cffi']}",
        f"- load average at start: {info['loadavg_at_start']}",
        "",
    ]
    card = results.get("card_noticed")
    lines += card_section(card)
    lines += cold_section(results.get("cold_start"))
    lines += typing_section(results.get("unlock"), results.get("typing_terminal"))
    lines += memory_section(results.get("memory"), card, results.get("app_memory"))
    lines += unlock_section(results.get("unlock"))
    journeys = results.get("journeys")
    measured = isinstance(journeys, dict) and "error" not in journeys
    lines += service_section(results.get("service"), measured)
    lines += journeys_section(journeys, results.get("service"), info.get("affinity"))
    took = ", ".join(
        f"{k} {v.get('bench_seconds', '-')} s" for k, v in results.items() if isinstance(v, dict)
    )
    lines += ["## Run", "", f"Time per benchmark: {took}.", ""]
    return "\n".join(lines)
