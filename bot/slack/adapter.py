"""The Slack adapter's flows: a Slack payload becomes a line or a command for the shared
Conversation, and the Outcome goes back as Block Kit, notices, files and the App Home.

Listeners (bot.slack.listeners) only pick the flow; no business rule lives here either: who may
accept, what a dependency's next state is, who is an admin — the core decides.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from slack_bolt.context.respond import Respond
from slack_sdk.web import WebClient
from slack_sdk.webhook import WebhookClient

from bot.conversation import Conversation, Outcome
from bot.grammar import ParseError, SlackMentions, parse
from bot.slack import forms, render
from bot.slack.delivery import PostedMessages
from bot.slack.directory import UserCache, look_up
from bot.slack.home import home_view
from bot.slack.jobs import COMMAND, MENTION, Job, JobQueue, Unanswered, finishing
from bot.slack.ratelimit import LimitedWebClient, RateLimiter
from bot.slack.store import Claims
from core import commands
from core.admins import grant_platform_admin
from core.outbox import OutboxMessage
from core.ports import Clock, UnitOfWorkFactory
from core.reply import Line, Reply, line
from core.service import PersonInfo, Services

log = logging.getLogger(__name__)

_RECORD = re.compile(r"^([DB])-(\d{1,9})$")
_CHANNEL = re.compile(r"^[CG][A-Z0-9]{2,}$")
MAX_HOMES = 100
"""At most this many App Home views republished after one change (views.publish is Tier 4)."""
CLAIM_DAYS = 2
SORRY = "Sorry, that failed on our side. It has been logged; please try again."
RECORDED = (
    "Your command was recorded, but I could not show you its answer. It has been logged; don't run it "
    "again: `me` or `history` shows what changed."
)
JSON_SENT = "The JSON is in your direct messages with Flotilla, as a file."
HOME_VIEWER_DAYS = 14
"""App Homes opened within this many days are kept fresh when what they show changes."""


BUTTON_COMMANDS: dict[str, tuple[str, Callable[[int], commands.Command]]] = {
    render.ACTION_DEP_ACCEPT: ("D", lambda n: commands.DepAccept(number=n)),
    render.ACTION_DEP_DONE: ("D", lambda n: commands.DepDone(number=n)),
    render.ACTION_BLOCKER_RESOLVE: ("B", lambda n: commands.BlockerResolve(number=n)),
}
"""What each button stands for: the command it runs, and the id kind its value must be."""


JOB_CONTEXT = ("team_id", "enterprise_id", "is_enterprise_install", "bot_user_id")
"""What a job keeps of bolt's context: enough to find the workspace and its token again."""
SECRET_FIELDS = frozenset({"token"})
"""Request fields a job does not keep (the legacy verification token)."""
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


def command_text(text: str, bot_user_id: str | None = None) -> str:
    """What a person typed after `/flotilla` or `@Flotilla`, unescaped as Slack escaped it."""
    if bot_user_id:
        at = re.search(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", text)
        if at is not None:
            text = text[at.end() :]
    return render.unescape(text).strip()


def record_number(value: str, kind: str) -> int:
    m = _RECORD.match(value.strip().upper())
    if m is None or m.group(1) != kind:
        raise ValueError(f"not a {kind}-n id: {value!r}")
    return int(m.group(2))


@dataclass
class SlackAdapter:
    uow_factory: UnitOfWorkFactory
    clock: Clock
    claims: Claims
    limiter: RateLimiter = field(default_factory=RateLimiter)
    users: UserCache = field(default_factory=UserCache)
    base_url: str = WebClient.BASE_URL
    timeout: int = 30
    token_for: Callable[[str], str | None] = lambda _workspace: None
    """The bot token of a workspace outside a request (scheduler): the single token, or the install's."""
    posted: PostedMessages = field(default_factory=PostedMessages)
    urgent: Executor | None = None
    """Threads for work that must start at once after the ack (opening a form before its trigger
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
    _clients: dict[tuple[str, str], LimitedWebClient] = field(default_factory=dict, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    # --- plumbing --------------------------------------------------------------------------

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

    def _claim(self, key: str) -> bool:
        return self.claims.claim(key, self.clock.now())

    def _run_claimed(self, key: str, conversation: Conversation, cmd: commands.Command, user: str) -> Outcome:
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

    def _after_all(self, body: dict[str, Any], client: WebClient, workspace: str, user: str,
                   replies: list[Reply]) -> None:  # fmt: skip
        """`after` for what a form or click did, off the request thread: with bolt answering Slack
        only once the listener returns, sends and App Home refreshes must not hold that answer."""
        for reply_ in replies:
            self.after(client, workspace, user, reply_)

    def prune_claims(self) -> int:
        return self.claims.prune(self.clock.now() - timedelta(days=CLAIM_DAYS))

    # --- typed commands ----------------------------------------------------------------------

    def enqueue(self, kind: str, body: dict[str, Any], context: Any, claim: str | None = None) -> bool:
        """Before the ack: keep the request in the database (bot.slack.jobs), to run after it.
        False when `claim` (an event's id) was taken already: a redelivery, nothing to do."""
        assert self.jobs is not None, "build_slack gives the adapter its job queue"
        kept = {k: context.get(k) for k in JOB_CONTEXT}
        payload = {"body": {k: v for k, v in body.items() if k not in SECRET_FIELDS}, "context": kept}
        queued = self.jobs.put(kind, workspace_of(context), payload, claim=claim, claimed_at=self.clock.now())
        if queued:
            self.queued()
        return queued

    def run_job(self, job: Job, finish: Finish) -> None:
        """A queued command or mention, in whichever process took it: the token is looked up
        here (jobs never store one), the answer goes where the request said."""
        body = job.payload["body"]
        context = dict(job.payload["context"])
        context["bot_token"] = self.token_for(workspace_of(context))
        if job.kind == COMMAND:
            self.slash(body, context, Respond(response_url=body.get("response_url")), finish)
        elif job.kind == MENTION:
            self.mention(body, body["event"], context, finish)
        else:
            raise ValueError(f"unknown Slack job kind {job.kind!r}")

    def slash(self, body: dict[str, Any], context: Any, respond: Respond, finish: Finish | None = None) -> None:
        """`/flotilla <text>`, after the ack: run it, answer through the response_url."""
        workspace, client = self.client_for(context)
        user, channel = body["user_id"], body.get("channel_id")
        outcome = self.conversation(client, workspace, finish).handle(
            command_text(body.get("text") or ""), user, self.clock.now(), home_channel(channel)
        )
        text, blocks, public = self.outcome_message(outcome)
        if outcome.as_json and not outcome.refused:
            text, blocks = self.send_json(client, user, outcome)
        respond(text=text, blocks=blocks, response_type="in_channel" if public else "ephemeral")
        self.send_picture(client, user, home_channel(channel), outcome)
        self.after(client, workspace, user, outcome.reply if not outcome.refused else None)

    def mention(self, body: dict[str, Any], event: dict[str, Any], context: Any, finish: Finish | None = None) -> None:
        """`@Flotilla <text>` in a channel: same grammar; public answers go in the thread."""
        user, channel = event.get("user"), event["channel"]
        if not user:  # a workflow's or another app's message: nobody to answer as
            return
        workspace, client = self.client_for(context)
        outcome = self.conversation(client, workspace, finish).handle(
            command_text(event.get("text") or "", context.get("bot_user_id")), user, self.clock.now(),
            home_channel(channel),
        )  # fmt: skip
        public = outcome.reply.public and not outcome.refused
        lines: tuple[Line, ...] = outcome.reply.lines
        if outcome.refused and outcome.usage:
            lines = (*lines, *usage_lines(outcome.usage))
        elif outcome.as_json:
            self.send_json(client, user, outcome)
            lines = (line(JSON_SENT),)
        thread = event.get("thread_ts") or event.get("ts")
        now = self.clock.now()
        self.reply_later(workspace, OutboxMessage(
            key=f"mention:{body.get('event_id') or event.get('event_ts') or thread}", lines=lines, created_at=now,
            channel=channel, person=None if public else user, in_thread=thread, ephemeral=not public,
            next_attempt_at=now))  # fmt: skip
        self.send_picture(client, user, home_channel(channel), outcome)
        self.after(client, workspace, user, outcome.reply if not outcome.refused else None)

    def reply_later(self, workspace: str, message: OutboxMessage) -> None:
        """A reply with no request to answer in (an @mention's) goes through the outbox like a notice:
        kept, sent after, a 429 or a dropped connection retried, never sent twice."""
        with self.uow_factory(workspace) as uow:
            uow.outbox.add(message)
            uow.commit()
        self.kick()

    def outcome_message(self, outcome: Outcome) -> tuple[str, list[dict[str, Any]], bool]:
        """(fallback text, blocks, public?) for an outcome: refusals and reads only to the asker."""
        if outcome.refused:
            text, blocks = render.refusal(outcome.reply.lines, outcome.usage)
            return text, blocks, False
        text, blocks = render.message(outcome.reply.lines, render.buttons_for_record(outcome.reply.data))
        return text, blocks, outcome.reply.public

    def send_json(self, client: WebClient, user: str, outcome: Outcome) -> tuple[str, list[dict[str, Any]]]:
        """`--json` in chat: the data goes to the asker's DM as a file (files_upload_v2)."""
        opened = client.conversations_open(users=user)
        dm = opened["channel"]["id"]
        client.files_upload_v2(channel=dm, content=render.json_file(outcome.reply.data), filename="flotilla.json",
                               title="Flotilla JSON", initial_comment="Here is the JSON you asked for.")  # fmt: skip
        return render.plain(JSON_SENT)

    def send_picture(self, client: WebClient, user: str, channel: str | None, outcome: Outcome) -> None:
        """`map`: the core hands a graph; it is drawn here and uploaded (files_upload_v2) where it was
        asked for, or to the asker's DM outside a channel."""
        graph = getattr(outcome.reply, "graph", None)
        if outcome.refused or graph is None:
            return
        from bot.map_render import render_png

        target = channel or client.conversations_open(users=user)["channel"]["id"]
        client.files_upload_v2(channel=target, content=render_png(graph), filename="flotilla-map.png",
                               title="Dependency map")  # fmt: skip

    # --- after a change: notices, homes --------------------------------------------------------

    def after(self, client: WebClient, workspace: str, actor: str, result: Reply | None) -> None:
        """What a stored command causes beyond its reply. Its notices are in the outbox already (the
        core wrote them with the change): the sender is woken. App Homes are refreshed on a thread
        of their own. Neither can make the command look failed: a failure is logged, nothing more."""
        if result is None:
            return
        if result.notices:
            self.kick()
        if result.public or result.notices:
            self.in_background(self.refresh_homes, client, workspace, actor, result)

    def in_background(self, fn: Callable[..., None], *args: Any) -> None:
        def run() -> None:
            try:
                fn(*args)
            except Exception as e:  # a side effect: the command itself is stored and answered
                log.warning("Slack: %s after a command failed: %s: %s", fn.__name__, type(e).__name__, e)

        if self.background is None:
            run()
            return
        try:
            self.background.submit(run)
        except RuntimeError:  # shutting down: a side effect is not worth holding the exit for
            log.info("Slack: %s skipped, the app is stopping", fn.__name__)

    def refresh_homes(self, client: WebClient, workspace: str, actor: str, result: Reply) -> None:
        self.republish(client, workspace, self.affected(workspace, actor, result))

    def affected(self, workspace: str, actor: str, result: Reply) -> list[str]:
        """Whose App Home shows what changed: the actor, people named in it, members of its teams."""
        people: dict[str, None] = {actor: None}
        for n in result.notices:
            if n.person:
                people[n.person] = None
        records = result.data if isinstance(result.data, list) else [result.data]
        teams: set[str] = set()
        for rec in records:
            if not isinstance(rec, dict):
                continue
            for k in ("owner", "requester_owner", "provider_owner", "raised_by"):
                if isinstance(rec.get(k), str):
                    people[rec[k]] = None
            for k in ("from_team", "to_team", "team"):
                if isinstance(rec.get(k), str):
                    teams.add(rec[k])
        if teams:
            with self.uow_factory(workspace) as uow:
                for h in sorted(teams):
                    t = uow.teams.get(h)
                    if t is not None:
                        people.update(dict.fromkeys([*t.leads, *t.members]))
        return list(people)[:MAX_HOMES]

    def republish(self, client: WebClient, workspace: str, handles: Iterable[str]) -> None:
        """Fresh App Homes for those who looked at theirs lately (others get theirs when they open it)."""
        users = [h for h in handles if re.fullmatch(r"[UW][A-Z0-9]{2,}", h)]
        since = self.clock.now() - timedelta(days=HOME_VIEWER_DAYS)
        for user in self.claims.home_viewers(workspace, users, since):
            try:
                self.publish_home(client, workspace, user)
            except Exception as e:  # one Home that Slack refuses must not keep the others stale
                log.warning("Slack: App Home of %s not refreshed: %s: %s", user, type(e).__name__, e)

    def publish_home(self, client: WebClient, workspace: str, user: str) -> None:
        outcome = self.conversation(client, workspace).run(commands.Me(), user, self.clock.now())
        if not outcome.refused and isinstance(outcome.reply.data, dict):
            client.views_publish(user_id=user, view=home_view(outcome.reply.data))

    def home_opened(self, event: dict[str, Any], context: Any) -> None:
        if event.get("tab", "home") != "home":
            return
        workspace, client = self.client_for(context)
        self.claims.home_opened(workspace, event["user"], self.clock.now())
        self.publish_home(client, workspace, event["user"])

    # --- buttons and the decline form ----------------------------------------------------------

    def button(self, body: dict[str, Any], action: dict[str, Any], context: Any, respond: Respond) -> None:
        """Accept, mark delivered, resolve: the command the button stands for, as the clicker."""
        workspace, client = self.client_for(context)
        user = body["user"]["id"]
        kind, make = BUTTON_COMMANDS[action["action_id"]]
        value = str(action.get("value") or "")
        where = (body.get("container") or {}).get("message_ts") or (body.get("view") or {}).get("id") or ""
        key = f"action:{workspace}:{user}:{action['action_id']}:{value}:{where}"
        if not self._claim(key):
            return  # a double click: the first one is acting
        outcome = self._run_claimed(key, self.conversation(client, workspace), make(record_number(value, kind)), user)
        if outcome.refused:
            self.tell(client, user, body, outcome)
            return
        if body.get("message") and body.get("response_url"):
            respond(replace_original=True, **self.answered(body["message"], outcome))
        self.after(client, workspace, user, outcome.reply)

    def answered(self, original: dict[str, Any], outcome: Outcome) -> dict[str, Any]:
        """The message the button was on, its buttons replaced by what was done."""
        kept = [b for b in original.get("blocks") or [] if b.get("type") != "actions"]
        done = render.mrkdwn(outcome.reply.lines)
        blocks = (kept + [render.context(render.clip(done, render.MAX_SECTION_CHARS))])[: render.MAX_MESSAGE_BLOCKS]
        return {"text": render.fallback(str(original.get("text") or done)), "blocks": blocks}

    def tell(self, client: WebClient, user: str, body: dict[str, Any], outcome: Outcome) -> None:
        """Only the clicker learns that it was refused: ephemerally in the channel, or by DM from Home."""
        text, blocks = render.refusal(outcome.reply.lines, outcome.usage)
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
        if channel:
            client.chat_postEphemeral(channel=channel, user=user, text=text, blocks=blocks)
        else:
            client.chat_postMessage(channel=user, text=text, blocks=blocks)

    def open_decline(self, body: dict[str, Any], action: dict[str, Any], context: Any) -> None:
        """Decline asks why first: a modal, opened on the click's trigger_id (valid for 3 s)."""
        _, client = self.client_for(context)
        dep = str(action.get("value") or "")
        record_number(dep, "D")
        # Ids only (never the message's text, which may be longer than private_metadata's 3,000
        # characters and could only be cut into invalid JSON): the text is rebuilt from the record.
        meta = {"dep": dep, "response_url": body.get("response_url") if body.get("message") else None}
        client.views_open(trigger_id=body["trigger_id"], view=decline_modal(dep, json.dumps(meta)))

    def submit_decline(self, ack: Callable[..., Any], body: dict[str, Any], view: dict[str, Any], context: Any) -> None:
        """The reason is checked by the core; any refusal is shown in the modal, next to the field."""
        workspace, client = self.client_for(context)
        user = body["user"]["id"]
        meta = json.loads(view.get("private_metadata") or "{}")
        reason = ((view.get("state") or {}).get("values") or {}).get("reason", {}).get("reason", {}).get("value")
        if not (reason or "").strip():
            ack(response_action="errors", errors={"reason": "Say why, so the requesting team can plan around it."})
            return
        key = f"view:{workspace}:{view.get('id')}"
        if not self._claim(key):
            ack()
            return
        cmd = commands.DepDecline(number=record_number(meta.get("dep", ""), "D"), why=reason)
        outcome = self._run_claimed(key, self.conversation(client, workspace), cmd, user)
        if outcome.refused:
            ack(response_action="errors", errors={"reason": render.clip(render.mrkdwn(outcome.reply.lines), 150)})
            return
        ack()
        self.at_once(self._declined, body, client, workspace, user, meta, outcome)

    def _declined(self, body: dict[str, Any], client: WebClient, workspace: str, user: str, meta: dict[str, Any],
                  outcome: Outcome) -> None:  # fmt: skip
        """After the decline form closes: the request message says what was done, notices go out."""
        if meta.get("response_url"):
            said = render.record_line(outcome.reply.data)  # the request, as it stands now
            original = {"text": said, "blocks": render.text_blocks([said]) if said else []}
            WebhookClient(meta["response_url"]).send(replace_original=True, **self.answered(original, outcome))
        self._after_all(body, client, workspace, user, [outcome.reply])

    # --- the stand-up and check-in forms ------------------------------------------------------

    def form_command(self, text: str) -> commands.Standup | commands.Checkin | None:
        """`standup` with no answers or `checkin` with no priority (and no --json): a modal's job.
        Runs before the ack on every command, so anything else is turned away without parsing."""
        typed = command_text(text)
        lowered = typed.lower()
        if "standup" not in lowered and "checkin" not in lowered:
            return None
        try:
            parsed = parse(typed, SlackMentions())
        except ParseError:
            return None
        cmd = parsed.command
        if parsed.json or parsed.is_help:
            return None
        if isinstance(cmd, commands.Standup) and not cmd.answers:
            return cmd
        if isinstance(cmd, commands.Checkin) and cmd.number is None:
            return cmd
        return None

    def form_view(self, client: WebClient, workspace: str, user: str,
                  cmd: commands.Command) -> tuple[Outcome, dict[str, Any] | None]:  # fmt: skip
        """The core's form data for this person as a modal (None: nothing to ask, or refused)."""
        outcome = self.conversation(client, workspace).run(cmd, user, self.clock.now())
        data = outcome.reply.data
        if outcome.refused:
            return outcome, None
        if isinstance(cmd, commands.Standup) and isinstance(data, dict) and data.get("questions"):
            return outcome, forms.standup_modal(data, outcome.reply.lines)
        if isinstance(cmd, commands.Checkin) and isinstance(data, list) and data:
            return outcome, forms.checkin_modal(data)
        return outcome, None

    def slash_form(self, body: dict[str, Any], context: Any, respond: Respond) -> None:
        """`/flotilla standup` or `/flotilla checkin`, after the ack: the modal, on the command's
        trigger_id (valid for 3 s); a refusal, or nothing to ask, is said as any answer is."""
        workspace, client = self.client_for(context)
        user = body["user_id"]
        cmd = self.form_command(body.get("text") or "")
        if cmd is None:
            return self.slash(body, context, respond)
        outcome, view = self.form_view(client, workspace, user, cmd)
        if view is None:
            text, blocks, _ = self.outcome_message(outcome)
            respond(text=text, blocks=blocks, response_type="ephemeral")
            return
        client.views_open(trigger_id=body["trigger_id"], view=view)

    def open_form(self, body: dict[str, Any], action: dict[str, Any], context: Any) -> None:
        """The **Open stand-up** / **Open check-in** button of a prompt: the same modal."""
        workspace, client = self.client_for(context)
        user = body["user"]["id"]
        team = str(action.get("value") or "") or None
        cmd: commands.Command = (commands.Standup(team=team) if action["action_id"] == render.ACTION_STANDUP_OPEN
                                 else commands.Checkin())  # fmt: skip
        outcome, view = self.form_view(client, workspace, user, cmd)
        if view is None:
            if outcome.refused:
                self.tell(client, user, body, outcome)
            else:
                text, blocks = render.message(outcome.reply.lines)
                client.chat_postMessage(channel=user, text=text, blocks=blocks)
            return
        client.views_open(trigger_id=body["trigger_id"], view=view)

    def submit_standup(self, ack: Callable[..., Any], body: dict[str, Any], view: dict[str, Any], context: Any) -> None:
        """The answers go through the core as `standup "a1" "a2" ...`; a refusal shows next to the
        answer it is about. A double submit of the same answers is taken once."""
        workspace, client = self.client_for(context)
        user = body["user"]["id"]
        cmd = forms.standup_command(view)
        key = f"view:{workspace}:{view.get('id')}:{forms.fingerprint(cmd.answers)}"
        if not self._claim(key):
            ack()
            return
        outcome = self._run_claimed(key, self.conversation(client, workspace), cmd, user)
        if outcome.refused:
            message = render.mrkdwn(outcome.reply.lines)
            ack(response_action="errors", errors=forms.standup_errors(message, len(cmd.answers)))
            return
        ack(response_action="update", view=forms.done_modal("Stand-up", outcome.reply.lines))
        self.at_once(self._after_all, body, client, workspace, user, [outcome.reply])

    def submit_checkin(self, ack: Callable[..., Any], body: dict[str, Any], view: dict[str, Any], context: Any) -> None:
        """One `checkin P-n` per priority in the form. Each one taken is claimed with its values, so
        submitting again after an error (or twice) repeats none of them; an edited one runs again."""
        workspace, client = self.client_for(context)
        user = body["user"]["id"]
        wanted, errors = forms.checkin_commands(view)
        if errors:
            ack(response_action="errors", errors=errors)
            return
        conversation = self.conversation(client, workspace)
        done: list[Reply] = []
        for pid, cmd in wanted:
            said = forms.fingerprint(cmd.status, cmd.confidence, cmd.progress, cmd.note)
            key = f"view:{workspace}:{view.get('id')}:{pid}:{said}"
            if not self._claim(key):
                continue
            outcome = self._run_claimed(key, conversation, cmd, user)
            if outcome.refused:
                errors.update(forms.checkin_error(pid, render.mrkdwn(outcome.reply.lines)))
            else:
                done.append(outcome.reply)
        if errors:
            ack(response_action="errors", errors=errors)
        elif done:
            lines = [ln for r in done for ln in r.lines]
            ack(response_action="update", view=forms.done_modal("Weekly check-in", lines))
        else:
            ack()  # a double submit: the first one is acting
        if done:
            self.at_once(self._after_all, body, client, workspace, user, done)

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

    # --- the one error handler -------------------------------------------------------------------

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


def usage_lines(usage: str) -> tuple[Line, ...]:
    """A refusal's usage as lines of text (a multi-line command list, or one usage line)."""
    if usage.startswith("Commands:"):
        return tuple(line(t) for t in usage.splitlines())
    return (line(f"Usage: {usage}"),)


def decline_modal(dep: str, private_metadata: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": render.VIEW_DEP_DECLINE,
        "private_metadata": private_metadata,
        "title": {"type": "plain_text", "text": render.clip(f"Decline {dep}", 24, plain=True)},
        "submit": {"type": "plain_text", "text": "Decline"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "input",
                "block_id": "reason",
                "label": {"type": "plain_text", "text": "Why can't your team take this on?"},
                "element": {"type": "plain_text_input", "action_id": "reason", "multiline": True, "max_length": 500},
            }
        ],
    }


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
