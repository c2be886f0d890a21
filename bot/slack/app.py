"""Build the bolt App from Settings (called by the composition root; nothing happens at import).

Three ways to run, chosen by the settings present:
- single workspace: SLACK_BOT_TOKEN + SLACK_SIGNING_SECRET, HTTP on /slack/events;
- many workspaces: SLACK_CLIENT_ID + SLACK_CLIENT_SECRET + SLACK_SIGNING_SECRET, with
  /slack/install and /slack/oauth_redirect and the installations kept in Flotilla's database;
- Socket Mode (`--socket`): SLACK_APP_TOKEN + SLACK_BOT_TOKEN, no public URL at all.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from slack_bolt import App, BoltResponse
from slack_bolt.error import BoltError
from slack_bolt.lazy_listener.thread_runner import ThreadLazyListenerRunner
from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.web import WebClient
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from bot.conversation import Conversation
from bot.grammar import SlackMentions
from bot.outbound import Deliveries, OutboxPump
from bot.settings import MissingSecret, Settings, StartupError
from bot.slack import render
from bot.slack.adapter import SlackAdapter
from bot.slack.delivery import PostedMessages, slack_outbound
from bot.slack.directory import UserCache
from bot.slack.jobs import JobQueue, JobRunner
from bot.slack.listeners import Flows, register
from bot.slack.ratelimit import RateLimiter, RetryAfterHandler, retry_handlers
from bot.slack.store import SlackStore, installed_bot_token, oauth_stores
from core.context import PersonInfo, Services
from core.ports import ChatDelivery, Clock, UnitOfWorkFactory
from storage.uow import SqlUnitOfWork

log = logging.getLogger(__name__)

BOT_SCOPES = (
    "app_mentions:read",  # the app_mention event
    "channels:history",  # conversations.history/.replies: before resending a message that may have arrived
    "channels:join",  # conversations.join: a public home channel, to read it back (the outbox)
    "chat:write",  # chat.postMessage, chat.postEphemeral, chat.update
    "chat:write.public",  # notices and digests to a team's home channel without joining it first
    "commands",  # /flotilla
    "files:write",  # files_upload_v2: `--json` attachments and the `map` picture
    "groups:history",  # the outbox's read-back, in private channels
    "im:history",  # the outbox's read-back, in direct messages
    "im:write",  # conversations.open: the DM a file goes to
    "users:read",  # users.info: names, time zones, who is a workspace admin
)
"""Exactly the bot scopes the code needs; manifest.yaml requests these and no others (a test)."""

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
LISTENER_THREADS = 64
"""Threads for what must start the moment a request is acked (opening a form); acks themselves run
on the thread that received the request (process_before_response)."""
LAZY_THREADS = 2
"""Threads for the light work after an ack (the App Home tab). Few on purpose: the database
serialises writes anyway, and more threads only take the interpreter away from the acks."""
JOB_THREADS = 2
WARM_UP_WORKSPACE = "flotilla-warm-up"
WARM_UP_COMMANDS = (
    "help",
    "me",
    "team list",
    "dep list",
    "blocker list",
    "priority list",
    'dep request x "y" --by fri',
)
"""Reads and a refusal (no such team): each loads what a first command of its kind would."""
"""Threads that run queued commands when they run beside the app (`serve slack --workers 0`)."""


class Mode:
    TOKEN = "token"
    OAUTH = "oauth"
    SOCKET = "socket"


@dataclass
class SlackService:
    app: App
    adapter: SlackAdapter
    mode: str
    executor: ThreadPoolExecutor
    lazy_executor: ThreadPoolExecutor
    background: ThreadPoolExecutor
    jobs: JobQueue
    runner: JobRunner
    flows: Flows
    outbound: Callable[[str], ChatDelivery | None]
    """Deliveries for the Slack workspaces this app has a token for (bot.outbound.Outbound)."""
    pump: OutboxPump | None = None

    def run_jobs_here(self, threads: int = JOB_THREADS) -> None:
        """Run queued commands on threads of this process (else worker processes must run them)."""
        self.adapter.queued = self.runner.notify
        self.runner.start(threads)

    def warm_up(self) -> None:
        """What a first command would pay for once, paid before this process says it is ready: the
        grammar's and the core's modules and SQLAlchemy's compiled statements for a unit of work.
        A worker does it before /healthz may say ok."""
        warm_up(self.adapter, self.jobs.engine)

    def start_pump(self, engine: Engine, uow_factory: UnitOfWorkFactory, clock: Clock,
                   deliveries: Deliveries | None = None, metrics: Any = None) -> OutboxPump:  # fmt: skip
        """This process's sender (bot.outbound): woken by every command that queued something."""
        deliveries = deliveries or Deliveries({"slack": self.outbound})
        self.pump = OutboxPump(engine, uow_factory, deliveries, clock, metrics=metrics).start()
        self.adapter.kick = self.pump.kick
        return self.pump

    def settle(self) -> None:
        """Wait until queued commands have run, their side effects are done and what they queued is
        sent (what the forms' threads do is not waited for: `drain` does that, at the end)."""
        self.runner.settle()
        self.background.submit(lambda: None).result()  # one thread: everything submitted before is done
        if self.pump is not None:
            self.pump.settle()

    def drain(self) -> None:
        """Wait for everything started after an ack, queued commands and their sends included, and
        stop taking more (tests and benchmarks, at the end)."""
        self.runner.settle()
        self.executor.shutdown(wait=True)
        self.lazy_executor.shutdown(wait=True)
        self.runner.settle()  # what the last forms and clicks queued
        self.background.shutdown(wait=True)
        if self.pump is not None:
            self.pump.settle()

    def close(self) -> None:
        self.runner.stop()
        if self.pump is not None:
            self.pump.stop()
        self.jobs.close()
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.lazy_executor.shutdown(wait=False, cancel_futures=True)
        self.background.shutdown(wait=False, cancel_futures=True)


def warm_up(adapter: SlackAdapter, engine: Engine) -> None:
    """See SlackService.warm_up: read commands (and a refusal) run through the core on this very
    engine (SQLAlchemy caches compiled statements per engine), as a person who needs no look-up,
    inside one transaction that is rolled back: every commit is a savepoint, nothing is kept."""
    adapter.uow_factory(WARM_UP_WORKSPACE)  # brings the schema to head (on first use), opens nothing
    with engine.connect() as conn, conn.begin() as outer:
        sessions = sessionmaker(bind=conn, class_=Session, expire_on_commit=False,
                                join_transaction_mode="create_savepoint")  # fmt: skip
        conversation = Conversation(lambda name: SqlUnitOfWork(sessions, name), WARM_UP_WORKSPACE, SlackMentions(),
                                    lambda handle: PersonInfo(handle=handle, name=handle), services=adapter.services,
                                    platform="slack")  # fmt: skip
        now = adapter.clock.now()
        for typed in WARM_UP_COMMANDS:
            said = conversation.handle(typed, "U0WARMUP", now)  # and drawn, as an answer would be
            if said.refused:
                render.refusal(said.reply.lines, said.usage)
            else:
                render.message(said.reply.lines, said.reply.offers)
        outer.rollback()


def api_url(settings: Settings) -> str:
    """FLOTILLA_SLACK_API_URL (tests, proxies) or Slack's; slack_sdk wants the trailing slash."""
    url = (settings.flotilla_slack_api_url or WebClient.BASE_URL).strip()
    return url if url.endswith("/") else url + "/"


def mode_of(settings: Settings, socket: bool) -> str:
    if socket:
        return Mode.SOCKET
    if settings.value("slack_client_id") or settings.value("slack_client_secret"):
        return Mode.OAUTH
    return Mode.TOKEN


def require_secrets(settings: Settings, mode: str) -> None:
    """A clear start-up error naming every missing or placeholder secret of this mode."""
    if mode == Mode.SOCKET:
        settings.require("slack_app_token", "slack_bot_token")
    elif mode == Mode.OAUTH:
        settings.require("slack_client_id", "slack_client_secret", "slack_signing_secret")
    else:
        settings.require("slack_bot_token", "slack_signing_secret")


def build_slack(
    settings: Settings,
    engine: Engine,
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    *,
    services: Services | None = None,
    socket: bool = False,
    limiter: RateLimiter | None = None,
    token_verification: bool = True,
    listener_threads: int = LISTENER_THREADS,
    lazy_threads: int = LAZY_THREADS,
) -> SlackService:
    mode = mode_of(settings, socket)
    require_secrets(settings, mode)
    limiter = limiter or RateLimiter()
    base_url = api_url(settings)
    claims = SlackStore(engine)
    claims.create_tables()
    jobs = JobQueue(engine, claims)
    jobs.create_tables()
    adapter = SlackAdapter(uow_factory=uow_factory, clock=clock, claims=claims, limiter=limiter,
                           users=UserCache(), base_url=base_url, services=services or Services(),
                           jobs=jobs, posted=PostedMessages(store=claims))  # fmt: skip
    token = settings.value("slack_bot_token") or None if mode != Mode.OAUTH else None
    client = WebClient(token=token, base_url=base_url, retry_handlers=retry_handlers(RetryAfterHandler(limiter, "app")))
    executor = ThreadPoolExecutor(max_workers=listener_threads, thread_name_prefix="slack-listener")
    lazy_executor = ThreadPoolExecutor(max_workers=lazy_threads, thread_name_prefix="slack-lazy")
    background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="slack-after")
    adapter.background = background
    options: dict[str, Any] = {}
    adapter.urgent = executor  # bolt acks on the request thread (process_before_response), leaving it free
    if mode == Mode.OAUTH:
        options["oauth_settings"] = oauth_settings(settings, engine, adapter)
        adapter.token_for = installed_token(options["oauth_settings"].installation_store)
    else:
        adapter.token_for = single_token(client)
        options["token_verification_enabled"] = token_verification  # the token comes with `client`
    try:
        app = App(name="flotilla", signing_secret=settings.value("slack_signing_secret"), client=client,
                  listener_executor=executor, request_verification_enabled=True, process_before_response=True,
                  **options)  # fmt: skip
    except BoltError as e:  # bolt's auth.test of the token failed: say which variable, in one line
        for pool in (executor, lazy_executor, background):
            pool.shutdown(wait=False)
        raise token_refused(e, "SLACK_BOT_TOKEN", base_url) from None
    # bolt runs lazy listeners on the listener executor; give them their own, smaller pool.
    app.listener_runner.lazy_listener_runner = ThreadLazyListenerRunner(logger=app.logger, executor=lazy_executor)
    flows = Flows.of(adapter)
    register(app, flows)

    @app.error
    def on_error(error: Exception, body: dict[str, Any]) -> None:
        adapter.on_error(error, body)

    runner = JobRunner(jobs, flows.typed.run_job, adapter.on_error, prune=adapter.prune_claims)
    outbound = slack_outbound(settings, engine, adapter.token_for, limiter=limiter, base_url=base_url)
    return SlackService(app=app, adapter=adapter, mode=mode, executor=executor, lazy_executor=lazy_executor,
                        background=background, jobs=jobs, runner=runner, flows=flows,
                        outbound=outbound)  # fmt: skip


def token_lookup(settings: Settings, engine: Engine, *, socket: bool = False) -> Callable[[str], str | None] | None:
    """The bot token of a workspace, for a process that sends without serving Slack (the scheduler):
    the single token, or the install's; None when these settings hold no Slack credentials."""
    mode = mode_of(settings, socket)
    if mode == Mode.OAUTH:
        if not (settings.value("slack_client_id") and settings.value("slack_client_secret")):
            return None
        return installed_token(oauth_stores(engine, settings.slack_client_id or "")[0])
    if not settings.value("slack_bot_token"):
        return None
    return single_token(WebClient(token=settings.value("slack_bot_token"), base_url=api_url(settings)))


def token_refused(error: BoltError, variable: str, base_url: str) -> StartupError:
    """What to say when Slack refused the token at start (or could not be asked), instead of bolt's
    traceback: the variable and Slack's error code, never the token."""
    cause = error.__context__
    if isinstance(cause, SlackApiError):
        code = cause.response.get("error") if isinstance(cause.response.data, dict) else None
        return MissingSecret(f"Can't start: Slack refused {variable} ({code or cause.response.status_code}). "
                             f"Copy the bot token again from the app's OAuth & Permissions page.")  # fmt: skip
    return StartupError(f"Can't start: could not check {variable} with Slack at {base_url}: {error}")


def single_token(client: WebClient) -> Callable[[str], str | None]:
    """Token mode: the one token, for the one workspace auth.test names (asked once, on first use)."""
    known: dict[str, str | None] = {}

    def token_for(workspace: str) -> str | None:
        if "team" not in known:
            answer = client.auth_test()
            known["team"] = answer.get("team_id")
            known["enterprise"] = answer.get("enterprise_id") if answer.get("is_enterprise_install") else None
        return client.token if workspace in (known["team"], known["enterprise"]) else None

    return token_for


def installed_token(store: SQLAlchemyInstallationStore) -> Callable[[str], str | None]:
    """OAuth mode: the bot token of the install the workspace name (team or Enterprise id) refers to,
    whether a plain workspace, a workspace of an Enterprise Grid org or the whole org installed it."""
    return lambda workspace: installed_bot_token(store, workspace)


def oauth_settings(settings: Settings, engine: Engine, adapter: SlackAdapter) -> OAuthSettings:
    assert settings.slack_client_id and settings.slack_client_secret
    installations, states = oauth_stores(engine, settings.slack_client_id)

    def success(args: SuccessArgs) -> BoltResponse:
        inst = args.installation
        workspace = inst.enterprise_id if inst.is_enterprise_install and inst.enterprise_id else inst.team_id
        if workspace and inst.user_id and inst.bot_token:
            adapter.grant_installer(adapter.client(workspace, inst.bot_token), workspace, inst.user_id)
        return args.default.success(args)

    def failure(args: FailureArgs) -> BoltResponse:
        log.warning("Slack install failed: %s", args.reason)
        return args.default.failure(args)

    oauth = OAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.value("slack_client_secret"),
        scopes=list(BOT_SCOPES),
        installation_store=installations,
        state_store=states,
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        callback_options=CallbackOptions(success=success, failure=failure),
    )
    # bolt asks auth.test about the install's token on every request unless told to remember the
    # answer: a Web API round trip before every ack. A token's identity does not change.
    oauth.authorize.cache_enabled = True  # type: ignore[attr-defined]
    return oauth
