"""What every Slack flow shares: clients, who a user is, the core for a workspace, claims against
Slack's redeliveries, what happens after a change (the sender woken, App Homes refreshed) and the
one error handler. The flows themselves live beside it, one module each: typed commands and
mentions (bot.slack.typed), buttons (bot.slack.clicks), modal submissions (bot.slack.submissions)
and the App Home (bot.slack.home). Listeners (bot.slack.listeners) only pick the flow.

No business rule lives here: who may accept, what a dependency's next state is, what a form asks,
who is an admin: the core decides, and says what may follow in a reply's offers and forms.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from slack_sdk.web import WebClient
from slack_sdk.webhook import WebhookClient

from bot.conversation import Conversation, Outcome
from bot.grammar import SlackMentions
from bot.slack import render
from bot.slack.delivery import PostedMessages
from bot.slack.directory import UserCache, look_up
from bot.slack.jobs import JobQueue, Unanswered, finishing
from bot.slack.ratelimit import LimitedWebClient, RateLimiter
from bot.slack.store import SlackStore
from core import commands
from core.admins import grant_platform_admin
from core.context import PersonInfo, Services
from core.ports import Clock, OutboxMessage, UnitOfWorkFactory
from core.reply import Line, Reply, line

log = logging.getLogger(__name__)

_CHANNEL = re.compile(r"^[CG][A-Z0-9]{2,}$")
_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")
CLAIM_DAYS = 2
SORRY = "Sorry, that failed on our side. It has been logged; please try again."
RECORDED = (
    "Your command was recorded, but I could not show you its answer. It has been logged; don't run it "
    "again: `me` or `history` shows what changed."
)
Finish = Callable[[Any], None]


def event_key(workspace: str, body: dict[str, Any]) -> str:
    """The claim that makes a redelivered event (Slack retries after 3 s without an ack) a no-op."""
    return f"event:{workspace}:{body.get('event_id') or (body.get('event') or {}).get('event_ts')}"


def workspace_of(context: Any) -> str:
    """Slack team id, or the Enterprise id for an org-wide install (SPEC: the workspace name)."""
    if context.get("is_enterprise_install") and context.get("enterprise_id"):
        return str(context["enterprise_id"])
    team = context.get("team_id") or context.get("enterprise_id")
    if not team:
        raise ValueError("a Slack request without a team or enterprise id")
    return str(team)


def home_channel(channel_id: str | None) -> str | None:
    """Only a real channel (public or private) can be a team's home; a DM can't."""
    return channel_id if channel_id and _CHANNEL.match(channel_id) else None


def is_user(handle: str) -> bool:
    return bool(_USER.match(handle))


def command_text(text: str, bot_user_id: str | None = None) -> str:
    """What a person typed after `/flotilla` or `@Flotilla`, unescaped as Slack escaped it."""
    if bot_user_id:
        at = re.search(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", text)
        if at is not None:
            text = text[at.end() :]
    return render.unescape(text).strip()


def usage_lines(usage: str) -> tuple[Line, ...]:
    """A refusal's usage as lines of text (a multi-line command list, or one usage line)."""
    if usage.startswith("Commands:"):
        return tuple(line(t) for t in usage.splitlines())
    return (line(f"Usage: {usage}"),)


@dataclass
class SlackAdapter:
    uow_factory: UnitOfWorkFactory
    clock: Clock
    claims: SlackStore
    limiter: RateLimiter = field(default_factory=RateLimiter)
    users: UserCache = field(default_factory=UserCache)
    base_url: str = WebClient.BASE_URL
    timeout: int = 30
    token_for: Callable[[str], str | None] = lambda _workspace: None
    """The bot token of a workspace outside a request (worker processes): the single token, or the install's."""
    posted: PostedMessages = field(default_factory=PostedMessages)
    urgent: Executor | None = None
    """Threads for work that must start at once after the ack (opening a modal before its trigger
    expires in 3 s): not the small lazy pool, where a slow command could keep it waiting."""
    services: Services = field(default_factory=Services)
    """The core's optional helpers (the LLM summarizer for `summary`), from the composition root."""
    jobs: JobQueue | None = None
    """Where typed commands and mentions wait between their ack and their run (bot.slack.jobs)."""
    queued: Callable[[], None] = lambda: None
    """Called after a job is queued: wakes the job threads of this process, if it runs any."""
    kick: Callable[[], None] = lambda: None
    """Called after something was put in the outbox: wakes this process's sender (bot.outbound)."""
    background: Executor | None = None
    """A thread for side effects after a command's answer (App Home refreshes); inline without it."""
    refresh: Callable[[WebClient, str, tuple[str, ...]], None] = lambda _client, _workspace, _people: None
    """Republishes the App Homes of these people (bot.slack.home sets it)."""
    _clients: dict[tuple[str, str], LimitedWebClient] = field(default_factory=dict, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    # --- clients, people, the core ---------------------------------------------------------------

    def client(self, workspace: str, token: str | None) -> LimitedWebClient:
        """One rate-limited client per (workspace, token): every outgoing call goes through it."""
        key = (workspace, token or "")
        with self._lock:
            found = self._clients.get(key)
            if found is None:
                found = LimitedWebClient(limiter=self.limiter, workspace=workspace, token=token,
                                         base_url=self.base_url, timeout=self.timeout)  # fmt: skip
                self._clients[key] = found
        return found

    def client_for(self, context: Any) -> tuple[str, LimitedWebClient]:
        workspace = workspace_of(context)
        return workspace, self.client(workspace, context.get("bot_token") or context.get("token"))

    def person(self, client: WebClient, workspace: str, user_id: str) -> PersonInfo:
        user, fresh = look_up(self.users, client, workspace, user_id)
        if fresh and user.workspace_admin and not user.bot:
            grant_platform_admin(self.uow_factory, workspace, user.info, self.clock.now(), "Slack workspace admin")
        return user.info

    def conversation(self, client: WebClient, workspace: str, finish: Finish | None = None) -> Conversation:
        """The core for one workspace; `finish` (a job's) runs in the transaction that commits."""
        uow_factory = self.uow_factory if finish is None else finishing(self.uow_factory, finish)
        return Conversation(uow_factory, workspace, SlackMentions(), lambda h: self.person(client, workspace, h),
                            services=self.services, platform="slack")  # fmt: skip

    def grant_installer(self, client: WebClient, workspace: str, user_id: str) -> None:
        """Whoever installed the app administers it in Flotilla (OAuth success)."""
        user, _ = look_up(self.users, client, workspace, user_id)
        grant_platform_admin(self.uow_factory, workspace, user.info, self.clock.now(), "installed Flotilla in Slack")

    # --- claims: Slack's redeliveries, double clicks, double submits ---------------------------------

    def claim(self, key: str) -> bool:
        return self.claims.claim(key, self.clock.now())

    def run_claimed(self, key: str, conversation: Conversation, cmd: commands.Command, user: str) -> Outcome:
        """Run a claimed command; give the claim back when it is refused or fails, so that trying
        again (the same click, the same form) runs it rather than being taken for a duplicate."""
        try:
            outcome = conversation.run(cmd, user, self.clock.now())
        except BaseException:
            self.claims.release(key)
            raise
        if outcome.refused:
            self.claims.release(key)
        return outcome

    def prune_claims(self) -> int:
        return self.claims.prune(self.clock.now() - timedelta(days=CLAIM_DAYS))

    # --- after a change ------------------------------------------------------------------------

    def reply_later(self, workspace: str, message: OutboxMessage) -> None:
        """A reply with no request to answer in (an @mention's) goes through the outbox like a notice:
        kept, sent after, a 429 or a dropped connection retried, never sent twice."""
        with self.uow_factory(workspace) as uow:
            uow.outbox.add(message)
            uow.commit()
        self.kick()

    def after(self, client: WebClient, workspace: str, result: Reply | None) -> None:
        """What a stored command causes beyond its reply. Its notices are in the outbox already (the
        core wrote them with the change): the sender is woken. The App Homes of those it concerns are
        refreshed on a thread of their own. Neither can make the command look failed."""
        if result is None:
            return
        if result.notices:
            self.kick()
        people = tuple(p for p in result.concerns if is_user(p))
        if people:
            self.in_background(self.refresh, client, workspace, people)

    def in_background(self, fn: Callable[..., None], *args: Any) -> None:
        def run() -> None:
            try:
                fn(*args)
            except Exception as e:  # a side effect: the command itself is stored and answered
                log.warning("Slack: %s after a command failed: %s: %s", getattr(fn, "__name__", fn),
                            type(e).__name__, e)  # fmt: skip

        if self.background is None:
            run()
            return
        try:
            self.background.submit(run)
        except RuntimeError:  # shutting down: a side effect is not worth holding the exit for
            log.info("Slack: a side effect skipped, the app is stopping")

    def at_once(self, fn: Callable[..., None], body: dict[str, Any], *args: Any) -> None:
        """Run `fn(body, *args)` right after the ack, on the urgent threads (inline without them);
        a failure goes to the one error handler."""

        def run() -> None:
            try:
                fn(body, *args)
            except Exception as e:
                self.on_error(e, body)

        if self.urgent is None:
            run()
        else:
            self.urgent.submit(run)

    # --- telling people ------------------------------------------------------------------------

    def tell(self, client: WebClient, user: str, body: dict[str, Any], outcome: Outcome) -> None:
        """Only the clicker learns that it was refused: ephemerally in the channel, or by DM from Home."""
        text, blocks = render.refusal(outcome.reply.lines, outcome.usage)
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
        if channel:
            client.chat_postEphemeral(channel=channel, user=user, text=text, blocks=blocks)
        else:
            client.chat_postMessage(channel=user, text=text, blocks=blocks)

    def on_error(self, error: Exception, body: dict[str, Any] | None) -> None:
        """Every listener's failure ends here: logged (never the payload: it holds tokens), and the
        person who asked is told when Slack left us a way to answer."""
        kind = (body or {}).get("type") or ("slash_command" if (body or {}).get("command") else "unknown")
        log.error("Slack %s failed: %s: %s", kind, type(error).__name__, error, exc_info=error)
        url = (body or {}).get("response_url")
        if url:
            try:
                text = RECORDED if isinstance(error, Unanswered) else SORRY
                WebhookClient(url).send(response_type="ephemeral", replace_original=False, text=text)
            except Exception as notify_error:  # the error handler must not raise
                log.warning("could not tell the user about the failure: %s", type(notify_error).__name__)


def guarded(
    on_error: Callable[[Exception, dict[str, Any] | None], None],
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Lazy listeners' failures go to the one error handler too (bolt would only log them)."""
    import functools

    def wrap(fn: Callable[..., None]) -> Callable[..., None]:
        @functools.wraps(fn)
        def run(**kwargs: Any) -> None:
            try:
                fn(**kwargs)
            except Exception as e:
                on_error(e, kwargs.get("body"))

        return run

    return wrap
