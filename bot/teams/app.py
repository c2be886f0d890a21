"""`flotilla serve teams`: the Bot Framework endpoint on aiohttp (/api/messages, /healthz).

/api/messages calls `CloudAdapter.process_activity` and writes the HTTP response itself instead of
`CloudAdapter.process`, which in botbuilder 4.17.1 runs an invoke body that is already JSON through
msrest's serializer a second time and answers Teams with a 500 for every Action.Execute. Requests
that fail authentication in any way get 401 (one log line, no traceback) before the activity
reaches the bot: nothing is read or stored (bot.teams.auth.CheckedAuthentication).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from botbuilder.core import TurnContext
from botbuilder.core.serializer_helper import serializer_helper
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, ActivityTypes
from botframework.connector.auth import BotFrameworkAuthentication
from msrest.serialization import Model
from sqlalchemy import Engine

from bot.metrics import CONTENT_TYPE, Metrics
from bot.outbound import Deliveries, Outbound, OutboxPump
from bot.teams.auth import BotConfig, CheckedAuthentication, KeysUnavailable, authentication
from bot.teams.connector import ConversationPacer, PacedAuthentication, RetryPolicy
from bot.teams.delivery import TeamsChatDelivery, TeamsDelivery
from bot.teams.files import FileShelf
from bot.teams.handler import RECORDED, STORED, TeamsBot, names_for
from bot.teams.references import ReferenceStore
from bot.teams.seen import SeenLog
from core.context import Services
from core.ports import Clock, UnitOfWorkFactory
from core.reply import Notice

log = logging.getLogger(__name__)

MAX_BODY = 256 * 1024
"""Teams activities are far smaller; anything bigger is refused before it is parsed."""

SORRY = "Sorry, something went wrong on my side and nothing was changed. Please try again."


@dataclass
class TeamsApp:
    """Everything `serve teams` runs, built from its parts (bot.bootstrap wires them from Settings)."""

    adapter: CloudAdapter
    bot: TeamsBot
    delivery: TeamsDelivery
    config: BotConfig
    pump: OutboxPump | None = None
    metrics: Metrics | None = None

    def kick(self) -> None:
        if self.pump is not None:
            self.pump.kick()

    def start_sending(
        self, engine: Engine, uow_factory: UnitOfWorkFactory, clock: Clock, loop: asyncio.AbstractEventLoop,
        others: Mapping[str, Outbound] | None = None,
    ) -> OutboxPump:  # fmt: skip
        """The outbox's sender for this process: Teams workspaces through this app's adapter on
        `loop`, and `others` (Slack, when this process has its token). A command's turn only wakes
        it: nobody's card click waits for anybody's notice."""
        deliveries = Deliveries({**(others or {}), "teams": teams_outbound(self.delivery, loop)})
        self.pump = OutboxPump(engine, uow_factory, deliveries, clock, metrics=self.metrics).start()
        return self.pump

    def stop_sending(self) -> None:
        if self.pump is not None:
            self.pump.stop()

    def web_app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_post("/api/messages", self.messages)
        app.router.add_get("/healthz", healthz)
        app.router.add_get("/metrics", self.exposition)
        return app

    async def exposition(self, request: web.Request) -> web.Response:
        if self.metrics is None:
            return web.Response(status=404)
        body = await asyncio.to_thread(self.metrics.exposition)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})

    async def messages(self, request: web.Request) -> web.Response:
        if "application/json" not in request.headers.get("Content-Type", ""):
            return web.Response(status=415, text="Content-Type must be application/json")
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return web.Response(status=400, text="The body is not JSON.")
        if not isinstance(body, dict):
            return web.Response(status=400, text="The body is not an Activity.")
        activity = Activity().deserialize(body)
        if not activity.type:
            return web.Response(status=400, text="The body is not an Activity.")
        auth_header = request.headers.get("Authorization", "")
        try:
            invoke = await self.adapter.process_activity(auth_header, activity, self.bot.on_turn)
        except PermissionError:  # bot.teams.auth.Unauthenticated, logged there
            return web.Response(status=401)
        except KeysUnavailable:
            return web.Response(status=503, headers={"Retry-After": "30"})
        if invoke is None:
            return web.Response(status=201)
        return web.json_response(data=invoke_body(invoke.body), status=invoke.status or 200)


def invoke_body(body: Any) -> Any:
    """An invoke response body as JSON, whether botbuilder left it a model or it is JSON already."""
    if isinstance(body, Model):
        return serializer_helper(body)
    return body


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def on_turn_error(adapter: CloudAdapter) -> Callable[[TurnContext, Exception], Awaitable[None]]:
    """The one error handler: log the failure (never the activity's text or tokens), say sorry."""

    async def handle(context: TurnContext, error: Exception) -> None:
        activity = context.activity
        log.error("turn failed for a %s activity in %s: %s", activity.type, activity.channel_id,
                  type(error).__name__, exc_info=error)  # fmt: skip
        if activity.type == ActivityTypes.message:
            try:
                await context.send_activity(RECORDED if context.turn_state.get(STORED) else SORRY)
            except Exception as e:  # the connector may be what failed; the log above already says why
                log.error("could not tell the user about the failure: %s", type(e).__name__)

    return handle


def build_teams_app(
    uow_factory: UnitOfWorkFactory,
    refs: ReferenceStore,
    clock: Clock,
    config: BotConfig,
    *,
    auth: BotFrameworkAuthentication | None = None,
    pacer: ConversationPacer | None = None,
    make_policy: Callable[[], RetryPolicy] | None = None,
    notices: Callable[[TeamsDelivery], Callable[[str, tuple[Notice, ...]], Any]] | None = None,
    services: Services | None = None,
    seen: SeenLog | None = None,
    files: FileShelf | None = None,
) -> TeamsApp:
    """The adapter, bot and delivery. `notices` is what happens after a command that caused notices
    (default: wake the outbox's sender, see `TeamsApp.start_sending`); tests pass their own
    pacer/policy so that nothing really waits. `seen` (bot.teams.seen.SeenActivities) makes
    redeliveries no-ops; `files` (storage.offered_files.SqlOfferedFiles) lets a long `--json` go to
    a personal chat as a file."""
    shared_pacer = pacer or ConversationPacer()
    policy = make_policy or (lambda: RetryPolicy(shared_pacer))
    adapter = CloudAdapter(PacedAuthentication(CheckedAuthentication(auth or authentication(config)), policy))
    adapter.on_turn_error = on_turn_error(adapter)
    bot = TeamsBot(uow_factory=uow_factory, refs=refs, clock=clock, services=services or Services(), seen=seen,
                   files=files)  # fmt: skip
    delivery = TeamsDelivery(adapter=adapter, refs=refs, app_id=config.APP_ID,
                             names=lambda ws: names_for(uow_factory, refs, ws))  # fmt: skip
    teams = TeamsApp(adapter=adapter, bot=bot, delivery=delivery, config=config)
    bot.notices = notices(delivery) if notices else (lambda _workspace, _notices: teams.kick())
    return teams


def teams_outbound(delivery: TeamsDelivery, loop: asyncio.AbstractEventLoop) -> Outbound:
    """Deliveries for every Teams workspace, sending on `loop` (where the adapter lives)."""
    return lambda workspace: TeamsChatDelivery(delivery, workspace, loop)
