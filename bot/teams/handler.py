"""The Teams ActivityHandler: activities in, the shared Conversation, Teams messages and cards out.

Translation only. A message (the bot's mention stripped, other mentions made `<at:AAD-ID>`) goes
to the same parser and core as Slack and the console; a card button or form becomes the command it
stands for (bot.teams.actions). Every rule — who may accept D-3, what a reason must say — is the
core's. What this class adds is Teams plumbing: who is who (AAD object ids, names, time zones),
where replies go, stored conversation references, and card replacement after a submit.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from botbuilder.core import InvokeResponse, TurnContext
from botbuilder.core.teams import TeamsActivityHandler, TeamsInfo
from botbuilder.schema import Activity, ActivityTypes, Attachment, ChannelAccount
from botbuilder.schema.teams import TeamInfo, TeamsChannelAccount

from bot.conversation import Conversation, Outcome
from bot.grammar import TeamsMentions
from bot.render import neutralise, render_lines
from bot.teams import cards
from bot.teams.actions import NotACardAction, card_action
from bot.teams.delivery import card_activity, text_activity
from bot.teams.mentions import Mentioned, command_text, with_handles
from bot.teams.references import (
    ReferenceStore,
    Remembered,
    account,
    home_channel,
    learned,
    remember,
    workspace_of,
)
from bot.teams.render import Names, json_block, markdown, picture_data_url, system_markdown
from bot.teams.seen import SeenLog, seen_key
from core.ports import Clock, UnitOfWorkFactory
from core.reply import Line, Notice, line
from core.service import Context, PersonInfo, Services, meet

log = logging.getLogger(__name__)

WELCOME = (
    "Hi, I'm Flotilla: I keep a team of teams pointed the same way (priorities, dependencies between "
    'teams, blockers, stand-ups). In a channel, mention me: `@Flotilla team create payments "Payments"` makes '
    "this channel the home of a team. `@Flotilla help` lists everything; here in a personal chat, no mention "
    "is needed."
)

STORED = "flotilla.stored"
"""turn_state key: the turn's command was carried out and committed (an error after it must say so)."""
RECORDED = (
    "Your command was carried out, but I could not show you its answer here. Don't send it again: "
    "`me` or `history` shows what changed."
)

DEDUPLICATED = (ActivityTypes.message, ActivityTypes.invoke)
"""The activities whose redelivery would run a command or send a reply twice."""

NoticeSink = Callable[[str, tuple[Notice, ...]], Any]
"""Where a command's notices go: `(workspace, notices)`; may return an awaitable."""


@dataclass
class TeamsBot(TeamsActivityHandler):  # type: ignore[misc]
    uow_factory: UnitOfWorkFactory
    refs: ReferenceStore
    clock: Clock
    notices: NoticeSink | None = None
    """Without one, notices are dropped (logged); serve wires the outbox or direct delivery."""
    services: Services = field(default_factory=Services)
    """Outside helpers (the LLM summarizer) from the composition root."""
    seen: SeenLog | None = None
    """Claims of handled activities (bot.teams.seen): a redelivered message or invoke is a no-op.
    None (TestAdapter turn tests) handles every activity."""
    _conversations: dict[str, Conversation] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        super().__init__()

    # --- every activity ----------------------------------------------------------------------

    async def on_turn(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        if not await self._first_delivery(activity):
            log.info("a %s activity was delivered again; handled already, nothing done", activity.type)
            if activity.type == ActivityTypes.invoke:
                again = _invoke_message("That was recorded already.")
                await turn_context.send_activity(Activity(type=ActivityTypes.invoke_response, value=again))
            return
        if activity.channel_id in ("msteams", "emulator", "test", "directline", "webchat"):
            await self._remember(activity.conversation and workspace_of(activity), learned(activity))
        await super().on_turn(turn_context)

    async def _first_delivery(self, activity: Activity) -> bool:
        """Claim (conversation id, activity id) for a message or invoke; False if already claimed.
        Runs after authentication (CloudAdapter calls on_turn only then): a forged request claims nothing."""
        if self.seen is None or activity.type not in DEDUPLICATED:
            return True
        conversation = activity.conversation.id if activity.conversation is not None else None
        if not activity.id or not conversation:
            return True
        return await asyncio.to_thread(self.seen.claim, seen_key(conversation, activity.id), self.clock.now())

    async def _remember(self, workspace: str | None, items: list[Remembered]) -> None:
        if workspace and items:
            await asyncio.to_thread(remember, self.refs, workspace, items)

    # --- messages: typed commands and Action.Submit fallbacks ----------------------------------

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        if isinstance(activity.value, dict) and "flotilla" in activity.value and not (activity.text or "").strip():
            await self._submitted(turn_context, activity.value)
            return
        recipient = activity.recipient.id if activity.recipient is not None else None
        text, people = command_text(activity.text, activity.entities, recipient)
        workspace = workspace_of(activity)
        actor = self._actor(activity)
        if actor is None:
            await turn_context.send_activity(text_activity([line("I can't tell who you are in this chat.")], Names()))
            return
        known = {actor.handle: actor}
        handles = []
        for who in people:
            info = await self._person(turn_context, workspace, who)
            if info is None:
                await turn_context.send_activity(text_activity(
                    [line(f"I can't look up {who.name or 'the person you mentioned'} here: mention them in a "
                          "channel of their team, or ask them to say hi to me.")], Names()))  # fmt: skip
                return
            known[info.handle] = info
            handles.append(info.handle)
        command = with_handles(text, people, handles)
        conversation = self._conversation(workspace, known)
        outcome = await asyncio.to_thread(
            conversation.handle, command, actor.handle, self.clock.now(), home_channel(activity)
        )
        turn_context.turn_state[STORED] = not outcome.refused
        await self._notify(workspace, outcome)  # queued with the change already: this only wakes the sender
        reply = self._reply_activity(outcome, workspace, command)
        if outcome.reply.graph is not None and not outcome.refused and not outcome.as_json:
            await asyncio.to_thread(attach_picture, reply, outcome)
        try:
            await turn_context.send_activity(reply)
        except Exception as e:
            if outcome.refused:
                raise
            log.warning("the answer to a stored command could not be sent (%s); saying so in short", type(e).__name__)
            await turn_context.send_activity(text_activity([line(recorded_only(outcome, self.names(workspace)))],
                                                           Names()))  # fmt: skip

    def _actor(self, activity: Activity) -> PersonInfo | None:
        sender = activity.from_property
        if sender is None or not (sender.aad_object_id or activity.channel_id != "msteams"):
            return None
        handle = sender.aad_object_id or sender.id
        tz = activity.local_timezone or "UTC"
        return PersonInfo(handle=str(handle), name=sender.name or str(handle), tz=tz)

    async def _person(self, turn_context: TurnContext, workspace: str, who: Mentioned) -> PersonInfo | None:
        """A mentioned person's AAD object id: from the mention, from who we have seen, or the roster."""
        if who.aad_object_id:
            return PersonInfo(handle=who.aad_object_id, name=who.name or who.aad_object_id)
        seen = await asyncio.to_thread(self.refs.get, workspace, "member", who.id)
        if seen is not None and seen.reference.get("aadObjectId"):
            return PersonInfo(handle=str(seen.reference["aadObjectId"]), name=who.name or seen.name or who.id)
        try:
            member: TeamsChannelAccount = await TeamsInfo.get_member(turn_context, who.id)
        except Exception as e:  # the roster call can fail for many reasons; the user gets one clear line
            log.info("roster look-up of a mentioned person failed: %s", type(e).__name__)
            return None
        if not member.aad_object_id:
            return None
        found = account(member, turn_context.activity)
        if found is not None:
            await self._remember(workspace, [found, Remembered("member", who.id, {"aadObjectId": found.key}, who.name)])
        return PersonInfo(handle=str(member.aad_object_id), name=member.name or who.name)

    def _conversation(self, workspace: str, known: dict[str, PersonInfo]) -> Conversation:
        def directory(handle: str) -> PersonInfo:
            return known.get(handle) or PersonInfo(handle=handle, name=handle)

        return Conversation(
            self.uow_factory, workspace, TeamsMentions(), directory, services=self.services, platform="teams"
        )

    # --- cards: Action.Execute (invoke) and Action.Submit (message with value) ----------------

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        """`adaptiveCard/action` (Action.Execute) answered with a plain-JSON body: botbuilder 4.17.1's own
        path serialises the AdaptiveCardInvokeResponse once here and again in CloudAdapter.process (a 500),
        so the body is built as the JSON Teams expects and bot.teams.app writes it as it is."""
        activity = turn_context.activity
        if activity.name != "adaptiveCard/action":
            return await super().on_invoke_activity(turn_context)
        action = activity.value.get("action") if isinstance(activity.value, dict) else None
        data = action.get("data") if isinstance(action, dict) else None
        verb = action.get("verb") if isinstance(action, dict) else None
        outcome = await self._card_outcome(turn_context, data, verb)
        if outcome is None:
            return _invoke_message("That button is not one of mine any more; type the command instead.")
        workspace = workspace_of(activity)
        await self._notify(workspace, outcome)
        if outcome.refused:
            names = self.names(workspace)
            text = render_lines(outcome.reply.lines, names.person, names.channel)
            return _invoke_message(text + (f"\nUsage: {outcome.usage}" if outcome.usage else ""))
        actor = self._actor(activity)
        done = cards.recorded(outcome.reply.lines, self.names(workspace), actor.name if actor else "you")
        return InvokeResponse(
            status=int(HTTPStatus.OK),
            body={"statusCode": int(HTTPStatus.OK), "type": cards.CARD_CONTENT_TYPE, "value": done},
        )

    async def _submitted(self, turn_context: TurnContext, data: dict[str, Any]) -> None:
        outcome = await self._card_outcome(turn_context, data, None)
        activity = turn_context.activity
        workspace = workspace_of(activity)
        if outcome is None:
            await turn_context.send_activity(
                text_activity([line("That button is not one of mine any more; type the command instead.")], Names())
            )
            return
        if outcome.refused:
            await turn_context.send_activity(self._reply_activity(outcome, workspace))
            return
        await self._notify(workspace, outcome)
        actor = self._actor(activity)
        done = card_activity(cards.recorded(outcome.reply.lines, self.names(workspace), actor.name if actor else "you"))
        if activity.reply_to_id:
            done.id = activity.reply_to_id
            await turn_context.update_activity(done)
        else:
            await turn_context.send_activity(done)

    async def _card_outcome(self, turn_context: TurnContext, data: Any, verb: str | None) -> Outcome | None:
        try:
            act = card_action(data, verb)
        except NotACardAction as e:
            log.info("card action ignored: %s", e)
            return None
        activity = turn_context.activity
        actor = self._actor(activity)
        if actor is None:
            return None
        conversation = self._conversation(workspace_of(activity), {actor.handle: actor})
        outcome = await asyncio.to_thread(
            conversation.run, act.command, actor.handle, self.clock.now(), home_channel(activity)
        )
        turn_context.turn_state[STORED] = not outcome.refused
        return outcome

    # --- installs and members ------------------------------------------------------------------

    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        await self._meet(turn_context, [])
        await turn_context.send_activity(text_activity([line(WELCOME)], Names()))

    async def on_teams_members_added_dispatch(
        self, members_added: list[ChannelAccount], team_info: TeamInfo, turn_context: TurnContext
    ) -> None:
        """Names from the roster where it answers; the activity's own accounts (with their AAD object
        ids) where it does not. botbuilder's version fails the whole turn on any roster error."""
        bot_id = turn_context.activity.recipient.id if turn_context.activity.recipient is not None else None
        members: list[TeamsChannelAccount] = []
        for m in members_added:
            found = None
            if m.id != bot_id:
                try:
                    found = await TeamsInfo.get_member(turn_context, m.id)
                except Exception as e:  # the roster is a nicety here: the activity says who joined
                    log.info("roster look-up of a new member failed: %s", type(e).__name__)
            members.append(found or TeamsChannelAccount(id=m.id, name=m.name, aad_object_id=m.aad_object_id))
        await self.on_teams_members_added(members, team_info, turn_context)

    async def on_teams_members_added(
        self, teams_members_added: list[TeamsChannelAccount], team_info: TeamInfo, turn_context: TurnContext
    ) -> None:
        activity = turn_context.activity
        bot_id = activity.recipient.id if activity.recipient is not None else None
        people = [m for m in teams_members_added if m.id != bot_id]
        workspace = workspace_of(activity)
        seen: list[Remembered] = []
        for m in people:
            found = account(m, activity)
            if found is not None:
                seen += [found, Remembered("member", str(m.id), {"aadObjectId": found.key}, m.name)]
        await self._remember(workspace, seen)
        await self._meet(turn_context, people)
        if len(people) < len(teams_members_added):  # the bot itself was added: say hello once
            await turn_context.send_activity(text_activity([line(WELCOME)], Names()))

    async def _meet(self, turn_context: TurnContext, members: Iterable[ChannelAccount]) -> None:
        """The installer (the person who added the bot or the members) and the members become people."""
        activity = turn_context.activity
        actor = self._actor(activity)
        if actor is None:
            return
        people = tuple(
            PersonInfo(handle=str(m.aad_object_id), name=m.name or str(m.aad_object_id))
            for m in members
            if getattr(m, "aad_object_id", None) and m.aad_object_id != actor.handle
        )
        ctx = Context(actor=actor, now=self.clock.now(), channel=home_channel(activity), people=people)
        await asyncio.to_thread(meet, self.uow_factory, workspace_of(activity), ctx)

    # --- replies and notices ---------------------------------------------------------------------

    def names(self, workspace: str) -> Names:
        return names_for(self.uow_factory, self.refs, workspace)

    def _reply_activity(self, outcome: Outcome, workspace: str, typed: str = "") -> Activity:
        names = self.names(workspace)
        if outcome.refused:
            text = markdown(outcome.reply.lines, names)
            if outcome.usage:
                usage = outcome.usage if outcome.usage.startswith("Commands:") else f"Usage: {outcome.usage}"
                text += "\n\n" + system_markdown(usage)
            activity = text_activity([], names)
            activity.text = text
            return activity
        if outcome.as_json:
            activity = text_activity([], names)
            activity.text = json_block(outcome.reply.data)
            return activity
        data = outcome.reply.data
        if isinstance(data, dict) and data.get("kind") == "standup" and "questions" in data:
            return card_activity(cards.standup_form(outcome.reply.lines, data, names), outcome.reply.lines, names)
        if isinstance(data, list) and data and all(isinstance(p, dict) and str(p.get("id", "")).startswith("P-")
                                                   for p in data) and typed.strip().lower() == "checkin":  # fmt: skip
            return card_activity(cards.checkin_form(data, names), outcome.reply.lines, names)
        if isinstance(data, dict) and str(data.get("id", "")).startswith("B-") and data.get("state") == "open":
            return card_activity(cards.blocker_open(outcome.reply.lines, str(data["id"]), names),
                                 outcome.reply.lines, names)  # fmt: skip
        return text_activity(outcome.reply.lines, names)

    async def _notify(self, workspace: str, outcome: Outcome) -> None:
        """The command's notices are in the outbox already (written with the change); this wakes the
        sender, it never waits for a delivery."""
        if outcome.refused or not outcome.reply.notices:
            return
        if self.notices is None:
            log.info("%d notices not sent: no delivery configured", len(outcome.reply.notices))
            return
        result = self.notices(workspace, outcome.reply.notices)
        if asyncio.iscoroutine(result):
            await result


def recorded_only(outcome: Outcome, names: Names) -> str:
    """A short stand-in for an answer Teams would not take (too large, say): its first line."""
    first = render_lines(outcome.reply.lines[:1], names.person, names.channel) if outcome.reply.lines else ""
    return (f"Done: {first[:500]}\n\n" if first else "") + RECORDED


MAP_FILE = "flotilla-map.png"


def attach_picture(activity: Activity, outcome: Outcome) -> None:
    """`map`: the core hands a graph; it is drawn here and sent inline with the legend (a base64
    data URL: Teams needs nowhere to host it). Too big a picture is left out, and the reply says so."""
    from bot.map_render import render_png  # matplotlib loads only when a map is drawn

    graph = outcome.reply.graph
    if graph is None:
        return
    url = picture_data_url(render_png(graph))
    if url is None:
        too_big = system_markdown("The map picture is too large to send in Teams; here is the legend only.")
        activity.text = too_big + ("\n\n" + activity.text if activity.text else "")
        return
    activity.attachments = [*(activity.attachments or []),
                            Attachment(content_type="image/png", content_url=url, name=MAP_FILE)]  # fmt: skip


def _invoke_message(text: str) -> InvokeResponse:
    """Universal Actions: a message shown to the one who clicked, the card left as it was."""
    body = {"statusCode": int(HTTPStatus.OK), "type": "application/vnd.microsoft.activity.message",
            "value": neutralise(text)}  # fmt: skip
    return InvokeResponse(status=int(HTTPStatus.OK), body=body)


def names_for(
    uow_factory: UnitOfWorkFactory, refs: ReferenceStore, workspace: str, people: dict[str, str] | None = None
) -> Names:
    """Display names from the workspace's people, channel names from stored references (cached;
    `people` preloaded means no database read at all)."""
    preloaded = people is not None
    people = dict(people or {})
    channels: dict[str, str] = {}

    def person(handle: str) -> str:
        if handle not in people and not preloaded:
            with uow_factory(workspace) as uow:
                p = uow.people.get(handle)
            people[handle] = p.name if p is not None else handle
        return people.get(handle, handle)

    def channel(channel_id: str) -> str:
        if channel_id not in channels:
            name = None
            for kind in ("channel", "chat", "team"):
                found = refs.get(workspace, kind, channel_id)
                if found is not None:
                    name = found.name or ("General" if kind == "team" else None)
                    break
            channels[channel_id] = name or "the team's channel"
        return channels[channel_id]

    return Names(person=person, channel=channel)


def lines_of(*texts: str) -> tuple[Line, ...]:
    return tuple(line(t) for t in texts)
