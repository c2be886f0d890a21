"""The real bolt App over real HTTP on loopback, signed requests in Slack's shapes, and the Web API
pointed at a local stand-in (tests/adapters/slack/standin.py)."""

from __future__ import annotations

import copy
import hashlib
import hmac
import itertools
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from bot.bootstrap import Flotilla, build
from bot.settings import Settings
from bot.slack.app import SlackService, build_slack
from bot.slack.ratelimit import Rate, RateLimiter
from bot.slack.server import http_server, serve_in_thread, wsgi_app
from core.fakes import FixedClock
from tests.adapters.slack.blockkit import errors_errors, view_errors
from tests.adapters.slack.standin import BOT_TOKEN, SlackStandIn, slack_user

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "slack"
SIGNING_SECRET = "test-signing-secret-8f2a"
NOW = datetime.fromisoformat("2026-11-23T09:00:00+00:00")
TEAM = "T0FLOTILLA"

PEOPLE = {"ada": "U0ADA", "bob": "U0BOB", "carol": "U0CAROL", "leo": "U0LEO", "pia": "U0PIA", "sam": "U0SAM"}
CHANNELS = {"product": "C0PRODUCT", "payments": "C0PAYMENTS", "ledger": "C0LEDGER", "search": "C0SEARCH"}


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text())  # type: ignore[no-any-return]


def sign(body: bytes, secret: str = SIGNING_SECRET, timestamp: int | None = None) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    base = b"v0:" + ts.encode() + b":" + body
    sig = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig}


@dataclass
class Slack:
    """One Flotilla Slack app served on loopback, and a way to talk to it as Slack does."""

    standin: SlackStandIn
    flotilla: Flotilla
    service: SlackService
    port: int
    clock: FixedClock
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def post(self, path: str, body: bytes, content_type: str, headers: dict[str, str] | None = None,
             signed: bool = True) -> tuple[int, bytes]:  # fmt: skip
        hdrs = {"Content-Type": content_type, **(sign(body) if signed else {}), **(headers or {})}
        req = urllib.request.Request(self.url + path, data=body, headers=hdrs, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def get(self, path: str) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=10) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def form(self, fields: dict[str, Any], **kw: Any) -> tuple[int, bytes]:
        return self.post("/slack/events", urlencode(fields).encode(), "application/x-www-form-urlencoded", **kw)

    def json(self, payload: dict[str, Any], **kw: Any) -> tuple[int, bytes]:
        return self.post("/slack/events", json.dumps(payload).encode(), "application/json", **kw)

    def interactive(self, payload: dict[str, Any], **kw: Any) -> tuple[int, bytes]:
        """A click or form submission; what the app answers in the ack is held to Block Kit's limits."""
        status, body = self.form({"payload": json.dumps(payload)}, **kw)
        answer = json.loads(body) if status == 200 and body.startswith(b"{") else {}
        if answer.get("response_action") in ("update", "push"):
            assert view_errors(answer["view"]) == [], answer
        if answer.get("response_action") == "errors":
            assert errors_errors(answer["errors"]) == [], answer
        return status, body

    # --- Slack's shapes ------------------------------------------------------------------------

    def command_fields(self, user: str, text: str, channel: str = "C0GENERAL") -> tuple[dict[str, Any], str]:
        name = f"cmd{next(self._ids)}"
        fields = fixture("slash_command") | {
            "user_id": user, "user_name": user.lower(), "text": text, "channel_id": channel,
            "response_url": self.standin.response_url(name), "trigger_id": f"trigger.{name}",
        }  # fmt: skip
        return fields, name

    def command(self, user: str, text: str, channel: str = "C0GENERAL", wait: bool = True) -> dict[str, Any]:
        """`/flotilla <text>` as `user`; returns what the app answered through the response_url."""
        fields, name = self.command_fields(user, text, channel)
        status, body = self.form(fields)
        assert status == 200, body
        return self.standin.wait_response(name) if wait else {}

    def action(self, user: str, action_id: str, value: str, channel: str = "C0LEDGER",
               message: dict[str, Any] | None = None) -> tuple[int, str]:  # fmt: skip
        payload = copy.deepcopy(fixture("block_actions"))
        name = f"act{next(self._ids)}"
        payload["user"] = {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM}
        payload["channel"] = {"id": channel, "name": channel.lower()}
        payload["container"]["channel_id"] = channel
        payload["actions"][0].update(action_id=action_id, value=value)
        payload["response_url"] = self.standin.response_url(name)
        payload["trigger_id"] = f"trigger.{name}"
        if message is not None:
            payload["message"] = message
            payload["container"]["message_ts"] = message.get("ts", payload["container"]["message_ts"])
        status, _ = self.interactive(payload)
        assert status == 200
        return status, name

    def event(self, event: dict[str, Any], event_id: str, headers: dict[str, str] | None = None) -> int:
        payload = copy.deepcopy(fixture("app_mention")) | {"event_id": event_id, "event": event}
        status, _ = self.json(payload, headers=headers)
        return status

    def open_home(self, user: str) -> None:
        payload = copy.deepcopy(fixture("app_home_opened"))
        payload["event"]["user"] = user
        payload["event_id"] = f"Ev0HOME{next(self._ids)}"
        before = len([c for c in self.standin.of("views.publish") if c.params["user_id"] == user])
        assert self.json(payload)[0] == 200
        self.standin.wait_for(lambda: len([c for c in self.standin.of("views.publish")
                                           if c.params["user_id"] == user]) > before)  # fmt: skip

    def export(self, workspace: str = TEAM) -> dict[str, Any]:
        from core.transfer import export_workspace

        with self.flotilla.uow_factory(workspace) as uow:
            return export_workspace(uow)


@pytest.fixture
def standin() -> Iterator[SlackStandIn]:
    # ada is a Slack workspace admin, so a Flotilla admin; nobody else is, first speaker or not.
    users = {uid: slack_user(uid, name, admin=name == "ada") for name, uid in PEOPLE.items()}
    s = SlackStandIn(team_id=TEAM, users=users).start()
    yield s
    s.stop()
    assert s.rejected == [], "Slack would have refused these calls"


def roomy_limiter(clock: FixedClock | None = None) -> RateLimiter:
    """Functional tests don't wait for Slack's tiers; the rate-limit tests and the bench use the real ones.
    With `clock`, a Retry-After pause lasts until the test's clock has moved past it (as the outbox's
    retries do), not for real seconds."""
    if clock is None:
        return RateLimiter(limits={}, per_channel={}, default=Rate(10_000.0, 10_000.0))
    return RateLimiter(limits={}, per_channel={}, default=Rate(10_000.0, 10_000.0),
                       clock=lambda: clock.now().timestamp())  # fmt: skip


def serve(standin: SlackStandIn, tmp_path: Path, limiter: RateLimiter | None = None, jobs_here: bool = True,
          **settings: Any) -> tuple[Flotilla, SlackService, Any, FixedClock]:  # fmt: skip
    values = {
        "flotilla_database_url": f"sqlite:///{tmp_path / 'slack.db'}",
        "slack_bot_token": BOT_TOKEN,
        "slack_signing_secret": SIGNING_SECRET,
        "flotilla_slack_api_url": standin.api_url,
    } | settings
    flotilla = build(Settings(**values))
    clock = FixedClock(NOW)
    service = build_slack(flotilla.settings, flotilla.engine, flotilla.uow_factory, clock,
                          limiter=limiter or roomy_limiter(clock))  # fmt: skip
    if jobs_here:  # queued commands run on threads of the test's process, with its clock
        service.run_jobs_here()
    service.start_pump(flotilla.engine, flotilla.uow_factory, clock)  # sends what commands queue
    server = http_server(wsgi_app(service.app, SIGNING_SECRET), "127.0.0.1", 0)
    serve_in_thread(server)
    return flotilla, service, server, clock


@pytest.fixture
def slack(standin: SlackStandIn, tmp_path: Path) -> Iterator[Slack]:
    flotilla, service, server, clock = serve(standin, tmp_path)
    yield Slack(standin=standin, flotilla=flotilla, service=service, port=server.server_port, clock=clock)
    server.shutdown()
    server.server_close()
    service.drain()  # let work started after an ack finish before the stand-in goes
    service.close()
    flotilla.close()
