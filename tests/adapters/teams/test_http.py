"""End to end over real HTTP on loopback: activity JSON posted to /api/messages, the bot's
answers recorded by a local Bot Connector stand-in."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from aiohttp.web import Application, Request, Response

from bot.teams import render
from bot.teams.connector import ConversationPacer
from bot.teams.render import MAX_PICTURE
from bot.teams.seen import SeenActivities, seen_key
from core.reply import Notice, line
from tests.adapters.teams.conftest import (
    NOW,
    TENANT,
    Stack,
    activity_validator,
    card_validator,
    fixture,
    teams_stack,
)

LEO = "00000000-0000-0000-0000-00000000c0c0"
LEDGER = "19:ledger0channel0id@thread.tacv2"


def run(tmp_path: Path, scenario: Callable[[Stack], Awaitable[None]], **kw: Any) -> None:
    async def main() -> None:
        async with teams_stack(f"sqlite:///{tmp_path / 'teams.db'}", **kw) as stack:
            await scenario(stack)

    asyncio.run(main())


def say(text: str, *, channel: str | None = None, sender: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
    activity = fixture("channel_message_mention", text=f"<at>Flotilla</at> {text}", **kw)
    if channel:
        name = channel.split(":")[1].split("0")[0]
        activity["channelData"]["channel"] = {"id": channel, "name": name}
        activity["conversation"]["id"] = f"{channel};messageid=1732260000{len(text)}"
    if sender:
        activity["from"] = sender
    return activity


LEO_ACCOUNT = {"id": "29:1leo-teams-user-id", "name": "Leo Lead", "aadObjectId": LEO}


async def two_teams(s: Stack) -> None:
    """payments (Ada) asks ledger (lead Leo) for API keys: D-1."""
    s.connector.members["29:1leo-teams-user-id"] = LEO_ACCOUNT
    for activity in (
        say('team create payments "Payments"'),
        say('team create ledger "Ledger"', channel=LEDGER),
        say("team add ledger <at>Leo Lead</at> --lead", entities=[
            *fixture("channel_message_mention")["entities"],
            {"type": "mention", "text": "<at>Leo Lead</at>",
             "mentioned": {"id": "29:1leo-teams-user-id", "name": "Leo Lead"}}]),  # roster look-up
        say("team add payments <at>Ada Lovelace</at>", entities=[
            *fixture("channel_message_mention")["entities"],
            {"type": "mention", "text": "<at>Ada Lovelace</at>",
             "mentioned": {"id": "29:1ada-teams-user-id", "name": "Ada Lovelace"}}]),  # seen before
        say('dep request ledger "Ledger API keys" --by fri'),
    ):  # fmt: skip
        status, _ = await s.post(activity)
        assert status == 201


def assert_valid(s: Stack) -> None:
    activities, cards = activity_validator(), card_validator()
    for sent in s.connector.sent:
        assert not list(activities.iter_errors(sent.body)), sent.body
    for card in s.connector.cards():
        assert not list(cards.iter_errors(card)), card


def test_every_activity_kind_over_http(tmp_path: Path) -> None:
    async def scenario(s: Stack) -> None:
        assert (await s.post(fixture("installation_update_add")))[0] == 201
        s.connector.members["29:1bob-teams-user-id"] = {
            "id": "29:1bob-teams-user-id",
            "name": "Bob Builder",
            "aadObjectId": "00000000-0000-0000-0000-00000000b0b0",
        }
        assert (await s.post(fixture("conversation_update_team_member_added")))[0] == 201
        with s.app.uow_factory(TENANT) as uow:
            bob = uow.people.get("00000000-0000-0000-0000-00000000b0b0")
        assert bob is not None and bob.name == "Bob Builder"  # named from the roster
        assert (await s.post(fixture("personal_message")))[0] == 201
        await two_teams(s)
        # the dependency request reached ledger's channel as a card, and Leo in a new personal chat
        asks = [m for m in s.connector.sent if m.body.get("attachments") and m.conversation.startswith(LEDGER)]
        assert len(asks) == 1 and asks[0].activity_id is None  # a new post, not a reply to anything
        ask = asks[0].body["attachments"][0]["content"]
        assert [a.get("verb") or a["type"] for a in ask["actions"]] == [
            "dep.accept", "Action.ShowCard", "Action.ShowCard"]  # fmt: skip
        assert ask["actions"][1]["card"]["body"][0]["id"] == "reason"  # decline asks why, in the card
        assert s.connector.created and s.connector.created[0]["members"] == [{"id": "29:1leo-teams-user-id"}]
        # Leo clicks Accept (Action.Execute): the card is replaced by what was recorded
        status, body = await s.post(fixture("adaptive_card_action_invoke"))
        assert status == 200
        assert body["statusCode"] == 200 and body["type"] == "application/vnd.microsoft.card.adaptive"
        assert "D-1 accepted" in body["value"]["body"][0]["text"]
        assert "Recorded for Leo Lead" in body["value"]["body"][-1]["text"]
        # payments hears about it in its channel, through the outbox
        told = [m for m in s.connector.texts() if m.startswith("ledger accepted D-1")]
        assert told == ["ledger accepted D-1 Ledger API keys: committed 2026-11-27, owner **Leo Lead**."]
        assert_valid(s)

    run(tmp_path, scenario)


def test_action_submit_fallback_updates_the_card_in_place(tmp_path: Path) -> None:
    async def scenario(s: Stack) -> None:
        await two_teams(s)
        before = len(s.connector.sent)
        status, _ = await s.post(fixture("message_submit_value"))
        assert status == 201
        update = s.connector.sent[before]
        assert update.method == "PUT" and update.activity_id == "1732260000399"
        card = update.body["attachments"][0]["content"]
        assert "D-1 declined: No capacity before January" in card["body"][0]["text"]
        with s.app.uow_factory(TENANT) as uow:
            dep = uow.dependencies.get(1)
        assert dep is not None and dep.state.value == "declined"
        assert_valid(s)

    run(tmp_path, scenario)


def test_a_decline_without_a_reason_changes_nothing(tmp_path: Path) -> None:
    async def scenario(s: Stack) -> None:
        await two_teams(s)
        activity = fixture("message_submit_value")
        activity["value"]["reason"] = "   "
        await s.post(activity)
        assert s.connector.texts()[-1].startswith("The reason can't be empty.")
        with s.app.uow_factory(TENANT) as uow:
            dep = uow.dependencies.get(1)
        assert dep is not None and dep.state.value == "requested"

    run(tmp_path, scenario)


def test_botbuilders_own_process_fails_on_card_invokes_and_ours_does_not(tmp_path: Path) -> None:
    """The defect worked around in bot.teams.app: CloudAdapter.process answers Action.Execute with 500."""

    async def scenario(s: Stack) -> None:
        await two_teams(s)

        async def sdk_messages(request: Request) -> Response:
            response = await s.teams.adapter.process(request, s.teams.bot)
            assert response is not None
            return response

        app = Application()
        app.router.add_post("/api/messages", sdk_messages)
        client = TestClient(TestServer(app, host="127.0.0.1"))
        await client.start_server()
        try:
            invoke = fixture("adaptive_card_action_invoke", serviceUrl=s.service_url)
            sdk = await client.post("/api/messages", json=invoke)
            assert sdk.status == 500
        finally:
            await client.close()
        status, body = await s.post(fixture("adaptive_card_action_invoke"))
        assert status == 200 and body["statusCode"] == 200

    run(tmp_path, scenario)


def test_429_is_retried_after_the_retry_after_and_sent_once(tmp_path: Path) -> None:
    async def scenario(s: Stack) -> None:
        s.connector.fail_next(429, "3")
        s.connector.fail_next(502)
        s.connector.fail_next(504)
        s.connector.fail_next(412)
        await s.post(fixture("personal_message", text="me"))
        assert s.connector.refused == [429, 502, 504, 412]
        assert len(s.connector.sent) == 1
        assert s.time.sleeps[0] >= 3.0  # never sooner than the service asked
        assert len(s.time.sleeps) == 4

    run(tmp_path, scenario)


def test_proactive_sends_are_paced_per_conversation(tmp_path: Path) -> None:
    async def scenario(s: Stack) -> None:
        await s.post(fixture("channel_message_mention", text="<at>Flotilla</at> team list"))
        s.time.sleeps.clear()
        channel = "19:payments0channel0id@thread.tacv2"
        for i in range(10):
            sent = await s.teams.delivery.deliver(TENANT, Notice(lines=(line(f"notice {i}"),), channel=channel,
                                                                 key=f"k{i}"))  # fmt: skip
            assert sent
        posts = [m for m in s.connector.sent if m.conversation == channel]
        assert len(posts) == 10
        assert s.time.sleeps and sum(s.time.sleeps) >= 1.0  # 7 per second, 8 per 2 seconds

    run(tmp_path, scenario)


def test_pacer_windows() -> None:
    now = [0.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds

    pacer = ConversationPacer(clock=lambda: now[0], sleep=sleep)

    async def burst() -> list[float]:
        times = []
        for _ in range(70):
            await pacer.wait("c1")
            times.append(now[0])
        return times

    times = asyncio.run(burst())
    for window, limit in pacer.limits:
        for i in range(len(times) - limit):
            assert times[i + limit] - times[i] >= window - 1e-9


def test_unauthenticated_request_gets_401_and_changes_nothing(tmp_path: Path) -> None:
    async def scenario(s: Stack) -> None:
        for activity in (
            fixture("personal_message", text='team create evil "Evil"'),
            fixture("installation_update_add"),
        ):
            status, _ = await s.post(activity)
            assert status == 401
            status, _ = await s.post(activity, headers={"Authorization": ""})
            assert status == 401
        assert s.connector.sent == []
        assert s.refs.list(TENANT) == []
        with s.app.uow_factory(TENANT) as uow:
            assert uow.people.list() == [] and uow.teams.list() == []

    run(tmp_path, scenario, app_id="7d4e0b6a-1c2f-4b8e-9a51-3f0e2d1c4b5a", password="a-real-looking-secret")


def test_healthz_and_bad_bodies(tmp_path: Path) -> None:
    async def scenario(s: Stack) -> None:
        assert (await s.client.get("/healthz")).status == 200
        assert (await s.client.post("/api/messages", data="hello")).status == 415
        assert (
            await s.client.post("/api/messages", data="{", headers={"Content-Type": "application/json"})
        ).status == 400
        assert (await s.client.post("/api/messages", json={"text": "no type"})).status == 400

    run(tmp_path, scenario)


def test_a_redelivered_message_or_invoke_is_a_no_op(tmp_path: Path) -> None:
    """Bot Framework may deliver an activity twice (same id, same conversation): acted on once."""

    async def scenario(s: Stack) -> None:
        await two_teams(s)
        ask = say('dep request ledger "Ledger API keys v2" --by fri')
        ask["id"] = "1732260000777"
        sent_before = len(s.connector.sent)
        for _ in range(2):
            status, _ = await s.post(ask, again=True)
            assert status == 201
        with s.app.uow_factory(TENANT) as uow:
            deps = [d for d in uow.dependencies.list() if d.what == "Ledger API keys v2"]
        assert len(deps) == 1
        replies = [m for m in s.connector.sent[sent_before:] if m.conversation == ask["conversation"]["id"]]
        assert len(replies) == 1 and "D-2" in (replies[0].body.get("text") or "")
        cards = [m for m in s.connector.sent[sent_before:] if m.conversation.startswith(LEDGER)]
        assert len(cards) == 1  # the ledger channel is asked once
        # Action.Execute delivered twice: recorded once; the second answer says so and changes nothing
        click = fixture("adaptive_card_action_invoke")
        status, body = await s.post(click, again=True)
        assert status == 200 and body["type"] == "application/vnd.microsoft.card.adaptive"
        events = len(s.export()["events"])
        status, body = await s.post(click, again=True)
        assert status == 200 and body == {"statusCode": 200, "type": "application/vnd.microsoft.activity.message",
                                          "value": "That was recorded already."}  # fmt: skip
        assert len(s.export()["events"]) == events
        assert len([t for t in s.connector.texts() if t.startswith("ledger accepted D-1")]) == 1
        # the same id in another conversation is another activity
        elsewhere = say("team list", channel=LEDGER)
        elsewhere["id"] = ask["id"]
        before = len(s.connector.sent)
        await s.post(elsewhere, again=True)
        assert len(s.connector.sent) == before + 1

    run(tmp_path, scenario)


def test_seen_activities_survive_a_restart_and_are_pruned_after_a_day(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'teams.db'}"
    first = say('team create payments "Payments"')

    async def once(expect_reply: bool) -> None:
        async with teams_stack(db) as s:
            status, _ = await s.post(first, again=True)
            assert status == 201
            assert len(s.connector.sent) == (1 if expect_reply else 0)

    asyncio.run(once(True))
    asyncio.run(once(False))  # another process, the same database: still a redelivery

    from bot.bootstrap import build

    app = build(database_url=db)
    try:
        seen = SeenActivities(app.engine)
        seen.create_tables()  # checkfirst: the table is there already
        key = seen_key("c", "1")
        assert seen.claim(key, NOW) and not seen.claim(key, NOW)
        assert seen.prune(NOW + timedelta(days=1, seconds=1)) == 2
        assert seen.claim(key, NOW + timedelta(days=2))  # forgotten after a day
    finally:
        app.close()


def test_map_is_sent_as_an_inline_png(tmp_path: Path) -> None:
    async def scenario(s: Stack) -> None:
        await two_teams(s)
        before = len(s.connector.sent)
        status, _ = await s.post(say("map"))
        assert status == 201
        [reply] = s.connector.sent[before:]
        [picture] = reply.body["attachments"]
        assert picture["contentType"] == "image/png" and picture["name"] == "flotilla-map.png"
        prefix = "data:image/png;base64,"
        assert picture["contentUrl"].startswith(prefix) and len(picture["contentUrl"]) <= MAX_PICTURE
        png = base64.b64decode(picture["contentUrl"][len(prefix) :], validate=True)
        assert png.startswith(b"\x89PNG\r\n\x1a\n") and png[12:16] == b"IHDR"
        assert reply.body["text"]  # the legend, as text beside the picture
        assert_valid(s)

    run(tmp_path, scenario)


def test_a_map_too_large_to_send_inline_gives_the_legend_only(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr(render, "MAX_PICTURE", 100)

    async def scenario(s: Stack) -> None:
        await two_teams(s)
        before = len(s.connector.sent)
        await s.post(say("map"))
        [reply] = s.connector.sent[before:]
        assert not reply.body.get("attachments")
        assert reply.body["text"].startswith("The map picture is too large to send in Teams; here is the legend only.")
        assert_valid(s)

    run(tmp_path, scenario)


def test_a_refused_proactive_send_is_not_marked_sent(tmp_path: Path) -> None:
    """CloudAdapter hands an error raised while sending to its on_turn_error, which only logs: the
    outbox must still see the failure. A 403 is permanent (failed); a 500 is retried later."""
    from core.outbox import from_notice
    from core.ports import FAILED, PENDING, SENT

    async def scenario(s: Stack) -> None:
        await s.post(fixture("channel_message_mention", text="<at>Flotilla</at> team list"))
        channel = "19:payments0channel0id@thread.tacv2"
        with s.app.uow_factory(TENANT) as uow:
            uow.outbox.add_all([from_notice(Notice(lines=(line(f"notice {k}"),), channel=channel, key=k), s.clock.now())
                                for k in ("forbidden", "flaky")])  # fmt: skip
            uow.commit()
        before = len(s.connector.sent)
        s.connector.fail_next(403)
        s.connector.fail_next(500)
        assert s.teams.pump is not None
        drained = (await asyncio.to_thread(s.teams.pump.run_once))[TENANT]
        assert [m.key for m in drained.failed] == ["forbidden"] and [m.key for m in drained.retrying] == ["flaky"]
        assert len(s.connector.sent) == before  # nothing reached the conversation
        with s.app.uow_factory(TENANT) as uow:
            states = {m.key: m.state for m in uow.outbox.list()}
        assert (
            states["forbidden"] == FAILED
            and states["flaky"] == PENDING
            and SENT not in (states["forbidden"], states["flaky"])
        )

    run(tmp_path, scenario)


def test_line_breaks_in_a_multi_line_card_input_and_in_typed_text_are_kept(tmp_path: Path) -> None:
    """Teams on Windows sends CR LF from a multi-line Input.Text; it was refused as U+000D."""

    async def scenario(s: Stack) -> None:
        await two_teams(s)
        activity = fixture("message_submit_value")
        activity["value"]["reason"] = "No capacity before January.\r\nAsk again after the freeze."
        await s.post(activity)
        with s.app.uow_factory(TENANT) as uow:
            dep = uow.dependencies.get(1)
        assert dep is not None and dep.state.value == "declined"
        assert dep.declined_reason == "No capacity before January.\nAsk again after the freeze."
        await s.post(say('blocker add "Waiting on legal:\r\nthe DPA is unsigned"'))
        with s.app.uow_factory(TENANT) as uow:
            [blocker] = uow.blockers.list()
        assert blocker.text == "Waiting on legal:\nthe DPA is unsigned"

    run(tmp_path, scenario)


def test_propose_is_a_card_with_a_date_input_and_agree_answers_it(tmp_path: Path) -> None:
    async def scenario(s: Stack) -> None:
        await two_teams(s)
        ask = next(m for m in s.connector.sent if m.body.get("attachments") and m.conversation.startswith(LEDGER))
        card = ask.body["attachments"][0]["content"]
        propose = card["actions"][2]
        assert propose["type"] == "Action.ShowCard"
        assert [(b["type"], b["id"]) for b in propose["card"]["body"]] == [("Input.Date", "date"),
                                                                            ("Input.Text", "reason")]  # fmt: skip
        invoke = fixture("adaptive_card_action_invoke")
        sent = propose["card"]["actions"][0]
        invoke["value"]["action"] = {
            **sent,
            "data": {**sent["data"], "date": "2026-12-04", "reason": "After the audit"},
        }
        status, body = await s.post(invoke)
        assert status == 200 and "D-1: proposed 2026-12-04 to payments" in body["value"]["body"][0]["text"]
        # payments is asked in its channel, with Agree and Reject (which asks why, in the card)
        asked = [m for m in s.connector.sent if m.body.get("attachments") and not m.conversation.startswith(LEDGER)
                 and "proposes" in json.dumps(m.body)]  # fmt: skip
        assert asked, [m.body for m in s.connector.sent]
        actions = asked[-1].body["attachments"][0]["content"]["actions"]
        assert [a.get("verb") or a["type"] for a in actions] == ["dep.agree", "Action.ShowCard"]
        agree = fixture("adaptive_card_action_invoke")
        agree["from"] = {"id": "29:1ada-teams-user-id", "name": "Ada Lovelace",
                         "aadObjectId": "00000000-0000-0000-0000-00000000a0a0"}  # fmt: skip
        agree["value"]["action"] = actions[0]
        status, body = await s.post(agree)
        assert status == 200 and "D-1 accepted: committed 2026-12-04" in body["value"]["body"][0]["text"]
        with s.app.uow_factory(TENANT) as uow:
            dep = uow.dependencies.get(1)
        assert dep is not None and (dep.state.value, str(dep.committed)) == ("accepted", "2026-12-04")
        assert_valid(s)

    run(tmp_path, scenario)
