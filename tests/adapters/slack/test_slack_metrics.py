"""Prometheus /metrics on `serve slack` and `flotilla scheduler --metrics-port`: what operators
watch (SPEC: Interfaces): the outbox per platform, deliveries, 429s, ack and answer latency, ticks."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

from bot.metrics import Metrics
from bot.slack.server import http_server, serve_in_thread, wsgi_app
from tests.adapters.slack.conftest import CHANNELS, PEOPLE, SIGNING_SECRET, Slack, serve
from tests.adapters.slack.standin import SlackStandIn

ADA, PIA, LEO = PEOPLE["ada"], PEOPLE["pia"], PEOPLE["leo"]


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in the exposition text (0 when absent)."""
    want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        m = re.fullmatch(rf"{re.escape(name)}(?:\{{([^}}]*)\}})? (\S+)", line)
        if m and ",".join(sorted((m.group(1) or "").split(","))) == want:
            return float(m.group(2))
    return 0.0


def test_serve_slack_exposes_the_outbox_deliveries_and_latency(standin: SlackStandIn, tmp_path: Path) -> None:
    flotilla, service, _, clock = serve(standin, tmp_path)
    metrics = Metrics(flotilla.engine)
    assert service.pump is not None
    service.pump.metrics = metrics
    service.runner.observe = lambda seconds: metrics.observe("slack", "answer", seconds)
    server = http_server(wsgi_app(service.app, SIGNING_SECRET, metrics=metrics), "127.0.0.1", 0)
    serve_in_thread(server)
    slack = Slack(standin=standin, flotilla=flotilla, service=service, port=server.server_port, clock=clock)
    try:
        slack.command(ADA, 'team create ledger "Ledger"', CHANNELS["ledger"])
        slack.command(ADA, 'team create payments "Payments"', CHANNELS["payments"])
        slack.command(ADA, f"team add ledger <@{LEO}|leo> --lead")
        slack.command(ADA, f"team add payments <@{PIA}|pia>")
        standin.storms["chat.postMessage"] = 30
        slack.command(PIA, 'dep request ledger "Keys" --by fri')
        slack.service.settle()
        status, body = slack.get("/metrics")
        text = body.decode()
        assert status == 200
        assert sample(text, "flotilla_command_seconds_count", platform="slack", phase="ack") == 5
        assert sample(text, "flotilla_command_seconds_count", platform="slack", phase="answer") == 5
        assert sample(text, "flotilla_outbox_pending", platform="slack") >= 1  # waiting out the 429s
        assert sample(text, "flotilla_outbox_oldest_pending_seconds", platform="slack") > 0
        assert sample(text, "flotilla_rate_limited_total", platform="slack") >= 1
        del standin.storms["chat.postMessage"]
        clock.advance(timedelta(seconds=31))
        slack.service.settle()
        after = slack.get("/metrics")[1].decode()
        assert sample(after, "flotilla_outbox_pending", platform="slack") == 0
        assert sample(after, "flotilla_deliveries_total", platform="slack") >= 1
    finally:
        server.shutdown()
        server.server_close()
        service.drain()
        service.close()
        flotilla.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_scheduler_serves_metrics_on_its_own_port(tmp_path: Path) -> None:
    port = free_port()
    db = f"sqlite:///{tmp_path / 'm.db'}"
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "scheduler", "--metrics-port", str(port), "--interval",
                             "1", "--deliver", "none", "--db", db], stderr=subprocess.PIPE)  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as r:
                    text = r.read().decode()
                if "flotilla_scheduler_ticks" in text:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "no /metrics from the scheduler"
            time.sleep(0.1)
        assert "# TYPE flotilla_outbox_pending gauge" in text
        assert "# TYPE flotilla_deliveries_total counter" in text
    finally:
        proc.terminate()
        proc.wait(10)
