"""Prometheus `/metrics` for `serve` and `scheduler --metrics-port` (SPEC: Interfaces).

What an operator watches: the outbox (pending, the oldest pending message's age and the set-aside
count, per platform: read from the database at each scrape, so they are the same whichever
process answers), deliveries, failures and 429s, command latency (ack and answer) and scheduler
ticks (counted by the process that did them).

Processes that run commands beside the server (`serve slack --workers N`) count in files under
PROMETHEUS_MULTIPROC_DIR, which `serve slack` sets before any of them starts: the server's
`/metrics` then adds up every process. prometheus_client is imported only here, and only when a
Metrics is built, so that the variable is in place before it loads.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from core.outbox import Drained
from storage.outbox_admin import stats

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0)
MULTIPROCESS = "PROMETHEUS_MULTIPROC_DIR"


class OutboxCollector:
    """Outbox gauges from the database, per platform, at scrape time."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def describe(self) -> list[Any]:
        return []  # no description up front: describing would query the database at registration

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        pending = GaugeMetricFamily("flotilla_outbox_pending", "Outbox messages waiting to be sent",
                                    labels=["platform"])  # fmt: skip
        oldest = GaugeMetricFamily("flotilla_outbox_oldest_pending_seconds",
                                   "Age of the oldest message waiting to be sent", labels=["platform"])  # fmt: skip
        aside = GaugeMetricFamily("flotilla_outbox_set_aside", "Outbox messages set aside after repeated failures",
                                  labels=["platform"])  # fmt: skip
        now = datetime.now(UTC)
        for platform, s in sorted(stats(self.engine).items()):
            pending.add_metric([platform], s.pending)
            oldest.add_metric([platform], (now - s.oldest_pending).total_seconds() if s.oldest_pending else 0.0)
            aside.add_metric([platform], s.set_aside)
        yield from (pending, oldest, aside)


class Metrics:
    """The counters one process keeps, and the exposition of everything."""

    def __init__(self, engine: Engine | None = None) -> None:
        from prometheus_client import CollectorRegistry, Counter, Histogram

        self.registry = CollectorRegistry()
        self.engine = engine
        self.deliveries = Counter("flotilla_deliveries", "Outbox messages delivered", ["platform"],
                                  registry=self.registry)  # fmt: skip
        self.failures = Counter("flotilla_delivery_failures",
                                "Outbox deliveries that failed (retrying: tried again later; set_aside: given up)",
                                ["platform", "outcome"], registry=self.registry)  # fmt: skip
        self.rate_limited = Counter("flotilla_rate_limited", "Deliveries put back by a rate limit (429 or pacing)",
                                    ["platform"], registry=self.registry)  # fmt: skip
        self.latency = Histogram("flotilla_command_seconds",
                                 "Command latency: ack (request in to acknowledged), answer (request in to answered)",
                                 ["platform", "phase"], buckets=LATENCY_BUCKETS, registry=self.registry)  # fmt: skip
        self.ticks = Counter("flotilla_scheduler_ticks", "Scheduler ticks per workspace (ok or failed)",
                             ["outcome"], registry=self.registry)  # fmt: skip
        if engine is not None and not os.environ.get(MULTIPROCESS):
            self.registry.register(OutboxCollector(engine))

    def drained(self, platform: str, done: Drained) -> None:
        if done.sent:
            self.deliveries.labels(platform).inc(len(done.sent))
        if done.retrying:
            self.failures.labels(platform, "retrying").inc(len(done.retrying))
        if done.failed:
            self.failures.labels(platform, "set_aside").inc(len(done.failed))
        if done.rate_limited:
            self.rate_limited.labels(platform).inc(len(done.rate_limited))

    def observe(self, platform: str, phase: str, seconds: float) -> None:
        self.latency.labels(platform, phase).observe(max(seconds, 0.0))

    def ticked(self, ok: bool) -> None:
        self.ticks.labels("ok" if ok else "failed").inc()

    def exposition(self) -> bytes:
        from prometheus_client import CollectorRegistry, generate_latest

        if not os.environ.get(MULTIPROCESS):
            return bytes(generate_latest(self.registry))
        from prometheus_client.multiprocess import MultiProcessCollector

        merged = CollectorRegistry()
        MultiProcessCollector(merged)  # type: ignore[no-untyped-call]
        if self.engine is not None:
            merged.register(OutboxCollector(self.engine))
        return bytes(generate_latest(merged))

    def serve(self, port: int, host: str = "0.0.0.0") -> Any:
        """`/metrics` on a port of its own (the scheduler's `--metrics-port`); returns the server."""
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        metrics = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                if self.path.split("?")[0] not in ("/metrics", "/healthz"):
                    self.send_error(404)
                    return
                body = metrics.exposition() if self.path.startswith("/metrics") else b"ok\n"
                self.send_response(200)
                self.send_header("Content-Type", CONTENT_TYPE)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return

        server = ThreadingHTTPServer((host, port), Handler)
        server.daemon_threads = True
        import threading

        threading.Thread(target=server.serve_forever, daemon=True, name="flotilla-metrics").start()
        return server
