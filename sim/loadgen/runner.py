"""`qms sim load`: a scenario's day played against a running server, in real time or faster.

Citizens take tickets at their (compressed) arrival times from a pool of dispenser
connections; each staffed window is a keypad of its own that calls the next ticket, waits for
the citizen to walk up, starts, serves for the handling time and finishes, or marks a no-show
when the citizen does not come; lunch breaks pause the window. Citizens' phones and the
waiting-area screens poll meanwhile. Several hundred clients are at work at once.

Checked while it runs and at the end:
- no ticket is lost: every issued ticket can be followed, and the staff list holds them all;
- none is called twice: no call-next answers with a ticket already called;
- every acknowledged command is in the database: each POST carries an Idempotency-Key, and at
  the end every acknowledged one is either found in the server's SQLite log (`--database`) or
  sent again, when the server must answer from its log with the very first answer.
Latencies are reported per operation (p50, p99).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import random
import sqlite3
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiomqtt

from qms.core.model import serves

from ..citizens import Citizen
from ..report import clock
from ..runner import citizens_for
from ..scenario import Scenario, Session, load_scenario, seconds
from ..stats import percentile
from .drivers import Driver, HttpDriver, LoadRefused
from .http import Answer, NotLoopback, loopback
from .mqtt import MqttDriver, broker_address, read_credentials


@dataclass(slots=True)
class Acked:
    """An acknowledged POST: what to send again and what it first answered."""

    scope: str  # the server's namespace of the key: "issue" or "window/<id>/<action>"
    key: str
    window: str | None
    action: str
    body: dict[str, Any]
    first: Answer
    stored: str  # its key in the server's command log


@dataclass(slots=True)
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter[str] = field(default_factory=Counter)
    violations: list[str] = field(default_factory=list)
    issued: dict[str, Citizen] = field(default_factory=dict)
    called: set[str] = field(default_factory=set)
    served: int = 0
    no_shows: int = 0
    acked: list[Acked] = field(default_factory=list)
    requests: int = 0

    def note(self, op: str, answer: Answer) -> None:
        self.requests += 1
        self.latencies[op].append(answer.seconds)
        if answer.status >= 500:
            self.violations.append(f"{op}: server error {answer.status} {answer.body}")
        elif answer.status >= 400:
            self.errors[f"{op} {answer.status} {answer.body.get('error', {}).get('code', '?')}"] += 1


class LoadTest:
    def __init__(
        self, scenario: Scenario, driver: Driver, *, speed: float, start: float, until: float,
        seed: int = 1, windows: int = 0, watchers: int = 100, progress: bool = True,
        only: Collection[str] | None = None,
    ) -> None:  # fmt: skip
        self.scenario, self.driver, self.speed = scenario, driver, speed
        self.start, self.until = start, until
        self.citizens = [cz for cz in citizens_for(scenario, seed, 0) if start <= cz.arrive < until]
        plan = {w: s for w, s in scenario.staffing.sessions.items() if _clip(s, start, until)}
        self.left_out = sorted(w for w in plan if only is not None and w not in only)
        plan = {w: s for w, s in plan.items() if w not in self.left_out}
        if windows:
            plan = dict(list(plan.items())[:windows])
        served = {s for w in plan for s in _serves(scenario, w)}
        self.citizens = [cz for cz in self.citizens if cz.service in served]
        self.plan = {w: _clip(s, start, until) for w, s in plan.items()}
        self.watchers = watchers
        self.clients = f"{len(self.plan)} windows (a keypad connection each), {watchers} phones and screens"
        self.stats = Stats()
        self.rng = random.Random(seed)
        self._arrival = asyncio.Event()
        self._keys = 0
        self._t0 = 0.0
        self._progress = progress
        self._done = False

    # ---- time ----------------------------------------------------------------------------

    def real(self, t: float) -> float:
        """Monotonic time at which simulated second `t` happens."""
        return self._t0 + (t - self.start) / self.speed

    def sim_now(self) -> float:
        return self.start + (time.monotonic() - self._t0) * self.speed

    async def sleep_until(self, t: float) -> None:
        delay = self.real(t) - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)

    def key(self) -> str:
        self._keys += 1
        return f"load-{self._t0:.0f}-{self._keys}"

    # ---- the day -------------------------------------------------------------------------

    async def run(self) -> Stats:
        await self.driver.start(list(self.plan))
        self._t0 = time.monotonic()
        try:
            watchers = [asyncio.create_task(self._watch()) for _ in range(self.watchers)]
            progress = asyncio.create_task(self._show_progress())
            work = [asyncio.create_task(self._window(w, s)) for w, s in self.plan.items()]
            await self._arrivals()
            await asyncio.gather(*work)
            self._done = True
            for task in [*watchers, progress]:
                task.cancel()
            await asyncio.gather(*watchers, progress, return_exceptions=True)
            await self._final_checks()
        finally:
            await self.driver.close()
        return self.stats

    async def _arrivals(self) -> None:
        pending: list[asyncio.Task[None]] = []
        for cz in self.citizens:
            await self.sleep_until(cz.arrive)
            pending.append(asyncio.create_task(self._take(cz)))
        await asyncio.gather(*pending)

    async def _take(self, cz: Citizen) -> None:
        body: dict[str, Any] = {"service": cz.service}
        if cz.channel.value == "green":
            body["channel"] = "green"
        elif cz.channel.value == "booking" and cz.appointment is not None:
            body["channel"] = "booking"
            ahead = (cz.appointment - cz.arrive) / self.speed
            body["appointment_at"] = (datetime.now(UTC) + timedelta(seconds=ahead)).isoformat()
        elif cz.klass.value == "elderly":
            body["priority"] = "elderly"
        key = self.key()
        answer = await self.driver.take_ticket(body, key)
        self.stats.note("issue", answer)
        if answer.status != 201:
            return
        ticket = answer.body["ticket"]["id"]
        if ticket in self.stats.issued:
            self.stats.violations.append(f"ticket {ticket} was issued twice")
        cz.ticket = ticket
        self.stats.issued[ticket] = cz
        stored = answer.body.get("request_key", f"issue:{key}")
        self.stats.acked.append(Acked("issue", key, None, "issue", body, answer, stored))
        self._arrival.set()

    async def _press(self, window: str, action: str, body: dict[str, Any] | None = None) -> Answer:
        key = self.key()
        answer = await self.driver.press(window, action, key, body)
        self.stats.note(action, answer)
        if answer.status == 200:
            scope = f"window/{window}/{action}"
            stored = answer.body.get("request_key", f"{scope}:{key}")
            self.stats.acked.append(Acked(scope, key, window, action, body or {}, answer, stored))
        return answer

    async def _window(self, window: str, sessions: tuple[Session, ...]) -> None:
        for i, session in enumerate(sessions):
            await self.sleep_until(session.start)
            answer = await self._press(window, "open" if i == 0 else "resume")
            if answer.status == 409 and i == 0:  # left open by an earlier run: take it over
                await self._take_over(window)
            while self.sim_now() < session.end:
                if not await self._serve_next(window):
                    self._arrival.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._arrival.wait(), timeout=max(0.05, min(1.0, 30 / self.speed)))
            if i == len(sessions) - 1:
                await self._press(window, "close")
            else:
                await self._press(window, "pause", {"reason": "lunch"})

    async def _take_over(self, window: str) -> None:
        """A window an earlier run left open (perhaps with a ticket): finish, close, open again."""
        state = await self._press(window, "close")
        if state.status == 409:
            await self._press(window, "finish")
            await self._press(window, "close")
        await self._press(window, "open")

    async def _serve_next(self, window: str) -> bool:
        answer = await self._press(window, "call-next")
        if answer.status == 409 and answer.body.get("error", {}).get("code") == "window_busy":
            await self._press(window, "finish")  # a ticket left at the window by an earlier run
            return True
        ticket = (answer.body.get("ticket") or {}) if answer.status == 200 else {}
        if ticket.get("state") != "called":
            return False
        tid = ticket["id"]
        if tid in self.stats.called:
            self.stats.violations.append(f"ticket {tid} was called twice (again at {window})")
        self.stats.called.add(tid)
        cz = self.stats.issued.get(tid)
        if cz is None:  # issued by someone else (an earlier run): serve it briefly
            await self._press(window, "finish")
            return True
        if cz.absent:
            await asyncio.sleep(min(cz.walk, 30.0) / self.speed)
            await self._press(window, "no-show")
            self.stats.no_shows += 1
            return True
        await asyncio.sleep(cz.walk / self.speed)
        await self._press(window, "start")
        await asyncio.sleep(cz.handling / self.speed)
        done = await self._press(window, "finish")
        if done.status == 200:
            self.stats.served += 1
        return True

    async def _watch(self) -> None:
        await asyncio.sleep(self.rng.random())
        while not self._done:
            if self.stats.issued and self.rng.random() < 0.9:
                tid = self.rng.choice(list(self.stats.issued))
                answer = await self.driver.follow(tid)
                self.stats.note("follow", answer)
                if answer.status == 404:
                    self.stats.violations.append(f"ticket {tid} was lost: 404 when followed")
            else:
                self.stats.note("queues", await self.driver.queues())
            await asyncio.sleep(0.5 + self.rng.random())

    async def _show_progress(self) -> None:
        tty = sys.stderr.isatty()
        last = -1
        while True:
            share = min(1.0, max(0.0, (self.sim_now() - self.start) / (self.until - self.start)))
            tenth = int(share * 10)
            if tty or tenth != last:
                bar = "#" * int(share * 30) + "." * (30 - int(share * 30))
                elapsed = time.monotonic() - self._t0
                line = (
                    f"[{bar}] {share:4.0%} {clock(min(self.sim_now(), self.until))} | issued {len(self.stats.issued)}"
                    f" served {self.stats.served} | {self.stats.requests / max(elapsed, 1e-9):.0f} req/s"
                    f" | violations {len(self.stats.violations)}"
                )
                print(("\r" + line) if tty else line, end="" if tty else "\n", file=sys.stderr, flush=True)
                last = tenth
            await asyncio.sleep(0.25)

    # ---- at the end ----------------------------------------------------------------------

    async def _final_checks(self) -> None:
        if sys.stderr.isatty():
            print(file=sys.stderr)
        answer = await self.driver.tickets()
        self.stats.note("list", answer)
        listed = {t["id"]: t for t in answer.body.get("tickets", [])}
        for tid in self.stats.issued:
            if tid not in listed:
                self.stats.violations.append(f"ticket {tid} was lost: not in the staff list")

    async def resend_acknowledged(self) -> int:
        """Send every acknowledged POST again with its key: the server must answer from its log."""
        checked = 0
        sem = asyncio.Semaphore(16)

        async def again(a: Acked) -> None:
            nonlocal checked
            async with sem:
                if a.window is None:
                    answer = await self.driver.take_ticket(a.body, a.key)
                    same = answer.status == 201 and answer.body["ticket"]["id"] == a.first.body["ticket"]["id"]
                else:
                    answer = await self.driver.press(a.window, a.action, a.key, a.body)
                    same = answer.status == 200 and all(
                        answer.body.get(k) == a.first.body.get(k) for k in ("events", "message")
                    )
                checked += 1
                if not same:
                    self.stats.violations.append(f"{a.scope} {a.key} was acknowledged but not answered from the log")

        await self.driver.start(list(self.plan))
        try:
            await asyncio.gather(*(again(a) for a in self.stats.acked))
        finally:
            await self.driver.close()
        return checked


def check_database(path: Path, hall: str, acked: list[Acked]) -> list[str]:
    """Every acknowledged request's key must be in the server's command log."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT request_key FROM commands WHERE hall = ? AND request_key IS NOT NULL", (hall,))
        stored = {r[0] for r in rows}
    finally:
        db.close()
    return [f"{a.stored} was acknowledged but is not in {path}" for a in acked if a.stored not in stored]


def _clip(sessions: tuple[Session, ...], start: float, until: float) -> tuple[Session, ...]:
    out = [Session(max(s.start, start), min(s.end, until)) for s in sessions]
    return tuple(s for s in out if s.end > s.start)


def _serves(scenario: Scenario, window: str) -> set[str]:
    config = next(w for w in scenario.hall.windows if w.id == window)
    return set(serves(config, scenario.hall.services))


def report(test: LoadTest, stats: Stats, elapsed: float) -> str:
    lines = [
        f"load test: {test.scenario.name}, {clock(test.start)}-{clock(test.until)} at {test.speed:g}x, "
        f"{test.clients}, {elapsed:.1f} s",
        f"  tickets issued {len(stats.issued)}, called {len(stats.called)}, served {stats.served}, "
        f"no-shows {stats.no_shows}; {stats.requests:,} requests, {stats.requests / elapsed:.0f}/s",
        *([f"  windows not driven (no keypad login): {', '.join(test.left_out)}"] if test.left_out else []),
        "",
        f"  {'operation':<12}{'count':>8}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}",
    ]
    for op, values in sorted(stats.latencies.items()):
        xs = sorted(values)
        lines.append(
            f"  {op:<12}{len(xs):>8}{percentile(xs, 50) * 1000:>10.1f}{percentile(xs, 99) * 1000:>10.1f}"
            f"{xs[-1] * 1000:>10.1f}"
        )
    if stats.errors:
        lines += ["", "  refusals (4xx, by operation and code):"]
        lines += [f"    {k}: {n}" for k, n in stats.errors.most_common()]
    lines += ["", "  invariants:"]
    if stats.violations:
        lines += [f"    VIOLATED: {v}" for v in stats.violations[:20]]
        if len(stats.violations) > 20:
            lines.append(f"    ... {len(stats.violations) - 20} more")
    else:
        lines.append("    no ticket lost, none called twice, every acknowledged command stored: ok")
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    """`qms sim load SCENARIO --url URL ...`; exits 1 if an invariant was violated."""
    scenario = load_scenario(args.scenario)
    try:
        host, port = loopback(args.url)
        broker = broker_address(args.mqtt) if getattr(args, "mqtt", None) else None
    except NotLoopback as err:
        raise SystemExit(f"qms sim load: {err}") from None
    hall = args.hall or scenario.hall.id
    starts = [s.start for ss in scenario.staffing.sessions.values() for s in ss[:1]]
    try:
        start = seconds(args.start) if args.start else min(starts) - 15 * 60
        until = seconds(args.until) if args.until else scenario.end
    except ValueError as err:
        raise SystemExit(f"qms sim load: --from/--until: {err}") from None
    if not start < until:
        raise SystemExit(f"qms sim load: --from {clock(start)} is not before --until {clock(until)}")
    if not (math.isfinite(args.speed) and args.speed > 0):
        raise SystemExit(f"qms sim load: --speed must be simulated seconds per real second, above 0, got {args.speed}")
    if args.windows < 0 or args.watchers < 0:
        raise SystemExit("qms sim load: --windows and --watchers are 0 or more")
    # every phone and screen is a client of its own: a connection each
    http = HttpDriver(host, port, hall, args.username, args.password, phones=max(1, args.watchers))
    driver: Driver = http
    only: list[str] | None = None
    if broker is not None:
        if args.devices is None:
            raise SystemExit("qms sim load: --mqtt needs --devices (the server's <data>/mqtt/device-passwords.json)")
        try:
            credentials = read_credentials(args.devices)
        except (OSError, ValueError) as err:  # a missing file, not JSON, not id -> password
            raise SystemExit(f"qms sim load: --devices: {err}") from None
        mqtt = MqttDriver(http, *broker, credentials, staff=args.username)
        only = mqtt.drivable(list(scenario.staffing.sessions))
        driver = mqtt
    test = LoadTest(
        scenario, driver, speed=args.speed, start=start, until=until, seed=args.seed,
        windows=args.windows, watchers=args.watchers, only=only,
    )  # fmt: skip
    if only is not None:
        test.clients = (
            f"over MQTT {len(test.plan)} keypads and {len(mqtt.dispenser_ids)} dispensers "
            f"({len(test.plan) + len(mqtt.dispenser_ids)} device connections), "
            f"over HTTP {args.watchers} phones and screens"
        )
    t0 = time.perf_counter()
    try:
        stats = asyncio.run(test.run())
    except (OSError, aiomqtt.MqttError) as err:
        where = f"{args.url}" + (f" or its broker {args.mqtt}" if broker is not None else "")
        raise SystemExit(f"qms sim load: cannot reach {where}: {err}; is the server running (`qms demo`)?") from None
    except LoadRefused as err:
        raise SystemExit(f"qms sim load: {err}") from None
    elapsed = time.perf_counter() - t0
    if args.database is not None:
        stats.violations += check_database(args.database, hall, stats.acked)
        how = f"found in {args.database}"
    else:
        checked = asyncio.run(test.resend_acknowledged())
        how = f"sent again: {checked} answered from the log"
    print(report(test, stats, elapsed))
    print(f"  acknowledged commands: {len(stats.acked)}, {how}")
    return 1 if stats.violations else 0
