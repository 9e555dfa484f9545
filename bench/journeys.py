"""Whole unlock journeys per second with many simulated kiosks at once, on SQLite and
on PostgreSQL with several instances.

A real `ssu-service serve` process (fresh master keys in a keys file, a temporary
SQLite file, loopback only) and a real aiosmtpd SMTP server on loopback that catches
the mailed codes. Pieces copied from tests/load (not imported: bench/ stands alone),
except the private PostgreSQL cluster (tests/postgres.py, one copy of that recipe).

Beside each SQLite row, the same phases run on PostgreSQL: three `ssu-service serve`
processes on one database in a private cluster (initdb in a temporary directory,
loopback, stopped at the end; never the system's), the kiosks spread over them in
turn (kiosk n talks to instance n mod 3), as several instances behind a balancer would.

Set-up, in this process, in one transaction each (no subprocess per holder): the
store is migrated, the kiosks are added through `SelfService.add_kiosk`, and the
holders are written registered with their answer hashes, the way
`SelfService.seed_demo` writes the demo holders. Every holder has the same four
answers, hashed once at the phase's argon2 cost and the hashes shared, so set-up is
fast while every answer check the service does costs what it would in a deployment.

One journey, through `kiosk.service_client.ServiceClient` as the kiosk runs it:
nonce, card proof (AES-CMAC of the holder's card key) to start the unlock, the 3
answers asked (3 argon2id checks), the code read from the mail caught on loopback,
a cryptogram, and the result report. Each journey uses a holder of its own, so the
per-card and per-holder throttles never bite; the per-kiosk throttle (600/min) is
raised, as in bench/service.py, since one simulated kiosk runs journeys back to back.

Each phase (1 kiosk as the floor, then 20, 100, 200 and in full mode 1000 kiosks) runs on
a freshly started service process over the same database, so work a cancelled phase
left queued cannot slow the next. Kiosks start journeys until the phase's deadline;
then in-flight journeys get a bounded grace period and the rest are cancelled and
counted as timed out. Bounded in count too: a phase never starts more journeys than
it has holders.

The phases run first at the configured argon2id cost (the service settings'
defaults, what a deployment runs). In quick mode, if at that cost the largest phase
completes fewer journeys than it has kiosks, the same phases run again at the cheap
test cost, labelled as such, so the store and the rules under contention are
measured as well (full mode spends that time on the 1000-kiosk phase instead).

Admission (issue 14): the simulated kiosk honours 503 `service_busy` the way a kiosk
must: it waits the Retry-After (times a random 1 to 1.5, so kiosks do not come back
together) and sends the same answers again with the same Idempotency-Key. Each phase
counts those refusals, the journeys refused and then completed, the journeys
abandoned (the kiosk met an error it does not wait out) apart from those cut off
(still under way when the bench stopped the phase), the service's peak RSS (VmHWM),
and `/v1/health` and `/v1/ready` asked every 100 ms by a probe process of its own
(`bench.health_probe`; p50/p99/max) during the phase.
"""

from __future__ import annotations

import asyncio
import os
import random
import resource
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from email import message_from_bytes
from pathlib import Path
from typing import Any

import httpx
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import insert

from bench.common import LOOPBACK, ROOT, emit, free_port, parse_emitted, ratio, summary
from card.keys import MasterKeys, aes_cmac, write_master_keys
from kiosk.service_client import ServiceClient, ServiceRejected
from service.app import mailer_for
from service.selfservice import SelfService
from service.settings import Argon2Cost, ServiceSettings, load_settings
from service.store import migrate, open_engine
from service.tables import holder_answers, holders
from tests.postgres import PrivatePostgres, bin_dir
from tests.support import mailed_codes

#: The cheap cost every service test uses (tests/service/conftest.py CHEAP_ARGON2).
CHEAP_ARGON2 = Argon2Cost(time_cost=1, memory_cost=8, parallelism=1)
#: Service processes per backend: one on SQLite, three sharing one PostgreSQL database.
INSTANCES = {"sqlite": 1, "postgresql": 3}


@dataclass(frozen=True)
class Phase:
    """One measured phase: how many kiosks, for how long, with how many holders."""

    kiosks: int
    seconds: float
    grace: float
    holders: int


def phases(full: bool) -> list[Phase]:
    """The floor (1 kiosk) then the loaded phases, in order."""
    if full:
        return [
            Phase(1, 20.0, 20.0, 1_000),
            Phase(20, 30.0, 20.0, 2_000),
            Phase(100, 40.0, 20.0, 4_000),
            Phase(200, 40.0, 20.0, 4_000),
            Phase(1000, 90.0, 30.0, 6_000),
        ]
    return [
        Phase(1, 12.0, 10.0, 600),
        Phase(20, 20.0, 10.0, 1_500),
        Phase(100, 30.0, 10.0, 3_000),
        Phase(200, 30.0, 10.0, 3_000),
    ]


# -- the mail catcher (after tests/service/conftest.py Mailbox) ---------------------------


@dataclass
class Mailbox:
    """The code in each mail the loopback SMTP server received, by recipient."""

    codes: dict[str, list[str]] = field(default_factory=dict)
    received: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, _server: SMTP, _session: Session, envelope: Envelope) -> str:  # noqa: N802
        """aiosmtpd hook: keep the code of each mail (if any) under its To."""
        message = message_from_bytes(envelope.original_content or b"")
        body = message.get_payload(decode=True)
        found = mailed_codes(body) if isinstance(body, bytes) else []
        with self.lock:
            self.received += 1
            if found:
                self.codes.setdefault(str(message["To"]), []).append(found[0])
        return "250 OK"

    async def code(self, address: str, timeout: float) -> str:
        """The first code mailed to address, polled on the event loop for up to timeout s."""
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                got = self.codes.get(address)
                if got:
                    return got[0]
            if time.monotonic() > deadline:
                raise TimeoutError(f"no code mailed to {address} in {timeout} s")
            await asyncio.sleep(0.02)


# -- recording every answer's status ---------------------------------------------------


@dataclass
class CountingTransport(httpx.AsyncBaseTransport):
    """Wraps the default transport; counts every raw status (retries included)."""

    statuses: Counter[int]
    busy: Counter[str] = field(default_factory=Counter)
    """503 service_busy answers by path kind (the client waits them out itself)."""
    # Plain HTTP on loopback: no TLS, so no CA bundle read per kiosk (about 55 ms each,
    # which for 1000 kiosks held the phase's start up by minutes on a loaded machine).
    inner: httpx.AsyncBaseTransport = field(
        default_factory=lambda: httpx.AsyncHTTPTransport(verify=False)
    )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send, read the body, count the status (and a 503 service_busy apart)."""
        response = await self.inner.handle_async_request(request)
        body = await response.aread()
        self.statuses[response.status_code] += 1
        if response.status_code == 503 and b'"service_busy"' in body:
            self.busy[request.url.path.rsplit("/", 1)[-1]] += 1
        return response

    async def aclose(self) -> None:
        """Close the wrapped transport."""
        await self.inner.aclose()


# -- the deployment -----------------------------------------------------------------------


@dataclass
class Holder:
    """A registered holder with a card of its own."""

    uuid: str
    serial: str
    email: str


@dataclass
class World:
    """The store, keys, kiosk tokens, holder pools per phase and the answers."""

    db: str
    keys_file: Path
    masters: MasterKeys
    tokens: list[str]
    pools: list[list[Holder]]
    answers: dict[str, str]


def prepare(workdir: Path, cost: Argon2Cost, plan: list[Phase], smtp_port: int, db: str) -> World:
    """Migrate a fresh store at db; add the kiosks and every phase's registered holders."""
    masters = MasterKeys.fresh()
    keys_file = write_master_keys(workdir / "keys.toml", masters)
    settings = ServiceSettings(
        db=db, keys=keys_file, smtp_host=LOOPBACK, smtp_port=smtp_port, argon2=cost
    )
    engine = open_engine(db)
    try:
        migrate(engine)
        service = SelfService(settings, engine, masters, mailer_for(settings))
        tokens = [secrets.token_urlsafe(24) for _ in range(max(p.kiosks for p in plan))]
        for n, token in enumerate(tokens):
            service.add_kiosk(f"bench-kiosk-{n}", token)
        questions = sorted(service.catalogue.questions)[:4]
        answers = {q: f"bench answer to {q}" for q in questions}
        hashes = {q: service.hasher.hash(a) for q, a in answers.items()}
        now = service.now()
        pools: list[list[Holder]] = []
        tag = secrets.token_hex(4)  # mail addresses unique to this world: one catcher serves all
        serial = 0
        for phase_no, phase in enumerate(plan):
            pool = []
            for _ in range(phase.holders):
                serial += 1
                pool.append(
                    Holder(
                        uuid=f"{phase_no + 1:02d}{serial:010d}",
                        serial=f"5353{serial:012x}",
                        email=f"bench.{tag}.holder{serial}@nhs.net",
                    )
                )
            pools.append(pool)
        everyone = [h for pool in pools for h in pool]
        with engine.begin() as conn:
            conn.execute(
                insert(holders),
                [
                    {
                        "uuid": h.uuid,
                        "serial": h.serial,
                        "name": f"Bench Holder {h.uuid}",
                        "email": h.email,
                        "mobile": "07700900123",
                        "registered": True,
                        "terms_version": service.terms_version,
                        "registered_at": now,
                        "failed_attempts": 0,
                        "locked_at": None,
                        "demo": False,
                    }
                    for h in everyone
                ],
            )
            conn.execute(
                insert(holder_answers),
                [
                    {"uuid": h.uuid, "question_id": q, "answer_hash": hashes[q]}
                    for h in everyone
                    for q in questions
                ],
            )
    finally:
        engine.dispose()
    return World(db, keys_file, masters, tokens, pools, answers)


#: The journey door opened wide: a nonce is refused only while the answer pool is full,
#: as before the door (issue 14); the same run then shows what the door changes.
DOOR_OFF = {"SSU_SERVICE_ADMISSION__JOURNEY_BURST": "1000000000"}


def start_service(
    world: World,
    cost: Argon2Cost,
    smtp_port: int,
    log: Path,
    extra_env: dict[str, str] | None = None,
) -> tuple[subprocess.Popen[bytes], str]:
    """`ssu-service serve` on loopback over the world's store; (process, base URL)."""
    port = free_port()
    env = {
        **os.environ,
        **(extra_env or {}),
        "SSU_SERVICE_THROTTLE__PER_KIOSK": "100000000",
        "SSU_SERVICE_ARGON2__TIME_COST": str(cost.time_cost),
        "SSU_SERVICE_ARGON2__MEMORY_COST": str(cost.memory_cost),
        "SSU_SERVICE_ARGON2__PARALLELISM": str(cost.parallelism),
    }
    command = [
        sys.executable,
        *("-m", "service.cli", "serve", "--db", world.db, "--keys", str(world.keys_file)),
        *("--host", LOOPBACK, "--port", str(port)),
        *("--smtp-host", LOOPBACK, "--smtp-port", str(smtp_port)),
    ]
    with open(log, "ab") as sink:
        # A session of its own, so Linux's autogroup scheduling shares the cores between
        # the service and the simulated kiosks as between two machines: in one group the
        # service's niced hashing threads lost the cores to the kiosks' client (issue 14).
        proc = subprocess.Popen(
            command,
            stdout=sink,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )
    url = f"http://{LOOPBACK}:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"service exited: {log.read_text()[-1500:]}")
            try:
                if httpx.get(f"{url}/v1/health", timeout=1).status_code == 200:
                    return proc, url
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"service did not answer; see {log}")
            time.sleep(0.1)
    except BaseException:
        stop(proc)
        raise


def stop(proc: subprocess.Popen[bytes]) -> None:
    """End the service quickly: SIGTERM, 5 s, then SIGKILL (queued work is dropped)."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


# -- one phase ----------------------------------------------------------------------------


@dataclass
class Tally:
    """What a phase saw."""

    done: list[tuple[float, float]] = field(default_factory=list)
    """(end time relative to the phase start, journey seconds) of each completed one."""
    failures: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    started: int = 0
    busy: Counter[str] = field(default_factory=Counter)
    """503 service_busy answers by what was asked (nonces, answers), every one waited out."""
    busy_refusals: int = 0
    """503 service_busy answers on the answer step that the journey itself waited out."""
    refused_then_completed: int = 0
    """Completed journeys that met at least one service_busy first."""


async def journey(
    client: ServiceClient,
    world: World,
    mailbox: Mailbox,
    holder: Holder,
    mail_wait: float,
    step: list[str],
    tally: Tally,
) -> int:
    """One whole unlock journey: nonce, start, answers, code, cryptogram, result.

    step[0] names the step under way, so a cancelled journey says where it stood.
    Returns how many times the answers were refused with service_busy first.
    """
    serial = bytes.fromhex(holder.serial)
    step[0] = "nonce"
    while True:
        try:
            nonce = await client.new_nonce()
            break
        except ServiceRejected as exc:
            # The client waited out service_busy for a minute already; a kiosk whose
            # holder is still there asks again, as the bench's kiosks always do.
            if exc.status != 503 or exc.code != "service_busy":
                raise
            step[0] = "nonce (waiting Retry-After)"
            await asyncio.sleep((exc.retry_after or 1) * random.uniform(1.0, 1.5))
            step[0] = "nonce"
    mac = aes_cmac(world.masters.derive("card_auth", serial), nonce.nonce)
    step[0] = "start"
    started = await client.start_unlock(holder.serial, holder.uuid, nonce.nonce, mac)
    asked = [q.id for q in started.questions]
    step[0] = "answers"
    key = secrets.token_hex(16)
    busy = 0
    while True:
        try:
            await client.send_unlock_answers(
                started.unlock_id, {q: world.answers[q] for q in asked}, idempotency_key=key
            )
            break
        except ServiceRejected as exc:
            if exc.status != 503 or exc.code != "service_busy":
                raise
            busy += 1
            tally.busy_refusals += 1
            step[0] = "answers (waiting Retry-After)"
            await asyncio.sleep((exc.retry_after or 1) * random.uniform(1.0, 1.5))
            step[0] = "answers"
    step[0] = "mail"
    code = await mailbox.code(holder.email, mail_wait)
    step[0] = "code"
    await client.send_unlock_code(started.unlock_id, code)
    step[0] = "cryptogram"
    await client.get_cryptogram(started.unlock_id, secrets.token_bytes(16))
    step[0] = "result"
    await client.report_unlock_result(started.unlock_id, "unlocked", 0x9000)
    return busy


async def run_phase(
    urls: list[str], world: World, mailbox: Mailbox, phase: Phase, pool: list[Holder]
) -> dict[str, Any]:
    """Run `phase.kiosks` kiosks until the deadline, then a bounded grace; the figures."""
    tally = Tally()
    todo = iter(pool)
    timeout = phase.seconds + phase.grace + 5
    transports = [CountingTransport(tally.statuses) for _ in range(phase.kiosks)]
    clients = [
        ServiceClient(
            urls[n % len(urls)],
            world.tokens[n],
            timeout=timeout,
            retries=1,
            transport=transports[n],
        )
        for n in range(phase.kiosks)
    ]
    start = time.perf_counter()
    deadline = start + phase.seconds

    steps = [["idle"] for _ in clients]

    async def kiosk(client: ServiceClient, counted: CountingTransport, step: list[str]) -> None:
        await asyncio.sleep(random.uniform(0, 0.2))
        while time.perf_counter() < deadline:
            holder = next(todo, None)
            if holder is None:
                tally.failures["holders_exhausted"] += 1
                return
            tally.started += 1
            t = time.perf_counter()
            refused_before = sum(counted.busy.values())
            try:
                await journey(client, world, mailbox, holder, phase.grace, step, tally)
            except Exception as exc:  # a refused or failed journey is counted, not fatal
                tally.failures[f"{type(exc).__name__} at {step[0]}"] += 1
                continue
            finally:
                step[0] = "idle"
            end = time.perf_counter()
            tally.done.append((end - start, end - t))
            if sum(counted.busy.values()) > refused_before:
                tally.refused_then_completed += 1

    probe = HealthProbe(urls[0], phase.seconds + phase.grace + 10)
    probe.start()
    probed: dict[str, Any] = {}
    tasks = [
        asyncio.create_task(kiosk(c, x, s))
        for c, x, s in zip(clients, transports, steps, strict=True)
    ]
    try:
        await asyncio.wait(tasks, timeout=phase.seconds + phase.grace)
        stuck = Counter(s[0] for t, s in zip(tasks, steps, strict=True) if not t.done())
        timed_out = sum(stuck.values())
    finally:
        probed = probe.stop()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.gather(*(c.aclose() for c in clients), return_exceptions=True)
    in_window = [s for end, s in tally.done if end <= phase.seconds]
    for counted in transports:
        tally.busy.update(counted.busy)
    # The documented 503 service_busy is an answer the kiosk waits out, not a fault.
    busy = sum(tally.busy.values())
    server_errors = sum(n for status, n in tally.statuses.items() if status >= 500) - busy
    return {
        "kiosks": phase.kiosks,
        "window_s": phase.seconds,
        "grace_s": phase.grace,
        "started": tally.started,
        "completed": len(tally.done),
        "completed_in_window": len(in_window),
        "timed_out": timed_out,
        "timed_out_at": dict(stuck),
        "failed": dict(tally.failures),
        "journeys_per_s": len(in_window) / phase.seconds,
        "journey_s": summary([s for _, s in tally.done]),
        "statuses": {str(k): v for k, v in sorted(tally.statuses.items())},
        "server_errors": server_errors,
        "zero_5xx": server_errors == 0,
        "busy_refusals": busy,
        "busy_by_call": dict(tally.busy),
        "refused_then_completed": tally.refused_then_completed,
        # Given up by the kiosk (an error it does not wait out), not cut off by the bench.
        "abandoned": sum(tally.failures.values()),
        "cut_off": timed_out,
        "health": probed.get("health") or probed,
        "ready": probed.get("ready"),
    }


class HealthProbe:
    """`bench.health_probe` in a process of its own: /v1/health and /v1/ready every 100 ms.

    Not a thread of the kiosks' process: there it waited on their interpreter lock
    and measured the client's backlog as much as the service (issue 14).
    """

    def __init__(self, url: str, seconds: float) -> None:
        self._command = [sys.executable, "-m", "bench.health_probe", url, str(seconds)]
        self._proc: subprocess.Popen[str] | None = None
        self._seconds = seconds

    def start(self) -> None:
        """Start probing."""
        self._proc = subprocess.Popen(
            self._command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            cwd=ROOT,
            # Its own scheduling group too, as a balancer on a machine of its own.
            start_new_session=True,
        )

    def stop(self) -> dict[str, Any]:
        """Stop probing; its figures (`health` and `ready`), or an error entry."""
        proc = self._proc
        if proc is None:
            return {"error": "not started"}
        try:
            out, _ = proc.communicate("stop\n", timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            return {"error": "the probe did not stop"}
        return parse_emitted(out) or {"error": f"probe exit {proc.returncode}"}


def peak_rss_kib(pid: int) -> int | None:
    """The process's peak resident set (VmHWM) in KiB, from /proc; None if unreadable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def cpu_seconds(pid: int) -> float | None:
    """A process's user + system CPU seconds so far, from /proc/<pid>/stat; None if gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # After the command name: state is field 3, utime 14 and stime 15 (1-based).
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    """This process's CPU seconds so far (the simulated kiosks and the SMTP catcher)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_variant(
    label: str,
    cost: Argon2Cost,
    plan: list[Phase],
    mailbox: Mailbox,
    smtp_port: int,
    cluster: PrivatePostgres | None = None,
    extra_env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Every phase at one argon2 cost, each on freshly started service processes: one
    on a SQLite file, or (given a cluster) three on one new PostgreSQL database;
    extra_env adds service settings (the door opened wide, for the "before" rows)."""
    workdir = Path(tempfile.mkdtemp(prefix="ssu-bench-journeys-"))
    backend = "sqlite" if cluster is None else "postgresql"
    db = f"sqlite:///{workdir / 'service.db'}" if cluster is None else cluster.new_database()
    instances = INSTANCES[backend]
    t = time.perf_counter()
    world = prepare(workdir, cost, plan, smtp_port, db)
    out: dict[str, Any] = {
        "label": label,
        "extra_env": extra_env or {},
        "backend": backend,
        "instances": instances,
        "argon2": cost.model_dump(),
        "setup_s": round(time.perf_counter() - t, 2),
        "holders": sum(len(p) for p in world.pools),
        "phases": [],
    }
    for n, (phase, pool) in enumerate(zip(plan, world.pools, strict=True)):
        procs: list[subprocess.Popen[bytes]] = []
        try:
            urls = []
            for i in range(instances):
                proc, url = start_service(
                    world, cost, smtp_port, workdir / f"service-{n}-{i}.log", extra_env
                )
                procs.append(proc)
                urls.append(url)
            load = [round(x, 2) for x in os.getloadavg()]
            service_cpu = [cpu_seconds(p.pid) or 0.0 for p in procs]
            client_cpu = own_cpu_seconds()
            t_phase = time.perf_counter()
            result = asyncio.run(run_phase(urls, world, mailbox, phase, pool))
            wall = time.perf_counter() - t_phase
            # Who used the 2 cores: the service processes and this one (the kiosks and
            # the SMTP catcher); the rest of the machine's load is other work.
            result["loadavg_at_start"] = load
            result["wall_s"] = round(wall, 1)
            result["client_cpu_s"] = round(own_cpu_seconds() - client_cpu, 1)
            after = [cpu_seconds(p.pid) or 0.0 for p in procs]
            used = [a - b for a, b in zip(after, service_cpu, strict=True)]
            result["service_cpu_s"] = round(sum(used), 1)
            peaks = [peak_rss_kib(p.pid) for p in procs]
            result["service_peak_rss_kib"] = max((k for k in peaks if k is not None), default=None)
        finally:
            for proc in procs:
                stop(proc)
        print(f"journeys: {label} {backend} {phase.kiosks} kiosks: {result}", flush=True)
        out["phases"].append(result)
    floor = out["phases"][0]["journeys_per_s"]
    for result in out["phases"]:
        result["ratio_to_floor"] = ratio(result["journeys_per_s"], floor)
    return out


def configured_cost() -> Argon2Cost:
    """The argon2id cost a deployment runs: the service settings (defaults if unreadable)."""
    try:
        return load_settings().argon2
    except Exception:  # a broken local config must not stop the bench; defaults then
        return Argon2Cost()


def run(quick: bool = True) -> dict[str, Any]:
    """The journeys benchmark; a result dict.

    Each variant runs on SQLite and then, when Debian's PostgreSQL server is installed,
    on PostgreSQL with three instances, so each SQLite row has its PostgreSQL row.
    """
    plan = phases(full=not quick)
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    load_at_start = [round(x, 2) for x in os.getloadavg()]
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname=LOOPBACK, port=free_port(), ready_timeout=30)
    controller.start()
    cluster = PrivatePostgres().start() if bin_dir() is not None else None
    clusters: list[PrivatePostgres | None] = [None] if cluster is None else [None, cluster]
    try:
        cost = configured_cost()
        variants = [
            run_variant("configured cost", cost, plan, mailbox, controller.port, c)
            for c in clusters
        ]
        if not quick:
            # The same phases with the journey door opened wide, in the same run: what
            # the door changes under the same load (SQLite only, for time).
            variants.append(
                run_variant(
                    "configured cost, journey door off (as before it)",
                    cost,
                    plan,
                    mailbox,
                    controller.port,
                    None,
                    DOOR_OFF,
                )
            )
        largest = variants[0]["phases"][-1]
        cheap_reason = None
        # Full mode spends its time on 1000 kiosks at the configured cost instead.
        if quick and largest["completed"] < largest["kiosks"]:
            cheap_reason = (
                f"at the configured cost {largest['kiosks']} kiosks completed only "
                f"{largest['completed']} journeys in {largest['window_s']:.0f} s + "
                f"{largest['grace_s']:.0f} s grace (fewer than one per kiosk)"
            )
            variants += [
                run_variant("cheap test cost", CHEAP_ARGON2, plan, mailbox, controller.port, c)
                for c in clusters
            ]
    finally:
        controller.stop()
        if cluster is not None:
            cluster.stop()
    return {
        "variants": variants,
        "cheap_variant_reason": cheap_reason,
        "postgresql": "measured" if cluster is not None else "not installed",
        "mails_received": mailbox.received,
        "date": when,
        "loadavg_at_start": load_at_start,
        "cpus": len(os.sched_getaffinity(0)),
        "client": (
            "one asyncio process, one ServiceClient (httpx) per kiosk, on the same cores; "
            "the service processes and the health probe each run in a session of their "
            "own, so Linux's autogroup scheduling shares the cores between them and the "
            "client as between machines (before 2026-11-29 23:30 all were in one group, "
            "where the service's niced hashing threads lost the cores to the client)"
        ),
    }


if __name__ == "__main__":
    emit(run(quick="--full" not in sys.argv))
