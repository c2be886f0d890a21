"""Speaking first: a neutral Notice to a team's channel or to a person, from stored references.

`continue_conversation` on the stored reference posts to a channel, a group chat or a personal
chat. A person the bot has never chatted with alone, but has seen somewhere in the tenant, gets a
personal chat opened for them (`create_conversation`), and that reference is kept for next time.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botbuilder.core import CardFactory, MessageFactory, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, ChannelAccount, ConversationParameters, ConversationReference
from botframework.connector.models import ErrorResponseException
from msrest.exceptions import ClientRequestError

from bot.teams import cards
from bot.teams.connector import retry_after
from bot.teams.references import ReferenceStore
from bot.teams.render import Names, markdown
from core.outbox import DeliveryError, OutboxMessage
from core.reply import Line, Notice

log = logging.getLogger(__name__)

_DEP_ASK = re.compile(r"^(D-[0-9]+):requested:")


def notice_activity(notice: Notice, names: Names) -> Activity:
    """A notice as a Teams message: a dependency request carries its accept/decline card."""
    m = _DEP_ASK.match(notice.key)
    if m:
        return card_activity(cards.dependency_ask(notice.lines, m.group(1), names), notice.lines, names)
    return text_activity(notice.lines, names)


def text_activity(lines: tuple[Line, ...] | list[Line], names: Names) -> Activity:
    activity = MessageFactory.text(markdown(lines, names))
    activity.text_format = "markdown"
    return activity


def card_activity(card: cards.Card, lines: Any = (), names: Names | None = None) -> Activity:
    activity = MessageFactory.attachment(CardFactory.adaptive_card(card))
    if lines and names is not None:
        activity.summary = markdown(lines, names)[:200]
    return activity


@dataclass
class TeamsDelivery:
    """Delivers Notices for one Teams app. `names(workspace)` gives that workspace's renderer names."""

    adapter: CloudAdapter
    refs: ReferenceStore
    app_id: str
    names: Callable[[str], Names]

    async def deliver(self, workspace: str, notice: Notice, thread: str | None = None) -> str | None:
        """Send a notice; the sent message's reference (to thread later notices under it), or None
        when Flotilla has no way to reach the target (logged)."""
        activity = notice_activity(notice, self.names(workspace))
        return await self.send(workspace, activity, channel=notice.channel, person=notice.person, thread=thread)

    async def send(
        self,
        workspace: str,
        activity: Activity,
        *,
        channel: str | None = None,
        person: str | None = None,
        thread: str | None = None,
    ) -> str | None:
        reference = self.reference(workspace, channel=channel, person=person)
        if reference is not None:
            conv = reference.conversation
            if thread and channel is not None and conv is not None and conv.conversation_type == "channel":
                conv.id = thread
            return await self._continue(reference, activity)
        if person is not None:
            sent = await self._open_personal_chat(workspace, person, activity)
            if sent is not None:
                return sent
        log.info("no conversation reference for %s in workspace %s: notice not sent",
                 f"channel {channel}" if channel else f"person {person}", workspace)  # fmt: skip
        return None

    async def deliver_message(self, workspace: str, message: OutboxMessage) -> None:
        """One outbox message, at most once per key: a key already sent is skipped, a sent message is
        remembered (`message` references) so that a later one can be threaded under it."""
        if self.refs.get(workspace, "message", message.key) is not None:
            log.info("outbox message %s was sent already; not sending it again", message.key)
            return
        thread = None
        if message.thread:
            parent = self.refs.get(workspace, "message", message.thread)
            thread = parent.reference.get("thread") if parent is not None else None
        try:
            sent = await self.deliver(workspace, message.notice, thread)
        except ErrorResponseException as e:
            status = getattr(e.response, "status_code", None)
            headers = getattr(e.response, "headers", None) or {}
            raise DeliveryError(f"Teams answered {status}", retry_after=retry_after(headers.get("Retry-After")),
                                permanent=status in (400, 401, 403, 404)) from None  # fmt: skip
        except ClientRequestError as e:  # unreachable, timed out: try again later
            raise DeliveryError(f"Teams could not be reached: {type(e).__name__}") from None
        if sent is None:
            raise DeliveryError("no conversation reference for this channel or person yet", permanent=True)
        self.refs.save(workspace, "message", message.key, {"thread": sent})

    def reference(self, workspace: str, *, channel: str | None, person: str | None) -> ConversationReference | None:
        if channel is not None:
            for kind in ("channel", "chat", "team"):
                found = self.refs.get(workspace, kind, channel)
                if found is not None:
                    return ConversationReference().deserialize(found.reference)
        if person is not None:
            found = self.refs.get(workspace, "user", person)
            if found is not None:
                return ConversationReference().deserialize(found.reference)
        return None

    async def _continue(self, reference: ConversationReference, activity: Activity) -> str:
        sent: list[str] = []
        failed: list[Exception] = []

        async def send(turn: TurnContext) -> None:
            turn.activity.id = None  # a new message (send_to_conversation), not a reply to the continuation event
            try:
                response = await turn.send_activity(activity)
            except Exception as e:  # noqa: BLE001 - re-raised below, past the adapter's own catch-all
                failed.append(e)
                return
            sent.append(_thread_of(turn.activity.conversation.id, response.id if response else None))

        await self.adapter.continue_conversation(reference, send, self.app_id)
        return _outcome_of(sent, failed)

    async def _open_personal_chat(self, workspace: str, person: str, activity: Activity) -> str | None:
        known = self.refs.get(workspace, "account", person)
        if known is None or not known.reference.get("serviceUrl") or not known.reference.get("bot"):
            return None
        info = known.reference
        params = ConversationParameters(
            is_group=False,
            bot=ChannelAccount(id=info["bot"]["id"], name=info["bot"].get("name")),
            members=[ChannelAccount(id=info["id"])],
            tenant_id=info.get("tenantId"),
            channel_data={"tenant": {"id": info.get("tenantId")}},
        )

        sent: list[str] = []
        failed: list[Exception] = []

        async def send(turn: TurnContext) -> None:
            ref = TurnContext.get_conversation_reference(turn.activity)
            ref.user = ChannelAccount(id=info["id"], name=info.get("name"), aad_object_id=person)
            stored = ref.serialize()
            stored.pop("activityId", None)
            self.refs.save(workspace, "user", person, stored, info.get("name"))
            turn.activity.id = None
            try:
                response = await turn.send_activity(activity)
            except Exception as e:  # noqa: BLE001 - re-raised below, past the adapter's own catch-all
                failed.append(e)
                return
            sent.append(_thread_of(turn.activity.conversation.id, response.id if response else None))

        await self.adapter.create_conversation(self.app_id, send, params, info.get("channelId") or "msteams",
                                               info["serviceUrl"])  # fmt: skip
        return _outcome_of(sent, failed)


def _outcome_of(sent: list[str], failed: list[Exception]) -> str:
    """What a proactive send came to. The adapter hands an error raised in the callback to its
    on_turn_error, which only logs it: re-raise it here, or the outbox would mark the row sent."""
    if failed:
        raise failed[0]
    if not sent:
        raise DeliveryError("Teams did not run the send (no turn)")
    return sent[0]


def _thread_of(conversation_id: str, message_id: str | None) -> str:
    """The conversation id that replies under a sent channel message (Teams: `;messageid=`)."""
    base = conversation_id.split(";", 1)[0]
    return f"{base};messageid={message_id}" if message_id else base


@dataclass
class TeamsChatDelivery:
    """core.ports.ChatDelivery for one Teams workspace. The outbox drains in a worker thread; the
    send itself runs on the server's event loop, where botbuilder's adapter lives."""

    delivery: TeamsDelivery
    workspace: str
    loop: asyncio.AbstractEventLoop
    timeout: float = 300.0

    def deliver(self, message: OutboxMessage) -> None:
        future = asyncio.run_coroutine_threadsafe(self.delivery.deliver_message(self.workspace, message), self.loop)
        future.result(self.timeout)
