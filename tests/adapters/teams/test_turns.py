"""Turn logic with botbuilder's TestAdapter and Teams-shaped activities (no HTTP)."""

from __future__ import annotations

import asyncio
import copy
from pathlib import Path
from typing import Any

import pytest
from botbuilder.core import TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import Activity

from bot.bootstrap import Flotilla, build
from bot.teams.handler import TeamsBot
from core.fakes import FixedClock
from core.limits import MAX_TEXT
from storage.conversation_refs import SqlConversationRefs
from tests.adapters.teams.conftest import NOW, TENANT, card_validator, fixture

ADA = "00000000-0000-0000-0000-00000000a0a0"
BOB = "00000000-0000-0000-0000-00000000b0b0"


class Turns:
    def __init__(self, flotilla: Flotilla) -> None:
        self.flotilla = flotilla
        self.refs = SqlConversationRefs(flotilla.engine, "teams")
        self.bot = TeamsBot(uow_factory=flotilla.uow_factory, refs=self.refs, clock=FixedClock(NOW))
        self.adapter = TestAdapter()

    def turn(self, activity: dict[str, Any]) -> list[Activity]:
        """Run one activity exactly as given (TestAdapter.process_activity would overwrite its ids)."""
        before = len(self.adapter.activity_buffer)
        act = Activity().deserialize(copy.deepcopy(activity))
        asyncio.run(self.adapter.run_pipeline(self.adapter.create_turn_context(act), self.bot.on_turn))
        return self.adapter.activity_buffer[before:]

    def say(self, text: str, *, mentions: list[dict[str, Any]] = (), **changes: Any) -> str:  # type: ignore[assignment]
        activity = fixture("channel_message_mention", text=f"<at>Flotilla</at> {text}", **changes)
        activity["entities"] += list(mentions)
        replies = self.turn(activity)
        assert len(replies) == 1, replies
        return replies[0].text or ""

    def people(self) -> dict[str, Any]:
        with self.flotilla.uow_factory(TENANT) as uow:
            return {p.handle: p for p in uow.people.list()}


@pytest.fixture
def turns(tmp_path: Path) -> Any:
    flotilla = build(database_url=f"sqlite:///{tmp_path / 'teams.db'}")
    try:
        yield Turns(flotilla)
    finally:
        flotilla.close()


def mention(name: str, aad: str, user_id: str) -> dict[str, Any]:
    return {"type": "mention", "text": f"<at>{name}</at>",
            "mentioned": {"id": user_id, "name": name, "aadObjectId": aad}}  # fmt: skip


def test_channel_message_strips_the_bots_mention_and_binds_the_channel_on_team_create(turns: Turns) -> None:
    reply = turns.say('team create payments "Payments"')
    assert reply == "Team payments created. Home channel: **payments**."
    with turns.flotilla.uow_factory(TENANT) as uow:
        team = uow.teams.get("payments")
    assert team is not None and team.channel == "19:payments0channel0id@thread.tacv2"


def test_the_bots_name_inside_a_quoted_value_survives(turns: Turns) -> None:
    """botbuilder's remove_recipient_mention would delete every "Flotilla" in the text."""
    raw = fixture("channel_message_mention", text='<at>Flotilla</at> blocker add "Flotilla rollout is late"')
    sdk = TurnContext.remove_recipient_mention(Activity().deserialize(copy.deepcopy(raw)))
    assert "Flotilla rollout" not in sdk  # the SDK defect this adapter works around
    replies = turns.turn(raw)
    card = replies[0].attachments[0].content
    assert "Flotilla rollout is late" in card["body"][0]["text"]


def test_personal_message_makes_the_sender_a_person_and_stores_the_reference(turns: Turns) -> None:
    replies = turns.turn(fixture("personal_message", text="me"))
    assert replies and replies[0].type == "message"
    ada = turns.people()[ADA]
    assert (ada.name, ada.tz, ada.admin) == ("Ada Lovelace", "Europe/Berlin", True)
    stored = turns.refs.get(TENANT, "user", ADA)
    assert stored is not None
    assert stored.reference["serviceUrl"] == "https://smba.trafficmanager.net/emea/"
    assert stored.reference["conversation"]["id"] == "a:1personal-chat-with-ada"
    assert turns.refs.get(TENANT, "member", "29:1ada-teams-user-id").reference == {"aadObjectId": ADA}


def test_channel_and_team_references_are_stored_with_refreshed_service_url(turns: Turns) -> None:
    turns.say("team list")
    turns.say("team list", serviceUrl="https://smba.trafficmanager.net/amer/")
    channel = turns.refs.get(TENANT, "channel", "19:payments0channel0id@thread.tacv2")
    team = turns.refs.get(TENANT, "team", "19:product0team0id@thread.tacv2")
    assert channel is not None and team is not None
    assert channel.reference["serviceUrl"] == "https://smba.trafficmanager.net/amer/"
    assert channel.reference["conversation"]["id"] == "19:payments0channel0id@thread.tacv2"  # not the thread
    assert (channel.name, team.name) == ("payments", "Product")


def test_mentions_become_people_by_aad_object_id(turns: Turns) -> None:
    turns.say('team create payments "Payments"')
    reply = turns.say("team add payments <at>Bob Builder</at> --lead",
                      mentions=[mention("Bob Builder", BOB, "29:1bob-teams-user-id")])  # fmt: skip
    assert reply == "Added to payments as lead: **Bob Builder**."
    with turns.flotilla.uow_factory(TENANT) as uow:
        team = uow.teams.get("payments")
    assert team is not None and team.leads == [BOB]
    assert turns.people()[BOB].name == "Bob Builder"


def test_user_text_is_neutralised_in_cards(turns: Turns) -> None:
    text = '<at>Flotilla</at> blocker add "@here <at>Eve</at> <!channel> build is red"'
    replies = turns.turn(fixture("channel_message_mention", text=text))
    card = replies[0].attachments[0].content
    assert not list(card_validator().iter_errors(card))
    text = card["body"][0]["text"]
    assert "<at>" not in text and "@here" not in text and "<!channel>" not in text
    assert "build is red" in text
    assert [a["verb"] for a in card["actions"]] == ["blocker.resolve"]
    assert card["actions"][0]["fallback"]["type"] == "Action.Submit"


def test_refusal_shows_the_usage_and_markup_is_escaped(turns: Turns) -> None:
    reply = turns.say("priority update P-9 --confidence 140")
    assert reply.startswith("confidence must be between 0 and 100 (got 140)")
    assert "Usage: priority update P-n" in reply
    assert "&lt;status&gt;" in reply


def test_json_reads_come_back_as_a_code_block(turns: Turns) -> None:
    turns.say('team create payments "Payments"')
    reply = turns.say("team list --json")
    assert reply.startswith("```json\n") and '"handle": "payments"' in reply


def test_installation_makes_the_installer_admin_and_says_hello(turns: Turns) -> None:
    replies = turns.turn(fixture("installation_update_add"))
    assert "Flotilla" in (replies[0].text or "")
    assert turns.people()[ADA].admin is True
    assert turns.refs.get(TENANT, "team", "19:product0team0id@thread.tacv2") is not None


def test_team_member_added_becomes_a_person(turns: Turns) -> None:
    activity = fixture("conversation_update_team_member_added")
    activity["membersAdded"][0]["name"] = "Bob Builder"
    turns.turn(activity)
    people = turns.people()
    assert people[BOB].name == "Bob Builder" and not people[BOB].admin
    assert not people[ADA].admin  # adding a member is neither installing the app nor speaking first
    assert turns.refs.get(TENANT, "member", "29:1bob-teams-user-id") is not None


def test_action_execute_invoke_replaces_the_card_with_what_was_recorded(turns: Turns) -> None:
    turns.say('blocker add "Waiting on legal"')
    invoke = fixture("adaptive_card_action_invoke")
    invoke["from"] = fixture("channel_message_mention")["from"]
    invoke["value"]["action"].update(verb="blocker.resolve", data={"flotilla": "blocker.resolve", "blocker": "B-1"})
    replies = turns.turn(invoke)
    response = next(a for a in replies if a.type == "invokeResponse").value
    assert response.status == 200
    body = response.body
    assert body["type"] == "application/vnd.microsoft.card.adaptive"
    assert not list(card_validator().iter_errors(body["value"]))
    assert "B-1" in body["value"]["body"][0]["text"] and "Recorded for Ada Lovelace" in str(body["value"])
    again = next(a for a in turns.turn(invoke) if a.type == "invokeResponse").value.body
    assert again["type"] == "application/vnd.microsoft.activity.message"  # a double click changes nothing


def test_unknown_card_data_is_ignored_politely(turns: Turns) -> None:
    replies = turns.turn(fixture("message_submit_value", value={"flotilla": "format.disk"}))
    assert "not one of mine" in (replies[0].text or "")


def test_standup_and_checkin_forms_are_cards_that_record(turns: Turns) -> None:
    from datetime import timedelta

    turns.say('team create payments "Payments"')
    turns.say("team add payments <at>Ada Lovelace</at> --lead",
              mentions=[mention("Ada Lovelace", ADA, "29:1ada-teams-user-id")])  # fmt: skip
    turns.say("rhythm set standup --days mon-fri --at 09:00 --tz UTC")
    turns.say('priority add "One-click checkout" --owner <at>Ada Lovelace</at>',
              mentions=[mention("Ada Lovelace", ADA, "29:1ada-teams-user-id")])  # fmt: skip
    turns.bot.clock = FixedClock(NOW + timedelta(minutes=30))
    form = turns.turn(fixture("personal_message", text="standup"))[0].attachments[0].content
    assert not list(card_validator().iter_errors(form))
    inputs = [b for b in form["body"] if b["type"] == "Input.Text"]
    assert len(inputs) == 3 and form["actions"][0]["verb"] == "form.submit"
    assert all(i["maxLength"] == MAX_TEXT for i in inputs)  # the core's limit, not the card's own
    submit = fixture("message_submit_value", value={**form["actions"][0]["data"], "a1": "Shipped the vault",
                                                    "a2": "Checkout API", "a3": "none"})  # fmt: skip
    submit["from"] = fixture("personal_message")["from"]
    done = turns.adapter.updated_activities[-1] if turns.turn(submit) == [] else None
    assert done is not None and "stand-up for payments" in str(done.attachments[0].content)
    checkin = turns.turn(fixture("personal_message", text="checkin"))[0].attachments[0].content
    assert not list(card_validator().iter_errors(checkin))
    assert [a["verb"] for a in checkin["actions"]] == ["form.submit"]  # one button sends every priority
    invoke = fixture("adaptive_card_action_invoke")
    invoke["from"] = fixture("personal_message")["from"]
    invoke["value"]["action"].update(verb="form.submit", data={
        **checkin["actions"][0]["data"], "status:P-1": "at-risk", "confidence:P-1": "60", "progress:P-1": "25",
        "note:P-1": "Vault slipped"})  # fmt: skip
    body = next(a for a in turns.turn(invoke) if a.type == "invokeResponse").value.body
    assert body["type"] == "application/vnd.microsoft.card.adaptive", body
    with turns.flotilla.uow_factory(TENANT) as uow:
        p = uow.priorities.get(1)
    assert p is not None and (p.status.value, p.confidence, p.progress) == ("at-risk", 60, 25)


def test_teams_fills_in_the_zone_and_me_tz_pins_another(turns: Turns) -> None:
    turns.say("me tz")  # first sight: the zone Teams sends with the activity (Europe/Berlin)
    [person] = turns.people().values()
    assert (person.tz, person.tz_pinned) == ("Europe/Berlin", False)
    assert turns.say("me tz Asia/Tokyo").startswith("Your time zone is now Asia/Tokyo")
    assert "Asia/Tokyo (you set it" in turns.say("me tz", localTimezone="America/New_York")
    [person] = turns.people().values()
    assert (person.tz, person.tz_pinned) == ("Asia/Tokyo", True)
