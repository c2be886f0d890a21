"""Teams deliveries for a process that does not serve Teams (`flotilla scheduler`): an adapter of
its own, on an event loop of its own (a daemon thread), from the same Microsoft settings as
`serve teams`. Without an app id there is nothing to authenticate proactive sends with, and
Teams workspaces are left to `serve teams`."""

from __future__ import annotations

import asyncio
import threading

from botbuilder.integration.aiohttp import CloudAdapter
from sqlalchemy import Engine

from bot.outbound import Outbound
from bot.settings import Settings
from bot.teams.app import teams_outbound as on_loop
from bot.teams.auth import authentication, bot_config
from bot.teams.connector import ConversationPacer, PacedAuthentication, RetryPolicy
from bot.teams.delivery import TeamsDelivery
from bot.teams.handler import names_for
from core.ports import UnitOfWorkFactory
from storage.conversation_refs import SqlConversationRefs


def teams_outbound(settings: Settings, engine: Engine, uow_factory: UnitOfWorkFactory) -> Outbound | None:
    if not (settings.microsoft_app_id or "").strip():
        return None
    config = bot_config(settings)
    pacer = ConversationPacer()
    adapter = CloudAdapter(PacedAuthentication(authentication(config), lambda: RetryPolicy(pacer)))
    refs = SqlConversationRefs(engine, "teams")
    delivery = TeamsDelivery(adapter=adapter, refs=refs, app_id=config.APP_ID,
                             names=lambda ws: names_for(uow_factory, refs, ws))  # fmt: skip
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, daemon=True, name="flotilla-teams-loop").start()
    return on_loop(delivery, loop)
