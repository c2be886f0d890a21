"""`flotilla serve slack`: the composition of Settings, database, bolt App, server and scheduler."""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
from collections.abc import Callable

from bot.bootstrap import Flotilla, build, settle_heap
from bot.clock import SystemClock
from bot.metrics import MULTIPROCESS, Metrics
from bot.scheduler import start_background
from bot.settings import Settings
from bot.slack.app import SlackService, build_slack
from bot.slack.server import WSGIApp, database_ready, http_server, wsgi_app
from bot.slack.workers import Workers

log = logging.getLogger(__name__)


def start_scheduler(flotilla: Flotilla, service: SlackService, metrics: Metrics | None = None) -> Callable[[], None]:
    """The rhythm scheduler (bot.scheduler) beside the app, unless --no-scheduler: it ticks every
    workspace; this process's pump sends what that queued for the Slack workspaces it can post to."""
    return start_background(flotilla.uow_factory, flotilla.engine, SystemClock(), service.pump, metrics)


def start_sending(flotilla: Flotilla, service: SlackService, metrics: Metrics | None = None) -> None:
    """This process's outbox sender, for the Slack workspaces it has a token for."""
    service.start_pump(flotilla.engine, flotilla.uow_factory, SystemClock(), metrics=metrics)
    if metrics is not None:
        service.runner.observe = lambda seconds: metrics.observe("slack", "answer", seconds)


def share_metrics(workers: int) -> None:
    """Worker processes count in files that the server's /metrics adds up (bot.metrics): the
    directory is named before prometheus_client loads anywhere, and emptied of an earlier run's."""
    if workers > 0 and not os.environ.get(MULTIPROCESS):
        os.environ[MULTIPROCESS] = tempfile.mkdtemp(prefix="flotilla-metrics-")


def start_workers(args: argparse.Namespace, flotilla: Flotilla, service: SlackService) -> Workers | None:
    """Processes that run the queued commands (bot.slack.workers); with `--workers 0`, threads here."""
    count = getattr(args, "workers", 1)
    url = flotilla.engine.url
    if count > 0 and url.get_backend_name() == "sqlite" and (url.database or ":memory:") == ":memory:":
        log.warning("an in-memory database is this process's alone: commands run here, not in workers")
        count = 0
    if count <= 0:
        service.run_jobs_here()
        return None
    return Workers(flotilla.settings, count, database_url=args.db, socket=args.socket).start()


def serve(args: argparse.Namespace, settings: Settings | None = None) -> int:
    share_metrics(getattr(args, "workers", 1))
    flotilla = build(settings, database_url=args.db)
    service = build_slack(flotilla.settings, flotilla.engine, flotilla.uow_factory, SystemClock(),
                          services=flotilla.services, socket=args.socket)  # fmt: skip
    settle_heap()  # before the scheduler's thread starts allocating
    metrics = Metrics(flotilla.engine)
    start_sending(flotilla, service, metrics)
    workers = start_workers(args, flotilla, service)
    stop_scheduler = None if args.no_scheduler else start_scheduler(flotilla, service, metrics)
    try:
        if args.socket:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            log.warning("Flotilla for Slack in Socket Mode")
            SocketModeHandler(service.app, flotilla.settings.slack_app_token).start()  # type: ignore[no-untyped-call]
        else:
            server = http_server(wsgi_app(service.app, database_ready(flotilla.engine), metrics), args.host,
                                 args.port)  # fmt: skip
            log.warning("Flotilla for Slack (%s mode) on http://%s:%d/slack/events", service.mode, args.host,
                        server.server_port)  # fmt: skip
            try:
                server.serve_forever()
            finally:
                server.server_close()
    finally:
        if stop_scheduler is not None:
            stop_scheduler()
        if workers is not None:
            workers.stop()
        service.close()
        flotilla.close()
    return 0


def wsgi_from_env() -> WSGIApp:
    """For a WSGI server in production: `gunicorn 'bot.slack.serve:wsgi_from_env()' -w 4 --threads 16`.
    Runs no scheduler: run `flotilla scheduler` beside it (or `serve slack` replicas), which ticks
    the rhythm and delivers through Slack too. Queued commands run on threads of each WSGI process,
    and each process sends what its commands queued."""
    flotilla = build()
    service = build_slack(
        flotilla.settings, flotilla.engine, flotilla.uow_factory, SystemClock(), services=flotilla.services
    )
    service.run_jobs_here()
    metrics = Metrics(flotilla.engine)
    start_sending(flotilla, service, metrics)
    settle_heap()
    return wsgi_app(service.app, database_ready(flotilla.engine), metrics)
