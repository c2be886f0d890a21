"""Delivery under a 429 storm: the share of Slack's allowed rate the outbox reaches, and what is lost
or doubled.

    python bench/delivery_bench.py                        # SQLite
    python bench/delivery_bench.py --postgres URL         # and PostgreSQL (a scratch schema, dropped after)

N messages (a stand-up's fan-out: prompts to people, a digest in every tenth team's channel) are
queued in the outbox as a command or the scheduler would, then sent by `bot.outbound.OutboxPump`
(the sender thread every process runs) through the Slack delivery to the Web API stand-in. The
stand-in allows chat.postMessage R times in any one second and answers 429 with Retry-After beyond
it, as Slack does. Our own bucket is set to twice R: a limit we believe is higher than the one Slack
enforces (another app or replica spends the same workspace's quota), so the sender lives in a 429
storm and must find the real rate from the 429s. `--dropped P` also drops the connection after every
P-th accepted post (the sender must read the conversation back before it resends). Goal: at least
90% of the allowed rate, none lost, none doubled.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text  # noqa: E402

from bot.clock import SystemClock  # noqa: E402
from bot.outbound import Deliveries, OutboxPump  # noqa: E402
from bot.slack.delivery import PostedMessages, SlackDelivery, plain_client  # noqa: E402
from bot.slack.ratelimit import Rate, RateLimiter  # noqa: E402
from core.ports import OutboxMessage
from core.reply import Mention, line  # noqa: E402
from core.service import PLATFORM  # noqa: E402
from storage.engine import make_engine  # noqa: E402
from storage.uow import SqlUnitOfWorkFactory  # noqa: E402
from tests.adapters.slack.standin import BOT_TOKEN, SlackStandIn  # noqa: E402
from tests.schemas import drop_schema, scratch_schema  # noqa: E402

TEAM = "T0BENCH"


def messages(n: int) -> list[OutboxMessage]:
    now = datetime.now(UTC)
    out = []
    for i in range(n):
        to = {"person": f"U{i:06d}"} if i % 10 else {"channel": f"C0TEAM{i:06d}"}  # prompts, and team digests
        said = (line("Time for your stand-up, ", Mention(f"U{i:06d}"), "."),)
        out.append(OutboxMessage(key=f"bench:{i:06d}", created_at=now, next_attempt_at=now, lines=said, **to))
    return out


def _serve(conn: Connection, allowed: int, dropped: int) -> None:
    """The Slack stand-in, in a process of its own: Slack's work is not done on our CPU."""
    standin = SlackStandIn(team_id=TEAM, limits={"chat.postMessage": (allowed, 1.0)}).start()
    if dropped:
        standin.drop = lambda method, nth: method == "chat.postMessage" and nth % dropped == 0
    conn.send(standin.api_url)
    conn.recv()
    keys = [m["metadata"]["event_payload"]["key"] for m in standin.messages]
    conn.send((keys, standin.limited.get("chat.postMessage", 0), standin.dropped))
    standin.stop()


def measure(url: str, n: int, allowed: int, dropped: int) -> dict[str, float]:
    ours, theirs = multiprocessing.get_context("fork").Pipe()
    server = multiprocessing.get_context("fork").Process(target=_serve, args=(theirs, allowed, dropped), daemon=True)
    server.start()
    api_url = ours.recv()
    engine = make_engine(url)
    factory = SqlUnitOfWorkFactory(engine)
    try:
        with factory(TEAM) as uow:
            uow.settings.set(PLATFORM, "slack")
            uow.outbox.add_all(messages(n))
            uow.commit()
        # Our idea of the limit: twice what the stand-in allows; channels one a second, as Slack's.
        limiter = RateLimiter(limits={"chat.postMessage": Rate(2.0 * allowed, 2.0 * allowed)},
                              per_channel={"chat.postMessage": Rate(1.0, 3.0)})  # fmt: skip
        delivery = SlackDelivery(TEAM, plain_client(BOT_TOKEN, api_url), PostedMessages(), limiter=limiter)
        pump = OutboxPump(engine, factory, Deliveries({"slack": lambda _ws: delivery}), SystemClock())
        started = time.perf_counter()
        pump.start()
        while True:
            with engine.connect() as conn:
                left = conn.execute(text("SELECT count(*) FROM outbox WHERE state <> 'sent'")).scalar_one()
            if not left:
                break
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
        pump.stop()
    finally:
        engine.dispose()
        ours.send("stop")
        posted, throttled, dropped_calls = ours.recv()
        server.join(10)
    keys = Counter(posted)
    return {"messages": n, "elapsed": elapsed, "rate": n / elapsed, "share": n / elapsed / allowed,
            "lost": n - len(keys), "doubled": sum(1 for v in keys.values() if v > 1),
            "throttled": throttled, "dropped": dropped_calls}  # fmt: skip


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--postgres", metavar="URL", default=os.environ.get("FLOTILLA_BENCH_POSTGRES_URL"))
    ap.add_argument("--messages", type=int, default=1500)
    ap.add_argument("--rate", type=int, default=50, help="chat.postMessage calls the stand-in allows per second")
    ap.add_argument("--dropped", type=int, default=0, help="drop the connection after every Nth accepted post")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    print("| database | messages | allowed | elapsed | rate | share of allowed | 429s | dropped | lost | doubled |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for backend in ["sqlite"] + (["postgresql"] if args.postgres else []):
        for _ in range(args.repeat):
            if backend == "sqlite":
                with tempfile.TemporaryDirectory() as folder:
                    r = measure(f"sqlite:///{folder}/d.db", args.messages, args.rate, args.dropped)
            else:
                url, schema = scratch_schema(args.postgres, "bench")
                try:
                    r = measure(url, args.messages, args.rate, args.dropped)
                finally:
                    drop_schema(args.postgres, schema)
            print(f"| {backend} | {args.messages} | {args.rate}/s | {r['elapsed']:.1f} s | {r['rate']:.1f}/s "
                  f"| {r['share'] * 100:.1f}% | {r['throttled']:.0f} | {r['dropped']:.0f} | {r['lost']:.0f} "
                  f"| {r['doubled']:.0f} |", flush=True)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
