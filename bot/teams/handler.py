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
from dataclasses import dataclass, field, replace
from http import HTTPStatus
from typing import Any

from botbuilder.core import InvokeResponse, MessageFactory, TurnContext
from botbuilder.core.teams import TeamsActivityHandler
from botbuilder.schema import Activity, ActivityTypes, Attachment, ChannelAccount
from botbuilder.schema.teams import FileConsentCardResponse, TeamInfo, TeamsChannelAccount

from bot.conversation import Conversation, Outcome, refusal
from bot.grammar import TeamsMentions
from bot.render import neutralise, render_lines
from bot.teams import cards, size
from bot.teams.actions import CardAction, NotACardAction, card_action
from bot.teams.delivery import card_activity, text_activity
from bot.teams.files import FileShelf, StoredFile, Uploaded, UploadFailed, consent_card, file_key, info_card, upload
from bot.teams.fitting import (
    as_sent,
    file_name,
    file_offer_text,
    fitted,
    json_parts,
    text_message,
    too_many_parts,
)
from bot.teams.mentions import Mentioned, command_text, with_handles
from bot.teams.people import member_info, named_sender, roster_member, sender
from bot.teams.references import (
    ReferenceStore,
    Remembered,
    account,
    channel_data,
    home_channel,
    learned,
    remember,
    scope_of,
    workspace_of,
)
from bot.teams.render import Names, code_block, full_markdown, json_text, picture_data_url, system_markdown
from bot.teams.seen import SeenLog, seen_key
from core.context import Context, PersonInfo, Services
from core.errors import Refused
from core.ports import Clock, UnitOfWorkFactory
from core.reply import Line, Notice, line, reply
from core.service import meet

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

OWN_PEOPLE_HANDLING = (*DEDUPLICATED, ActivityTypes.installation_update, ActivityTypes.conversation_update)
"""Activities whose handlers bring people up to date themselves (a command, an install, members)."""

INSTALLED = "installed Flotilla in Teams"
"""Why the installer became admin (core.service.meet), as history shows it."""


def activity_tells_who(info: PersonInfo) -> bool:
    return info.name_known or info.tz_known


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
    files: FileShelf | None = None
    """Where a `--json` answer too long for a message waits for its reader to accept it as a file
    (storage.offered_files); None: it is sent as several messages instead."""
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
        if activity.type not in OWN_PEOPLE_HANDLING:
            await self._refresh_sender(turn_context)
        await super().on_turn(turn_context)

    async def _refresh_sender(self, turn_context: TurnContext) -> None:
        """Any other activity (a reaction, a channel event) that names its sender or their time zone
        keeps them current; one that carries neither changes nothing and costs nothing."""
        info = sender(turn_context.activity)
        if info is not None and activity_tells_who(info):
            await self._meet(turn_context, info, [])

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
        if outcome.as_json and not outcome.refused:
            replies = await self._json_replies(turn_context, outcome, workspace, command)
        else:
            reply = self._reply_activity(outcome, workspace)
            if outcome.reply.graph is not None and not outcome.refused:
                await asyncio.to_thread(attach_picture, reply, outcome)
            replies = fitted(reply, as_sent(turn_context))
        try:
            await turn_context.send_activities(replies)
        except Exception as e:
            if outcome.refused:
                raise
            log.warning("the answer to a stored command could not be sent (%s); saying so in short", type(e).__name__)
            await turn_context.send_activity(text_activity([line(recorded_only(outcome, self.names(workspace)))],
                                                           Names()))  # fmt: skip

    async def _json_replies(self, turn_context: TurnContext, outcome: Outcome, workspace: str,
                            typed: str) -> list[Activity]:  # fmt: skip
        """`--json` in a code block; too long for one message, a file in a personal chat (after the
        person accepts it), or a few messages elsewhere."""
        text = json_text(outcome.reply.data)
        measure = as_sent(turn_context)
        whole = text_message(code_block(text))
        if size.activity_size(measure(whole)) <= size.BUDGET:
            return [whole]
        activity = turn_context.activity
        actor = self._actor(activity)
        if scope_of(activity) == "personal" and self.files is not None and actor is not None:
            now = self.clock.now()
            name = file_name(typed, now)
            key = await asyncio.to_thread(self.files.offer, workspace, actor.handle, name, text, now)
            offer = text_message(file_offer_text(text, name))
            offer.attachments = [consent_card(name, len(text.encode("utf-8")), key,
                                              f"Flotilla: {typed.strip()} at {now:%Y-%m-%d %H:%M} UTC")]  # fmt: skip
            return [offer]
        return json_parts(text, measure) or [too_many_parts(text)]

    # --- files: a long answer accepted (or declined) in a personal chat -------------------------------

    async def on_teams_file_consent_accept(
        self, turn_context: TurnContext, file_consent_card_response: FileConsentCardResponse
    ) -> None:
        """Upload the offered file to the OneDrive location Teams gave, then show it (a file card)."""
        found = await self._offered(turn_context, file_consent_card_response)
        info = file_consent_card_response.upload_info
        if found is None or info is None or not info.upload_url:
            return
        key, stored = found
        try:
            await upload(info.upload_url, stored.content.encode("utf-8"))
        except UploadFailed as e:
            log.warning("could not upload an offered file: %s", e)
            await turn_context.send_activity(text_message(
                "I couldn't put the file in your OneDrive just now; ask me again for it in a minute."))  # fmt: skip
            return
        workspace = workspace_of(turn_context.activity)
        await asyncio.to_thread(self.files.remove, workspace, key)  # type: ignore[union-attr]
        done = Uploaded(content_url=info.content_url or "", name=info.name or stored.name,
                        unique_id=info.unique_id or "", file_type=info.file_type or "json")  # fmt: skip
        await turn_context.send_activity(MessageFactory.attachment(info_card(done)))

    async def on_teams_file_consent_decline(
        self, turn_context: TurnContext, file_consent_card_response: FileConsentCardResponse
    ) -> None:
        found = await self._offered(turn_context, file_consent_card_response)
        if found is not None:
            await asyncio.to_thread(self.files.remove, workspace_of(turn_context.activity), found[0])  # type: ignore[union-attr]
            await turn_context.send_activity(text_message("No file, then. The same command gives it to you again."))

    async def _offered(
        self, turn_context: TurnContext, response: FileConsentCardResponse
    ) -> tuple[str, StoredFile] | None:
        """The file the card offered, if it is still waiting for this person (else they are told)."""
        key = file_key(response.context)
        actor = self._actor(turn_context.activity)
        if key is None or actor is None or self.files is None:
            await turn_context.send_activity(text_message("That file is not one of mine; ask me again for it."))
            return None
        workspace = workspace_of(turn_context.activity)
        stored = await asyncio.to_thread(self.files.get, workspace, key, actor.handle, self.clock.now())
        if stored is None:
            await turn_context.send_activity(text_message(
                "That file was sent already, or was offered more than a day ago: ask me again for it."))  # fmt: skip
            return None
        return key, stored

    def _actor(self, activity: Activity) -> PersonInfo | None:
        return sender(activity)

    async def _person(self, turn_context: TurnContext, workspace: str, who: Mentioned) -> PersonInfo | None:
        """A mentioned person's AAD object id: from the mention, from who we have seen, or the roster."""
        if who.aad_object_id:
            return PersonInfo(handle=who.aad_object_id, name=who.name or who.aad_object_id)
        seen = await asyncio.to_thread(self.refs.get, workspace, "member", who.id)
        if seen is not None and seen.reference.get("aadObjectId"):
            return PersonInfo(handle=str(seen.reference["aadObjectId"]), name=who.name or seen.name or who.id)
        member = await roster_member(turn_context, who.id)
        if member is None or not member.aad_object_id:
            return None
        found = account(member, turn_context.activity)
        if found is not None:
            await self._remember(workspace, [found, Remembered("member", who.id, {"aadObjectId": found.key}, who.name)])
        real = (member.name or "").strip()
        return PersonInfo(handle=str(member.aad_object_id), name=real or who.name, name_known=bool(real))

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
        clicked = await self._card_outcome(turn_context, data, verb)
        if clicked is None:
            return _invoke_message("That button is not one of mine any more; type the command instead.")
        act, outcome = clicked
        workspace = workspace_of(activity)
        await self._notify(workspace, outcome)
        if outcome.refused:
            names = self.names(workspace)
            text = render_lines(outcome.reply.lines, names.person, names.channel)
            return _invoke_message(text + (f"\nUsage: {outcome.usage}" if outcome.usage else ""))
        if act.opens_form and outcome.reply.form is not None:  # the prompt's card becomes the form
            return _invoke_card(cards.form_card(outcome.reply.form))
        if act.opens_form:  # nothing to ask (no priority of mine): say so, keep the card
            names = self.names(workspace)
            return _invoke_message(render_lines(outcome.reply.lines, names.person, names.channel))
        actor = self._actor(activity)
        return _invoke_card(cards.recorded(outcome.reply.lines, self.names(workspace), actor.name if actor else "you"))

    async def _submitted(self, turn_context: TurnContext, data: dict[str, Any]) -> None:
        clicked = await self._card_outcome(turn_context, data, None)
        activity = turn_context.activity
        workspace = workspace_of(activity)
        if clicked is None:
            await turn_context.send_activity(
                text_activity([line("That button is not one of mine any more; type the command instead.")], Names())
            )
            return
        act, outcome = clicked
        if outcome.refused or act.opens_form:
            await turn_context.send_activities(fitted(self._reply_activity(outcome, workspace), as_sent(turn_context)))
            return
        await self._notify(workspace, outcome)
        actor = self._actor(activity)
        done = card_activity(cards.recorded(outcome.reply.lines, self.names(workspace), actor.name if actor else "you"))
        if activity.reply_to_id:
            done.id = activity.reply_to_id
            await turn_context.update_activity(done)
        else:
            await turn_context.send_activity(done)

    async def _card_outcome(
        self, turn_context: TurnContext, data: Any, verb: str | None
    ) -> tuple[CardAction, Outcome] | None:
        """What a card's button or form stands for, run as the person who used it: one command, or
        one per part of a form (the outcomes together; the first refusal, if any)."""
        try:
            act = card_action(data, verb)
        except NotACardAction as e:
            log.info("card action ignored: %s", e)
            return None
        except Refused as e:  # what the form holds is not what it takes (a number that is not one)
            return CardAction(verb or "", ()), refusal(e.message, None, e.field)
        activity = turn_context.activity
        actor = self._actor(activity)
        if actor is None:
            return None
        conversation = self._conversation(workspace_of(activity), {actor.handle: actor})
        channel = home_channel(activity)
        outcomes = [await asyncio.to_thread(conversation.run, cmd, actor.handle, self.clock.now(), channel)
                    for cmd in act.commands]  # fmt: skip
        done = [o for o in outcomes if not o.refused]
        refused = [o for o in outcomes if o.refused]
        turn_context.turn_state[STORED] = bool(done)
        if refused:
            return act, refused[0]
        lines = tuple(ln for o in done for ln in o.reply.lines)
        notices = tuple(n for o in done for n in o.reply.notices)
        first = done[0].reply if done else reply()
        return act, Outcome(replace(first, lines=lines, notices=notices))

    # --- installs and members ------------------------------------------------------------------

    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        """`add`: the app was installed here; its installer is the tenant's first admin if there is none
        yet, and the conversation is welcomed once. `add-upgrade` (a new version of the app) says
        nothing: people only learn who sent it."""
        first_install = turn_context.activity.action == "add"
        await self._meet(turn_context, await named_sender(turn_context), [], installed=first_install)
        if first_install:
            await self._welcome(turn_context)

    async def on_installation_update_remove(self, turn_context: TurnContext) -> None:
        if turn_context.activity.action == "remove":
            await self._forget_welcome(turn_context.activity)

    async def on_teams_members_added_dispatch(
        self, members_added: list[ChannelAccount], team_info: TeamInfo, turn_context: TurnContext
    ) -> None:
        """Names from the roster where it answers; the activity's own accounts (with their AAD object
        ids) where it does not. botbuilder's version fails the whole turn on any roster error."""
        bot_id = turn_context.activity.recipient.id if turn_context.activity.recipient is not None else None
        members: list[TeamsChannelAccount] = []
        for m in members_added:
            found = await roster_member(turn_context, m.id) if m.id != bot_id else None
            members.append(found or TeamsChannelAccount(id=m.id, name=m.name, aad_object_id=m.aad_object_id))
        await self.on_teams_members_added(members, team_info, turn_context)

    async def on_teams_members_added(
        self, teams_members_added: list[TeamsChannelAccount], team_info: TeamInfo, turn_context: TurnContext
    ) -> None:
        """Members joined (they become people, named from the roster), or the bot itself was added:
        that is an install (Teams sends it beside installationUpdate), welcomed once."""
        activity = turn_context.activity
        bot_id = activity.recipient.id if activity.recipient is not None else None
        people = [m for m in teams_members_added if m.id != bot_id]
        bot_added = len(people) < len(teams_members_added)
        workspace = workspace_of(activity)
        seen: list[Remembered] = []
        for m in people:
            found = account(m, activity)
            if found is not None:
                seen += [found, Remembered("member", str(m.id), {"aadObjectId": found.key}, m.name)]
        await self._remember(workspace, seen)
        await self._meet(turn_context, await named_sender(turn_context), people, installed=bot_added)
        if bot_added:
            await self._welcome(turn_context)

    async def on_teams_members_removed(
        self, teams_members_removed: list[TeamsChannelAccount], team_info: TeamInfo, turn_context: TurnContext
    ) -> None:
        activity = turn_context.activity
        bot_id = activity.recipient.id if activity.recipient is not None else None
        if any(m.id == bot_id for m in teams_members_removed):
            await self._forget_welcome(activity)

    async def _meet(
        self, turn_context: TurnContext, actor: PersonInfo | None, members: Iterable[ChannelAccount],
        *, installed: bool = False,
    ) -> None:  # fmt: skip
        """The one who acted (installed the app, added the members) and the members become people, or
        are brought up to date; an installer is the first admin where there is none (core.service.meet)."""
        activity = turn_context.activity
        if actor is None:
            return
        people = tuple(info for m in members if (info := member_info(m)) is not None and info.handle != actor.handle)
        ctx = Context(actor=actor, now=self.clock.now(), channel=home_channel(activity), people=people,
                      platform="teams")  # fmt: skip
        await asyncio.to_thread(meet, self.uow_factory, workspace_of(activity), ctx,
                                installed=INSTALLED if installed else None)  # fmt: skip

    async def _welcome(self, turn_context: TurnContext) -> None:
        """Hello, once per install per conversation: an install sends both installationUpdate and
        conversationUpdate (bot added), and either may be delivered again."""
        key = _welcome_key(turn_context.activity)
        if self.seen is not None and not await asyncio.to_thread(self.seen.claim, key, self.clock.now()):
            return
        try:
            await turn_context.send_activity(text_activity([line(WELCOME)], Names()))
        except Exception:
            await self._forget_welcome(turn_context.activity)  # not said: the next delivery may say it
            raise

    async def _forget_welcome(self, activity: Activity) -> None:
        """The app was removed here: installing it again is a new install, welcomed again."""
        if self.seen is not None:
            await asyncio.to_thread(self.seen.release, _welcome_key(activity))

    # --- replies and notices ---------------------------------------------------------------------

    def names(self, workspace: str) -> Names:
        return names_for(self.uow_factory, self.refs, workspace)

    def _reply_activity(self, outcome: Outcome, workspace: str) -> Activity:
        names = self.names(workspace)
        if outcome.refused:
            text = full_markdown(outcome.reply.lines, names)
            if outcome.usage:
                usage = outcome.usage if outcome.usage.startswith("Commands:") else f"Usage: {outcome.usage}"
                text += "\n\n" + system_markdown(usage)
            return text_message(text)
        reply = outcome.reply
        if reply.form is not None:
            return card_activity(cards.form_card(reply.form), reply.lines, names)
        if reply.offers:
            return card_activity(cards.message_card(reply.lines, reply.offers, names), reply.lines, names)
        return text_message(full_markdown(reply.lines, names))

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


def _invoke_card(card: cards.Card) -> InvokeResponse:
    """Universal Actions: the card the button was on is replaced by this one."""
    body = {"statusCode": int(HTTPStatus.OK), "type": cards.CARD_CONTENT_TYPE, "value": card}
    return InvokeResponse(status=int(HTTPStatus.OK), body=body)


def _welcome_key(activity: Activity) -> str:
    """One install: the team (whichever channel was chosen), or the personal or group chat."""
    team = (channel_data(activity).get("team") or {}).get("id")
    where = f"team:{team}" if team else (activity.conversation.id if activity.conversation else "").split(";", 1)[0]
    return seen_key(f"welcome:{workspace_of(activity)}:{where}", "welcome")


def _invoke_message(text: str) -> InvokeResponse:
    """Universal Actions: a message shown to the one who clicked, the card left as it was."""
    body = {"statusCode": int(HTTPStatus.OK), "type": "application/vnd.microsoft.activity.message",
            "value": neutralise(text)}  # fmt: skip
    return InvokeResponse(status=int(HTTPStatus.OK), body=body)


def channel_label(refs: ReferenceStore, workspace: str, channel_id: str) -> str:
    """A team's home as people know it: the channel's or group chat's name when any event told it;
    a channel whose id is its team's is the team's General channel; else a plain description."""
    found = {kind: refs.get(workspace, kind, channel_id) for kind in ("channel", "chat", "team")}
    for kind in ("channel", "chat"):
        ref = found[kind]
        if ref is not None and ref.name:
            return ref.name
    if found["team"] is not None:
        return "General"
    return "the group chat" if found["chat"] is not None else "the team's channel"


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
            channels[channel_id] = channel_label(refs, workspace, channel_id)
        return channels[channel_id]

    return Names(person=person, channel=channel)


def lines_of(*texts: str) -> tuple[Line, ...]:
    return tuple(line(t) for t in texts)
