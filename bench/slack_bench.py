"""Benchmark of the Slack app over real HTTP on loopback, against the local Web API stand-in.

1. Latency to ack of `/flotilla dep list` (signed form posts, the time until the HTTP answer) at
   1 and 50 concurrent requests: Flotilla's bolt App as `serve slack` runs it (the command is
   queued in the database before the ack and run by a worker process after it; a SQLite file, or
   `--db`) against a bare bolt App whose handler only acks, served the same way, in the same run.
   Goal: Flotilla within 1.5x of the bare app. Every queued command must have run (and its answer
   been posted) before the next measurement: "all run after" is how long that took.
2. From ack to answer: the time from a command's ack (the HTTP answer) to its answer reaching the
   response_url, one person at a time and in bursts of 50 people typing at once (each burst
   answered before the next). Goal: p99 under 1 s at 50 concurrent on SQLite.
3. Cold start: `flotilla serve slack` started as a process; /healthz polled until it says ok; then
   a command at once, and a second one after the first is answered. Goal: the first answer within
   1 s of /healthz saying ok.
4. Fan-out of 2,000 DM prompts: written to the durable outbox (as the scheduler does), then
   drained through the Slack ChatDelivery — Block Kit, the rate-limited client — to a stand-in that allows
   chat.postMessage N times per
   second and answers 429 with Retry-After beyond it. Goal: at least 90% of the allowed rate,
   no message lost or doubled.

    python bench/slack_bench.py              # full run (a few minutes)
    python bench/slack_bench.py --quick      # fewer requests, 500 DMs
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from slack_bolt import Ack, App  # noqa: E402
from slack_sdk.web import WebClient  # noqa: E402

from bot.bootstrap import settle_heap  # noqa: E402
from bot.slack.ratelimit import Rate, RateLimiter  # noqa: E402
from bot.slack.server import http_server, serve_in_thread, wsgi_app  # noqa: E402
from bot.slack.workers import Workers  # noqa: E402
from core.fakes import FixedClock  # noqa: E402
from core.outbox import drain, from_notice  # noqa: E402
from core.reply import Notice, line  # noqa: E402
from tests.adapters.slack.conftest import BOT_TOKEN, NOW, SIGNING_SECRET, TEAM, fixture, serve, sign  # noqa: E402
from tests.adapters.slack.standin import SlackStandIn, slack_user  # noqa: E402


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def bare_app(standin: Any) -> App:
    """What bolt costs by itself: signature check, token authorize, a handler that only acks."""
    app = App(signing_secret=SIGNING_SECRET, client=WebClient(token=BOT_TOKEN, base_url=standin.api_url),
              token_verification_enabled=True)  # fmt: skip

    def noop(ack: Ack) -> None:
        ack()

    app.command("/flotilla")(noop)
    return app


def ack_latencies(port: int, standin: Any, total: int, concurrency: int) -> list[float]:
    url = f"http://127.0.0.1:{port}/slack/events"
    counter = iter(range(10**9))
    lock = threading.Lock()

    def one() -> float:
        with lock:
            n = next(counter)
        fields = fixture("slash_command") | {"text": "dep list", "user_id": "U0ADA",
                                             "response_url": standin.response_url(f"b{port}-{n}")}  # fmt: skip
        body = urlencode(fields).encode()
        req = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded",
                                              **sign(body)})  # fmt: skip
        start = time.perf_counter()
        with urllib.request.urlopen(req, timeout=30) as resp:
            resp.read()
            assert resp.status == 200
        return time.perf_counter() - start

    for _ in range(min(20, total)):  # warm up: imports, caches, the first users.info
        one()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        return list(pool.map(lambda _: one(), range(total)))


def _run_standin(conn: Any, users: dict[str, dict[str, Any]]) -> None:
    standin = SlackStandIn(team_id=TEAM, users=users).start()
    conn.send(standin.root)
    while conn.recv() != "stop":  # serve until told to stop; else: "arrivals"
        with standin._cond:
            conn.send(dict(standin.arrived))
    standin.stop()


class StandInProcess:
    """The stand-in in a process of its own, as Slack is: answering the response_url posts must not
    take the GIL from the app being measured (the bare app posts none, so that would be unfair)."""

    def __init__(self, users: dict[str, dict[str, Any]]) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._process = ctx.Process(target=_run_standin, args=(child, users), daemon=True)
        self._process.start()
        self.root: str = self._conn.recv()
        self.api_url = self.root + "/api/"

    def response_url(self, name: str) -> str:
        return f"{self.root}/response/{name}"

    def arrivals(self) -> dict[str, float]:
        """Response URL name -> when its answer arrived (time.monotonic, the same clock in every process)."""
        self._conn.send("arrivals")
        found: dict[str, float] = self._conn.recv()
        return found

    def wait_answers(self, names: list[str], timeout: float = 120.0) -> dict[str, float]:
        deadline = time.monotonic() + timeout
        while True:
            found = self.arrivals()
            if all(n in found for n in names):
                return found
            if time.monotonic() > deadline:
                raise TimeoutError(f"{sum(n not in found for n in names)} answers never came")
            time.sleep(0.002)

    def stop(self) -> None:
        self._conn.send("stop")
        self._process.join(10)


def measure_ack(total_1: int, total_50: int, db: str | None = None) -> list[dict[str, Any]]:
    standin: Any = StandInProcess({"U0ADA": slack_user("U0ADA", "ada")})
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        where = {"flotilla_database_url": db} if db else {}
        flotilla, service, server, _ = serve(standin, Path(tmp), limiter=RateLimiter(), jobs_here=False, **where)
        workers = Workers(flotilla.settings, 1, clock=FixedClock(NOW)).start()  # as `serve slack` does
        service.adapter.queued = workers.wake
        settle_heap()  # as `flotilla serve slack` does once it is built
        bare_server = http_server(wsgi_app(bare_app(standin), SIGNING_SECRET), "127.0.0.1", 0)
        serve_in_thread(bare_server)
        try:
            for concurrency, total in ((1, total_1), (50, total_50)):
                # alternate the two apps so that neither gets a quieter machine
                bare = ack_latencies(bare_server.server_port, standin, total, concurrency)
                ours = ack_latencies(server.server_port, standin, total, concurrency)
                start = time.perf_counter()
                service.runner.settle(timeout=300)  # the worker's backlog: every command has run
                rows.append({"concurrency": concurrency, "requests": total,
                             "bare_p50": percentile(bare, 50), "bare_p99": percentile(bare, 99),
                             "ours_p50": percentile(ours, 50), "ours_p99": percentile(ours, 99),
                             "backlog_s": time.perf_counter() - start})  # fmt: skip
        finally:
            server.shutdown()
            bare_server.shutdown()
            workers.stop()
            service.drain()
            service.close()
            flotilla.close()
            standin.stop()
    return rows


def signed_command(url: str, standin: Any, name: str, text: str = "dep list", user: str = "U0ADA") -> float:
    """Send `/flotilla <text>` as `user`; when its ack came back (time.monotonic)."""
    fields = fixture("slash_command") | {"text": text, "user_id": user, "response_url": standin.response_url(name)}
    body = urlencode(fields).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body)}
    req = urllib.request.Request(url, data=body, method="POST", headers=headers)
    with urllib.request.urlopen(req, timeout=30) as resp:
        resp.read()
        assert resp.status == 200
    return time.monotonic()


def measure_answers(rounds_1: int, rounds_50: int, db: str | None = None) -> list[dict[str, Any]]:
    """Ack to answer, as `serve slack` runs commands (one worker process)."""
    standin: Any = StandInProcess({"U0ADA": slack_user("U0ADA", "ada")})
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        where = {"flotilla_database_url": db} if db else {}
        flotilla, service, server, _ = serve(standin, Path(tmp), limiter=RateLimiter(), jobs_here=False, **where)
        workers = Workers(flotilla.settings, 1, clock=FixedClock(NOW)).start()
        service.adapter.queued = workers.wake  # as `serve slack` does
        assert workers.wait_ready(120), "the worker never became ready"
        settle_heap()
        url = f"http://127.0.0.1:{server.server_port}/slack/events"
        try:
            for n in range(5):  # warm up, as a running service is
                signed_command(url, standin, f"warm{n}")
            standin.wait_answers([f"warm{n}" for n in range(5)])
            for concurrency, rounds in ((1, rounds_1), (50, rounds_50)):
                latencies: list[float] = []
                for r in range(rounds):
                    names = [f"c{concurrency}-{r}-{i}" for i in range(concurrency)]
                    with ThreadPoolExecutor(max_workers=concurrency) as pool:
                        acked = dict(zip(names, pool.map(lambda n: signed_command(url, standin, n), names),
                                         strict=True))  # fmt: skip
                    arrived = standin.wait_answers(names)
                    latencies += [arrived[n] - acked[n] for n in names]
                rows.append({"concurrency": concurrency, "commands": len(latencies),
                             "p50": percentile(latencies, 50), "p99": percentile(latencies, 99),
                             "max": max(latencies)})  # fmt: skip
        finally:
            server.shutdown()
            workers.stop()
            service.close()
            flotilla.close()
            standin.stop()
    return rows


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def healthz(port: int) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as e:
        return int(e.code)
    except OSError:
        return 0  # not listening yet


def measure_cold_start(runs: int) -> list[dict[str, Any]]:
    """`flotilla serve slack` from nothing: healthz ok, then the first and second answers (each from
    someone the app has not seen yet, so both look them up)."""
    standin: Any = StandInProcess({"U0ADA": slack_user("U0ADA", "ada"), "U0BOB": slack_user("U0BOB", "bob")})
    rows = []
    try:
        for run in range(runs):
            with tempfile.TemporaryDirectory() as tmp:
                port = free_port()
                env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "FLOTILLA_"))}
                env.update(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET,
                           FLOTILLA_SLACK_API_URL=standin.api_url, PYTHONPATH=str(ROOT))  # fmt: skip
                started = time.monotonic()
                process = subprocess.Popen(
                    [sys.executable, "-m", "bot.cli", "serve", "slack", "--host", "127.0.0.1", "--port", str(port),
                     "--db", f"sqlite:///{tmp}/cold.db", "--no-scheduler"], env=env, cwd=tmp,
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
                try:
                    while healthz(port) != 200:
                        if process.poll() is not None:
                            raise RuntimeError("serve slack exited during start")
                        time.sleep(0.005)
                    ok = time.monotonic()
                    url = f"http://127.0.0.1:{port}/slack/events"
                    first_acked = signed_command(url, standin, f"cold{run}-1")
                    first = standin.wait_answers([f"cold{run}-1"])[f"cold{run}-1"]
                    second_acked = signed_command(url, standin, f"cold{run}-2", user="U0BOB")
                    second = standin.wait_answers([f"cold{run}-2"])[f"cold{run}-2"]
                finally:
                    process.terminate()
                    process.wait(60)
                rows.append({"healthz_ok": ok - started, "first_ack": first_acked - ok,
                             "first_answer": first - ok, "first_after_ack": first - first_acked,
                             "second_after_ack": second - second_acked})  # fmt: skip
    finally:
        standin.stop()
    return rows


def measure_fanout(n: int, allowed_per_second: int) -> dict[str, Any]:
    users = {f"U{i:06d}": slack_user(f"U{i:06d}", f"user{i}") for i in range(n)}
    standin = SlackStandIn(team_id=TEAM, users=users, limits={"chat.postMessage": (allowed_per_second, 1.0)}).start()
    # Our bucket for chat.postMessage set just under the limit Slack (here: the stand-in) publishes.
    limiter = RateLimiter(limits={"chat.postMessage": Rate(allowed_per_second * 0.97, 1.0)}, per_channel={})
    with tempfile.TemporaryDirectory() as tmp:
        flotilla, service, server, _ = serve(standin, Path(tmp), limiter=limiter)
        try:
            if service.pump is not None:  # this measures one drain alone, not the process's sender
                service.pump.stop()
            notices = [Notice(lines=(line("Time for your stand-up: what did you do, what next, any blocker?"),),
                              person=uid, key=f"standup:2026-11-23:{uid}") for uid in users]  # fmt: skip
            now = datetime.now(UTC)
            with flotilla.uow_factory(TEAM) as uow:  # as the scheduler's tick writes them
                uow.outbox.add_all([from_notice(n, now) for n in notices])
                uow.commit()
            delivery = service.outbound(TEAM)
            assert delivery is not None
            start = time.perf_counter()
            sent = 0
            while sent < n and time.perf_counter() - start < 600:  # as the sender thread does: until all is out
                drained = drain(flotilla.uow_factory, TEAM, delivery, datetime.now(UTC))
                sent += len(drained.sent)
                assert not drained.failed
                time.sleep(drained.resume_in or 0.01)
            elapsed = time.perf_counter() - start
            again = drain(flotilla.uow_factory, TEAM, delivery, datetime.now(UTC))  # another replica finds nothing
            assert sent == n and not again.sent
        finally:
            server.shutdown()
            server.server_close()
            service.close()
            flotilla.close()
            standin.stop()
    sent = Counter(c.params["channel"] for c in standin.of("chat.postMessage"))
    return {
        "messages": n, "allowed_per_second": allowed_per_second, "elapsed": elapsed,
        "rate": n / elapsed, "share": (n / elapsed) / allowed_per_second,
        "delivered": len(sent), "doubled": sum(1 for v in sent.values() if v > 1),
        "lost": n - len(sent), "throttled_429": standin.limited.get("chat.postMessage", 0),
    }  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--rate", type=int, default=100, help="chat.postMessage calls the stand-in allows per second")
    ap.add_argument(
        "--db",
        metavar="URL",
        help="database for the latency part (default: a SQLite file); it "
        "must be a scratch one: a new, empty PostgreSQL database, say",
    )
    ap.add_argument("--only", default="ack,answer,cold,fanout", help="parts to run (default: all of them)")
    args = ap.parse_args(argv)
    parts = set(args.only.split(","))
    total_1, total_50, dms = (100, 500, 500) if args.quick else (300, 2000, 2000)

    if "ack" in parts:
        print("## Slack: latency to ack, /flotilla dep list over HTTP on loopback\n")
        print(
            "| concurrent | requests | bare bolt p50 | bare bolt p99 | Flotilla p50 | Flotilla p99 "
            "| ratio p50 | ratio p99 | all run after |"
        )
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for r in measure_ack(total_1, total_50, args.db):
            print(
                f"| {r['concurrency']} | {r['requests']} | {r['bare_p50'] * 1000:.1f} ms "
                f"| {r['bare_p99'] * 1000:.1f} ms "
                f"| {r['ours_p50'] * 1000:.1f} ms | {r['ours_p99'] * 1000:.1f} ms "
                f"| {r['ours_p50'] / r['bare_p50']:.2f}x | {r['ours_p99'] / r['bare_p99']:.2f}x "
                f"| +{r['backlog_s']:.1f} s |"
            )
    if "answer" in parts:
        print("\n## Slack: from ack to answer, /flotilla dep list, one worker process\n")
        print("| concurrent | commands | p50 | p99 | max |")
        print("|---:|---:|---:|---:|---:|")
        rounds = (30, 4) if args.quick else (100, 10)
        for r in measure_answers(*rounds, db=args.db):
            print(f"| {r['concurrency']} | {r['commands']} | {r['p50'] * 1000:.0f} ms | {r['p99'] * 1000:.0f} ms "
                  f"| {r['max'] * 1000:.0f} ms |")  # fmt: skip
    if "cold" in parts:
        print("\n## Slack: cold start of `flotilla serve slack` (SQLite), times in seconds\n")
        print("| run | /healthz ok after start | first ack | first answer after healthz ok | first: ack to answer "
              "| second: ack to answer |")  # fmt: skip
        print("|---:|---:|---:|---:|---:|---:|")
        for n, c in enumerate(measure_cold_start(2 if args.quick else 3), 1):
            print(f"| {n} | {c['healthz_ok']:.2f} | +{c['first_ack']:.3f} | {c['first_answer']:.3f} "
                  f"| {c['first_after_ack']:.3f} | {c['second_after_ack']:.3f} |")  # fmt: skip
    if "fanout" in parts:
        f = measure_fanout(dms, args.rate)
        print(f"\n## Slack: fan-out of {f['messages']} DM prompts, stand-in allows {f['allowed_per_second']}/s\n")
        print("| messages | elapsed | rate | share of allowed | delivered | lost | doubled | 429s |")
        print("|---:|---:|---:|---:|---:|---:|---:|---:|")
        print(
            f"| {f['messages']} | {f['elapsed']:.1f} s | {f['rate']:.1f}/s | {f['share'] * 100:.1f}% "
            f"| {f['delivered']} "
            f"| {f['lost']} | {f['doubled']} | {f['throttled_429']} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
