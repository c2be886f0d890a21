"""`flotilla serve teams`: Settings, database, the Bot Framework app, the outbox's sender, the scheduler."""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import AsyncIterator, Callable

from aiohttp import web

from bot.bootstrap import Flotilla, build, settle_heap
from bot.clock import SystemClock
from bot.metrics import Metrics
from bot.outbound import Outbound
from bot.scheduler import start_background
from bot.settings import Settings
from bot.teams.app import TeamsApp, build_teams_app
from bot.teams.auth import bot_config
from bot.teams.seen import SeenActivities
from storage.conversation_refs import SqlConversationRefs
from storage.offered_files import SqlOfferedFiles

log = logging.getLogger(__name__)


def other_platforms(flotilla: Flotilla) -> dict[str, Outbound]:
    """Slack, too, when this process holds a Slack token: it sends whatever it can."""
    from bot.slack.app import token_lookup
    from bot.slack.delivery import slack_outbound

    token_for = token_lookup(flotilla.settings, flotilla.engine)
    return {"slack": slack_outbound(flotilla.settings, flotilla.engine, token_for)} if token_for else {}


def sending(flotilla: Flotilla, teams: TeamsApp, scheduler: bool) -> Callable[[web.Application], AsyncIterator[None]]:
    """An aiohttp cleanup context: the outbox's sender (Teams sends run on the app's event loop)
    and, unless --no-scheduler, the rhythm scheduler, which wakes it after every tick."""

    async def context(app: web.Application) -> AsyncIterator[None]:
        clock = SystemClock()
        others = await asyncio.to_thread(other_platforms, flotilla)
        pump = teams.start_sending(flotilla.engine, flotilla.uow_factory, clock, asyncio.get_running_loop(), others)
        stop = None
        if scheduler:
            stop = start_background(
                flotilla.uow_factory, flotilla.engine, clock, pump, teams.metrics, flotilla.services
            )
        yield
        if stop is not None:
            stop()
        await asyncio.to_thread(teams.stop_sending)

    return context


def serve(args: argparse.Namespace, settings: Settings | None = None) -> int:
    settings = settings or Settings()
    config = bot_config(settings, insecure_local=getattr(args, "insecure_local", False))  # before the database
    flotilla = build(settings, database_url=args.db)
    try:
        refs = SqlConversationRefs(flotilla.engine, "teams")
        seen = SeenActivities(flotilla.engine)
        seen.create_tables()  # adapter infrastructure, like the Slack claims: created if missing, no migration
        files = SqlOfferedFiles(flotilla.engine, "teams")
        teams = build_teams_app(flotilla.uow_factory, refs, SystemClock(), config, services=flotilla.services,
                                seen=seen, files=files)  # fmt: skip
        teams.metrics = Metrics(flotilla.engine)
        app = teams.web_app()
        app.cleanup_ctx.append(sending(flotilla, teams, scheduler=not args.no_scheduler))
        settle_heap()
        log.warning("Flotilla for Microsoft Teams on http://%s:%d/api/messages (auth %s)", args.host, args.port,
                    "on" if config.APP_ID else "OFF")  # fmt: skip
        web.run_app(app, host=args.host, port=args.port, print=None)
    finally:
        flotilla.close()
    return 0
