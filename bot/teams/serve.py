"""`flotilla serve teams`: Settings, database, the Bot Framework app, the outbox drainer, the scheduler."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable

from aiohttp import web

from bot.bootstrap import Flotilla, build, settle_heap
from bot.clock import SystemClock
from bot.settings import Settings
from bot.teams.app import TeamsApp, build_teams_app, outbox_drainer
from bot.teams.auth import bot_config
from bot.teams.seen import SeenActivities
from storage.conversation_refs import SqlConversationRefs, workspaces_with_refs
from storage.offered_files import SqlOfferedFiles

log = logging.getLogger(__name__)

DRAIN_EVERY = 15.0
"""Seconds between outbox passes: retries that fell due, and anything another process queued."""


def start_scheduler(flotilla: Flotilla) -> Callable[[], None]:
    """The rhythm scheduler beside the app (unless --no-scheduler). It only enqueues: `drain_loop`
    delivers Teams workspaces' outboxes, since a Teams send must run on the app's event loop."""
    from bot.scheduler import start_background

    return start_background(flotilla, None)


def drain_loop(
    flotilla: Flotilla, teams: TeamsApp, every: float = DRAIN_EVERY
) -> Callable[[web.Application], AsyncIterator[None]]:
    """An aiohttp cleanup context: drain every Teams workspace's outbox now and then."""
    kick = outbox_drainer(flotilla.uow_factory, teams.delivery, SystemClock())

    async def loop() -> None:
        while True:
            try:
                names = await asyncio.to_thread(workspaces_with_refs, flotilla.engine, "teams")
                for workspace in names:
                    await kick(workspace, ())
            except Exception:  # one bad pass must not stop delivery for good; the next pass retries
                log.exception("outbox pass failed")
            await asyncio.sleep(every)

    async def context(app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(loop())
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

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
        app = teams.web_app()
        app.cleanup_ctx.append(drain_loop(flotilla, teams))
        settle_heap()
        stop_scheduler = None if args.no_scheduler else start_scheduler(flotilla)
        try:
            log.warning("Flotilla for Microsoft Teams on http://%s:%d/api/messages (auth %s)", args.host, args.port,
                        "on" if config.APP_ID else "OFF")  # fmt: skip
            web.run_app(app, host=args.host, port=args.port, print=None)
        finally:
            if stop_scheduler is not None:
                stop_scheduler()
    finally:
        flotilla.close()
    return 0
