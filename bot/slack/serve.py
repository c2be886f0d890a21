"""`flotilla serve slack`: the composition of Settings, database, bolt App, server and scheduler."""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
from collections.abc import Callable

from slack_sdk.errors import SlackApiError

from bot.bootstrap import Flotilla, build, settle_heap
from bot.clock import SystemClock
from bot.metrics import MULTIPROCESS, Metrics
from bot.scheduler import start_background
from bot.settings import MissingSecret, Settings
from bot.slack.app import SlackService, build_slack
from bot.slack.server import WSGIApp, database_ready, http_server, wsgi_app
from bot.slack.workers import Workers

log = logging.getLogger(__name__)


def start_scheduler(flotilla: Flotilla, service: SlackService, metrics: Metrics | None = None) -> Callable[[], None]:
    """The rhythm scheduler (bot.scheduler) beside the app, unless --no-scheduler: it ticks every
    workspace; this process's pump sends what that queued for the Slack workspaces it can post to."""
    return start_background(
        flotilla.uow_factory, flotilla.engine, SystemClock(), service.pump, metrics, flotilla.services
    )


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
        service.warm_up()  # /healthz is ok from the start here: the first command must not pay for it
        service.run_jobs_here()
        return None
    workers = Workers(flotilla.settings, count, database_url=args.db, socket=args.socket).start()
    service.adapter.queued = workers.wake  # a queued command wakes the workers at once
    return workers


def readiness(flotilla: Flotilla, workers: Workers | None) -> Callable[[], str | None]:
    """/healthz: what keeps this process from answering a command now (None: nothing). A command
    needs the database and something to run it: a worker process that has built its app (a new
    one takes seconds to start), or this process's own job threads (`--workers 0`)."""
    database = database_ready(flotilla.engine)

    def waiting() -> str | None:
        if not database():
            return "database unavailable"
        if workers is not None and not workers.ready():
            return "starting: no worker is ready to run commands yet"
        return None

    return waiting


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
            try:
                SocketModeHandler(service.app, flotilla.settings.value("slack_app_token")).start()  # type: ignore[no-untyped-call]
            except SlackApiError as e:  # apps.connections.open refused the app-level token
                code = e.response.get("error") if isinstance(e.response.data, dict) else e.response.status_code
                raise MissingSecret(f"Can't start: Slack refused SLACK_APP_TOKEN ({code}).") from None
        else:
            secret = flotilla.settings.value("slack_signing_secret")
            application = wsgi_app(service.app, secret, readiness(flotilla, workers), metrics)
            server = http_server(application, args.host, args.port)
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
    """For a WSGI server of your own: `gunicorn 'bot.slack.serve:wsgi_from_env()' -w 4 --threads 16`
    (`flotilla serve slack` runs waitress, with the limits of bot.slack.server). Runs no scheduler:
    run `flotilla scheduler` beside it (or `serve slack` replicas), which ticks the rhythm and
    delivers through Slack too. Queued commands run on threads of each WSGI process, and each
    process sends what its commands queued."""
    flotilla = build()
    service = build_slack(
        flotilla.settings, flotilla.engine, flotilla.uow_factory, SystemClock(), services=flotilla.services
    )
    service.warm_up()
    service.run_jobs_here()
    metrics = Metrics(flotilla.engine)
    start_sending(flotilla, service, metrics)
    settle_heap()
    return wsgi_app(service.app, flotilla.settings.value("slack_signing_secret"), readiness(flotilla, None), metrics)
