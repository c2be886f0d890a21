"""A Teams stack on loopback: the real aiohttp app and a Bot Connector stand-in that records.

Activities are the recorded JSON shapes in tests/fixtures/teams/, with `serviceUrl` pointed at
the stand-in. Time never really passes: the connector's pacer and retries sleep on a fake clock.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.bootstrap import build
from bot.teams.app import TeamsApp, build_teams_app
from bot.teams.auth import BotConfig
from bot.teams.connector import ConversationPacer, RetryPolicy
from bot.teams.seen import SeenActivities
from core.fakes import FixedClock
from storage.conversation_refs import SqlConversationRefs

REPO = Path(__file__).resolve().parents[3]
FIXTURES = REPO / "tests" / "fixtures" / "teams"
SCHEMAS = REPO.parent / "shared" / "schemas"

TENANT = "11111111-2222-3333-4444-555555555555"
BOT_ID = "28:00000000-0000-0000-0000-0000000b0b0b"
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def schema(relative: str, fixture: str) -> dict[str, Any]:
    """A schema from ../shared/schemas, or the copy in tests/fixtures/teams when shared/ is absent."""
    for path in (SCHEMAS / relative, FIXTURES / "schemas" / fixture):
        if path.exists():
            return json.loads(path.read_text(encoding="utf-8"))
    pytest.skip(f"schema {relative} not found beside the checkout")


def card_validator() -> jsonschema.Validator:
    return jsonschema.Draft6Validator(schema("adaptive-card/adaptive-card-1.5.json", "adaptive-card-1.5.json"))


def activity_validator() -> jsonschema.Validator:
    swagger = schema("bot-framework/ConnectorAPI.json", "ConnectorAPI.json")
    return jsonschema.Draft4Validator({"$ref": "#/definitions/Activity", "definitions": swagger["definitions"]})


def fixture(name: str, service_url: str = "", **changes: Any) -> dict[str, Any]:
    activity: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    if service_url:
        activity["serviceUrl"] = service_url
    activity.update(changes)
    return activity


class FakeTime:
    """A monotonic clock that only the fake sleep moves."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@dataclass
class Sent:
    method: str
    conversation: str
    activity_id: str | None
    body: dict[str, Any]


@dataclass
class Connector:
    """The Bot Connector REST API as far as the bot uses it; records every call it accepts."""

    sent: list[Sent] = field(default_factory=list)
    failures: deque[tuple[int, dict[str, str]]] = field(default_factory=deque)
    refused: list[int] = field(default_factory=list)
    members: dict[str, dict[str, Any]] = field(default_factory=dict)
    created: list[dict[str, Any]] = field(default_factory=list)
    refusing: dict[str, tuple[int, dict[str, str]]] = field(default_factory=dict)
    """Conversation id prefix -> (status, headers): every post there is refused until removed."""

    def app(self) -> web.Application:
        app = web.Application(client_max_size=4 * 1024 * 1024)  # inline pictures are up to ~1 MB
        app.router.add_post("/v3/conversations/{cid}/activities", self.post)
        app.router.add_post("/v3/conversations/{cid}/activities/{aid}", self.post)
        app.router.add_put("/v3/conversations/{cid}/activities/{aid}", self.post)
        app.router.add_get("/v3/conversations/{cid}/members/{mid}", self.member)
        app.router.add_post("/v3/conversations", self.create)
        return app

    def fail_next(self, status: int, retry_after: str | None = None) -> None:
        self.failures.append((status, {"Retry-After": retry_after} if retry_after else {}))

    def refuse(self, conversation: str, status: int, retry_after: str | None = None) -> None:
        self.refusing[conversation] = (status, {"Retry-After": retry_after} if retry_after else {})

    async def post(self, request: web.Request) -> web.Response:
        for prefix, (status, headers) in self.refusing.items():
            if request.match_info["cid"].startswith(prefix):
                self.refused.append(status)
                return web.json_response({"error": {"code": "Throttled", "message": "slow down"}}, status=status,
                                         headers=headers)  # fmt: skip
        if self.failures:
            status, headers = self.failures.popleft()
            self.refused.append(status)
            return web.json_response({"error": {"code": "Throttled", "message": "slow down"}}, status=status,
                                     headers=headers)  # fmt: skip
        body = await request.json()
        aid = request.match_info.get("aid")
        self.sent.append(Sent(request.method, request.match_info["cid"], aid, body))
        return web.json_response({"id": aid if request.method == "PUT" else f"bot-msg-{len(self.sent)}"})

    async def member(self, request: web.Request) -> web.Response:
        found = self.members.get(request.match_info["mid"])
        if found is None:
            return web.json_response({"error": {"code": "MemberNotFoundInConversation", "message": "no"}}, status=404)
        return web.json_response(found)

    async def create(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.created.append(body)
        return web.json_response({"id": f"a:new-personal-{len(self.created)}", "activityId": None})

    def messages(self) -> list[dict[str, Any]]:
        return [s.body for s in self.sent if s.body.get("type") == "message"]

    def texts(self) -> list[str]:
        return [m.get("text") or "" for m in self.messages()]

    def cards(self) -> list[dict[str, Any]]:
        return [
            a["content"]
            for m in self.messages()
            for a in m.get("attachments") or []
            if a.get("contentType") == "application/vnd.microsoft.card.adaptive"
        ]


@dataclass
class Stack:
    teams: TeamsApp
    connector: Connector
    client: TestClient
    service_url: str
    time: FakeTime
    refs: SqlConversationRefs
    app: Any
    clock: FixedClock

    posted: int = 0

    async def post(
        self,
        activity: dict[str, Any],
        headers: dict[str, str] | None = None,
        *,
        again: bool = False,
        settle: bool = True,
    ) -> tuple[int, Any]:
        """Post an activity. Each post is a new activity (Teams gives every one its own id: the
        fixture's id gets a suffix) unless `again`, a redelivery of the activity exactly as given."""
        activity = copy.deepcopy(activity)
        activity["serviceUrl"] = self.service_url
        if not again and activity.get("id"):
            self.posted += 1
            activity["id"] = f"{activity['id']}{self.posted:04d}"
        response = await self.client.post("/api/messages", json=activity, headers=headers or {})
        body = await response.json() if response.content_type == "application/json" else await response.text()
        if settle:
            await self.settle()
        return response.status, body

    async def settle(self) -> None:
        """Wait until the outbox's sender has sent everything due (notices go out after the turn)."""
        assert self.teams.pump is not None
        await asyncio.to_thread(self.teams.pump.settle)

    def export(self) -> dict[str, Any]:
        from core.transfer import export_workspace

        with self.app.uow_factory(TENANT) as uow:
            return export_workspace(uow)


@asynccontextmanager
async def teams_stack(db_url: str, *, app_id: str = "", password: str = "") -> AsyncIterator[Stack]:
    connector = Connector()
    connector_server = TestServer(connector.app(), host="127.0.0.1")
    await connector_server.start_server()
    flotilla = build(database_url=db_url)
    refs = SqlConversationRefs(flotilla.engine, "teams")
    time = FakeTime()
    pacer = ConversationPacer(clock=time.clock, sleep=time.sleep)
    clock = FixedClock(NOW)
    seen = SeenActivities(flotilla.engine)
    seen.create_tables()
    teams = build_teams_app(
        flotilla.uow_factory, refs, clock, BotConfig(app_id, password, "MultiTenant", ""),
        pacer=pacer, make_policy=lambda: RetryPolicy(pacer, sleep=time.sleep, jitter=lambda: 0.5), seen=seen,
    )  # fmt: skip
    client = TestClient(TestServer(teams.web_app(), host="127.0.0.1"))
    await client.start_server()
    teams.start_sending(flotilla.engine, flotilla.uow_factory, clock, asyncio.get_running_loop())
    try:
        yield Stack(teams, connector, client, str(connector_server.make_url("/")), time, refs, flotilla, clock)
    finally:
        await asyncio.to_thread(teams.stop_sending)
        await client.close()
        await connector_server.close()
        flotilla.close()
