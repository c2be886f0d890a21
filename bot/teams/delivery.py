"""Speaking first: a neutral Notice to a team's channel or to a person, from stored references.

`continue_conversation` on the stored reference posts to a channel, a group chat or a personal
chat. A person the bot has never chatted with alone, but has seen somewhere in the tenant, gets a
personal chat opened for them (`create_conversation`), and that reference is kept for next time.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botbuilder.core import CardFactory, MessageFactory, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, ChannelAccount, ConversationParameters, ConversationReference
from botframework.connector.models import ErrorResponseException
from msrest.exceptions import ClientRequestError

from bot.teams import cards
from bot.teams.connector import OUTBOX_SEND, retry_after
from bot.teams.references import ReferenceStore
from bot.teams.render import Names, markdown
from core.ports import DeliveryError, OutboxMessage
from core.reply import Line, Notice

log = logging.getLogger(__name__)


def notice_activity(notice: Notice, names: Names) -> Activity:
    """A notice as a Teams message: a card with its offers' buttons when it offers any (a request to
    accept or decline, a prompt that opens the stand-up), else text."""
    if notice.offers:
        return card_activity(cards.message_card(notice.lines, notice.offers, names), notice.lines, names)
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


@dataclass(frozen=True)
class Prepared:
    """A notice made ready to send: everything read from the database beforehand, so that the send
    itself (on the event loop) reads nothing and waits for no lock."""

    activity: Activity
    reference: ConversationReference | None = None
    """Continue this conversation (a channel, a chat, the person's personal chat) ..."""
    account: dict[str, Any] | None = None
    """... or open a personal chat with this account (the person never wrote to the bot alone)."""
    person: str | None = None


@dataclass
class TeamsDelivery:
    """Delivers Notices for one Teams app. `names(workspace)` gives that workspace's renderer names."""

    adapter: CloudAdapter
    refs: ReferenceStore
    app_id: str
    names: Callable[[str], Names]

    def prepare(self, workspace: str, notice: Notice, thread: str | None = None) -> Prepared:
        """What to send where (reads the database: call it off the event loop). DeliveryError
        (permanent) when Flotilla has no way to reach the channel or person yet."""
        activity = notice_activity(notice, self.names(workspace))
        reference = self.reference(workspace, channel=notice.channel, person=notice.person)
        if reference is not None:
            conv = reference.conversation
            if thread and notice.channel is not None and conv is not None and conv.conversation_type == "channel":
                conv.id = thread
            return Prepared(activity, reference=reference)
        if notice.person is not None:
            known = self.refs.get(workspace, "account", notice.person)
            if known is not None and known.reference.get("serviceUrl") and known.reference.get("bot"):
                return Prepared(activity, account=known.reference, person=notice.person)
        where = f"channel {notice.channel}" if notice.channel else f"person {notice.person}"
        raise DeliveryError(f"no conversation reference for {where} yet", permanent=True)

    async def send(self, prepared: Prepared) -> tuple[str, dict[str, Any] | None]:
        """Send it: (the sent message's thread id, the personal chat's new reference if one was opened)."""
        if prepared.reference is not None:
            return await self._continue(prepared.reference, prepared.activity), None
        assert prepared.account is not None and prepared.person is not None
        return await self._open_personal_chat(prepared.account, prepared.person, prepared.activity)

    async def deliver(self, workspace: str, notice: Notice, thread: str | None = None) -> str:
        """Prepare and send in one go (tests; reads the database on the calling loop)."""
        prepared = self.prepare(workspace, notice, thread)
        sent, opened = await self.send(prepared)
        if opened is not None and prepared.person is not None:
            self.refs.save(workspace, "user", prepared.person, opened, (prepared.account or {}).get("name"))
        return sent

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

    async def _open_personal_chat(
        self, info: dict[str, Any], person: str, activity: Activity
    ) -> tuple[str, dict[str, Any] | None]:
        params = ConversationParameters(
            is_group=False,
            bot=ChannelAccount(id=info["bot"]["id"], name=info["bot"].get("name")),
            members=[ChannelAccount(id=info["id"])],
            tenant_id=info.get("tenantId"),
            channel_data={"tenant": {"id": info.get("tenantId")}},
        )
        sent: list[str] = []
        failed: list[Exception] = []
        opened: list[dict[str, Any]] = []

        async def send(turn: TurnContext) -> None:
            ref = TurnContext.get_conversation_reference(turn.activity)
            ref.user = ChannelAccount(id=info["id"], name=info.get("name"), aad_object_id=person)
            stored = ref.serialize()
            stored.pop("activityId", None)
            opened.append(stored)
            turn.activity.id = None
            try:
                response = await turn.send_activity(activity)
            except Exception as e:  # noqa: BLE001 - re-raised below, past the adapter's own catch-all
                failed.append(e)
                return
            sent.append(_thread_of(turn.activity.conversation.id, response.id if response else None))

        await self.adapter.create_conversation(self.app_id, send, params, info.get("channelId") or "msteams",
                                               info["serviceUrl"])  # fmt: skip
        return _outcome_of(sent, failed), (opened[0] if opened else None)


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


PERMANENT_STATUSES = frozenset({400, 401, 403, 404, 413})


@dataclass
class TeamsChatDelivery:
    """core.ports.ChatDelivery for one Teams workspace, called by the outbox's sender thread: the
    database is read and written here, the send itself runs on the event loop where botbuilder's
    adapter lives (the server's, or the scheduler's own), and is waited for at most `timeout`."""

    delivery: TeamsDelivery
    workspace: str
    loop: asyncio.AbstractEventLoop
    timeout: float = 60.0

    def deliver(self, message: OutboxMessage) -> None:
        refs = self.delivery.refs
        if refs.get(self.workspace, "message", message.key) is not None:
            log.info("outbox message %s was sent already; not sending it again", message.key)
            return
        thread = None
        if message.thread:
            parent = refs.get(self.workspace, "message", message.thread)
            thread = parent.reference.get("thread") if parent is not None else None
        prepared = self.delivery.prepare(self.workspace, message.notice, thread)
        future = asyncio.run_coroutine_threadsafe(_outbox_send(self.delivery, prepared), self.loop)
        try:
            sent, opened = future.result(self.timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise DeliveryError(f"Teams did not answer within {self.timeout:.0f} s", uncertain=True) from None
        except ErrorResponseException as e:
            status = getattr(e.response, "status_code", None)
            headers = getattr(e.response, "headers", None) or {}
            if status == 429:
                raise DeliveryError("Teams answered 429", retry_after=retry_after(headers.get("Retry-After")),
                                    counts=False) from None  # fmt: skip
            raise DeliveryError(f"Teams answered {status}", retry_after=retry_after(headers.get("Retry-After")),
                                permanent=status in PERMANENT_STATUSES) from None  # fmt: skip
        except ClientRequestError as e:  # the connection failed: it may or may not have reached Teams
            raise DeliveryError(f"Teams could not be reached: {type(e).__name__}", uncertain=True) from None
        if opened is not None and message.person is not None:
            refs.save(self.workspace, "user", message.person, opened, (prepared.account or {}).get("name"))
        refs.save(self.workspace, "message", message.key, {"thread": sent})


async def _outbox_send(delivery: TeamsDelivery, prepared: Prepared) -> tuple[str, dict[str, Any] | None]:
    """A send for the outbox: a 429 comes straight back (the outbox waits it out, holding nothing)
    instead of being slept out in the connector's retry policy."""
    OUTBOX_SEND.set(True)
    return await delivery.send(prepared)
