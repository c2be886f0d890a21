"""The stand-up and weekly check-in as modals: `/flotilla standup`, `/flotilla checkin` and the
prompt DM's **Open stand-up** button, through the real bolt App over loopback, signed."""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from typing import Any

from bot.scheduler import RhythmScheduler
from core.rhythm import RunKind
from tests.adapters.slack.conftest import CHANNELS, PEOPLE, TEAM, Slack, fixture
from tests.adapters.slack.test_slack_app import org, texts

BOB, PIA, SAM = PEOPLE["bob"], PEOPLE["pia"], PEOPLE["sam"]


def view_of(call: Any) -> dict[str, Any]:
    view = call.params["view"]
    return json.loads(view) if isinstance(view, str) else view  # type: ignore[no-any-return]


def opened(slack: Slack, count: int) -> dict[str, Any]:
    calls = slack.standin.wait_for(lambda: (found := slack.standin.of("views.open")) and len(found) >= count and found)
    return calls[count - 1]  # type: ignore[no-any-return]


def with_standup(slack: Slack) -> None:
    org(slack)
    slack.command(BOB, "rhythm set standup --team payments --days mon-fri --at 09:00 --tz UTC", CHANNELS["payments"])
    slack.clock.advance(timedelta(minutes=30))


def submission(user: str, view: dict[str, Any], view_id: str, values: dict[str, Any]) -> dict[str, Any]:
    payload = copy.deepcopy(fixture("view_submission"))
    payload["user"]["id"] = user
    payload["view"].update(id=view_id, root_view_id=view_id, callback_id=view["callback_id"],
                           private_metadata=view["private_metadata"], blocks=view["blocks"])  # fmt: skip
    payload["view"]["state"] = {"values": values}
    return payload


def answers(*said: str) -> dict[str, Any]:
    return {f"a{i}": {"value": {"type": "plain_text_input", "value": a}} for i, a in enumerate(said, 1)}


def stored_answers(slack: Slack, person: str) -> list[str] | None:
    with slack.flotilla.uow_factory(TEAM) as uow:
        runs = [r for r in uow.checkins.runs() if r.kind is RunKind.STANDUP and r.team == "payments"]
        assert len(runs) <= 1
        if not runs:
            return None
        r = uow.checkins.response("payments", RunKind.STANDUP, runs[0].period, person)
        return list(r.answers) if r is not None else None


def submit(slack: Slack, payload: dict[str, Any]) -> dict[str, Any]:
    status, body = slack.interactive(payload)
    assert status == 200, body
    return json.loads(body) if body else {}  # type: ignore[no-any-return]


def test_standup_command_opens_a_prefilled_modal_and_submission_records(slack: Slack) -> None:
    with_standup(slack)
    fields, _ = slack.command_fields(PIA, "standup", CHANNELS["payments"])
    assert slack.form(fields)[0] == 200
    call = opened(slack, 1)
    assert call.params["trigger_id"] == fields["trigger_id"]
    view = view_of(call)
    assert view["type"] == "modal" and view["callback_id"] == "standup_modal"
    inputs = [b for b in view["blocks"] if b["type"] == "input"]
    assert [b["block_id"] for b in inputs] == ["a1", "a2", "a3"]
    assert all(b["element"]["type"] == "plain_text_input" and "initial_value" not in b["element"] for b in inputs)
    assert all(b["label"]["text"] for b in inputs) and len(view["title"]["text"]) <= 24

    payload = submission(PIA, view, "V0STANDUP1", answers("Shipped the vault", "Checkout API", "none"))
    done = submit(slack, payload)
    assert done["response_action"] == "update" and "stand-up for payments" in json.dumps(done["view"])
    assert stored_answers(slack, PIA) == ["Shipped the vault", "Checkout API", "none"]

    # a double submit of the same view: taken once, nothing sent again
    events = len(slack.export()["events"])
    posts = len(slack.standin.of("chat.postMessage"))
    assert submit(slack, payload) == {}
    assert len(slack.export()["events"]) == events
    assert len(slack.standin.of("chat.postMessage")) == posts

    # opened again: prefilled with what was said; a new submission edits the answer
    slack.command(PIA, "standup", CHANNELS["payments"], wait=False)
    view = view_of(opened(slack, 2))
    prefilled = [b["element"].get("initial_value") for b in view["blocks"] if b["type"] == "input"]
    assert prefilled == ["Shipped the vault", "Checkout API", "none"]
    edited = submit(slack, submission(PIA, view, "V0STANDUP2", answers("Shipped the vault", "Checkout v2", "none")))
    assert edited["response_action"] == "update" and "updated" in json.dumps(edited["view"])
    assert stored_answers(slack, PIA) == ["Shipped the vault", "Checkout v2", "none"]


def test_standup_validation_from_the_core_is_shown_in_the_modal(slack: Slack) -> None:
    with_standup(slack)
    slack.command(PIA, "standup", wait=False)
    view = view_of(opened(slack, 1))
    refused = submit(slack, submission(PIA, view, "V0STANDUP3", answers("Shipped", "   ", "none")))
    assert refused["response_action"] == "errors"
    assert list(refused["errors"]) == ["a2"] and "can't be empty" in refused["errors"]["a2"]
    assert stored_answers(slack, PIA) is None
    fixed = submit(slack, submission(PIA, view, "V0STANDUP3", answers("Shipped", "Checkout", "none")))
    assert fixed["response_action"] == "update"  # the same view, corrected: taken this time
    assert stored_answers(slack, PIA) == ["Shipped", "Checkout", "none"]


def test_no_standup_no_modal_but_the_cores_answer(slack: Slack) -> None:
    org(slack)
    answer = slack.command(SAM, "standup")
    assert answer["response_type"] == "ephemeral" and "no team" in texts(answer)
    answer = slack.command(SAM, "checkin")
    assert "own no open priorities" in texts(answer)
    assert slack.standin.of("views.open") == []
    answer = slack.command(PIA, "standup --json")  # not a form: answered as typed commands are
    assert "refused" not in answer and slack.standin.of("views.open") == []


def test_checkin_modal_per_priority_errors_and_double_submit(slack: Slack) -> None:
    org(slack)
    slack.command(BOB, f'priority add "One-click checkout" --team payments --owner <@{PIA}|pia>', CHANNELS["payments"])
    slack.command(BOB, f'priority add "Vault" --team payments --owner <@{PIA}|pia>', CHANNELS["payments"])
    slack.command(BOB, "priority update P-2 --confidence 70 --progress 40", CHANNELS["payments"])
    fields, _ = slack.command_fields(PIA, "checkin")
    assert slack.form(fields)[0] == 200
    call = opened(slack, 1)
    assert call.params["trigger_id"] == fields["trigger_id"]
    view = view_of(call)
    assert view["callback_id"] == "checkin_modal" and len(view["blocks"]) == 10
    by_id = {b.get("block_id"): b for b in view["blocks"] if b["type"] == "input"}
    assert set(by_id) == {f"{k}:P-{n}" for k in ("status", "confidence", "progress", "note") for n in (1, 2)}
    assert by_id["status:P-1"]["element"]["type"] == "static_select"
    assert by_id["status:P-1"]["element"]["initial_option"]["value"] == "on-track"
    assert [o["value"] for o in by_id["status:P-1"]["element"]["options"]] == [
        "on-track", "at-risk", "off-track", "done"]  # fmt: skip
    assert by_id["confidence:P-2"]["element"] == {"type": "number_input", "action_id": "value",
                                                   "is_decimal_allowed": False, "initial_value": "70"}  # fmt: skip
    assert by_id["progress:P-2"]["element"]["initial_value"] == "40" and by_id["note:P-2"]["optional"] is True

    def values(status: str, confidence: str, progress: str, note: str | None) -> dict[str, Any]:
        return {
            "status:P-1": {"value": {"type": "static_select", "selected_option": {"value": status}}},
            "confidence:P-1": {"value": {"type": "number_input", "value": confidence}},
            "progress:P-1": {"value": {"type": "number_input", "value": progress}},
            "note:P-1": {"value": {"type": "plain_text_input", "value": note}},
            "status:P-2": {"value": {"type": "static_select", "selected_option": {"value": "on-track"}}},
            "confidence:P-2": {"value": {"type": "number_input", "value": "70"}},
            "progress:P-2": {"value": {"type": "number_input", "value": "40"}},
            "note:P-2": {"value": {"type": "plain_text_input", "value": None}},
        }

    refused = submit(slack, submission(PIA, view, "V0CHECKIN1", values("at-risk", "140", "25", None)))
    assert refused["response_action"] == "errors"
    assert list(refused["errors"]) == ["confidence:P-1"] and "between 0 and 100" in refused["errors"]["confidence:P-1"]
    with slack.flotilla.uow_factory(TEAM) as uow:
        p1 = uow.priorities.get(1)
    assert p1 is not None and (p1.status.value, p1.confidence, p1.progress) == ("on-track", None, 0)
    confirmed = [e for e in slack.export()["events"] if e["kind"] == "priority.confirmed"]
    assert len(confirmed) == 1  # P-2, unchanged in the form, was confirmed by the same submission

    good = submission(PIA, view, "V0CHECKIN1", values("at-risk", "60", "25", "Vault slipped"))
    done = submit(slack, good)
    assert done["response_action"] == "update" and "P-1" in json.dumps(done["view"])
    with slack.flotilla.uow_factory(TEAM) as uow:
        p1, p2 = uow.priorities.get(1), uow.priorities.get(2)
    assert p1 is not None and (p1.status.value, p1.confidence, p1.progress) == ("at-risk", 60, 25)
    assert p2 is not None and (p2.confidence, p2.progress) == (70, 40)
    events = slack.export()["events"]
    assert len([e for e in events if e["kind"] == "priority.confirmed"]) == 1  # P-2 not confirmed twice
    posts = len(slack.standin.of("chat.postMessage"))
    assert submit(slack, good) == {}  # double submit
    assert slack.export()["events"] == events and len(slack.standin.of("chat.postMessage")) == posts


def test_standup_prompt_dm_has_a_button_that_opens_the_modal(slack: Slack) -> None:
    with_standup(slack)
    scheduler = RhythmScheduler(slack.flotilla.uow_factory, slack.flotilla.engine, slack.clock,
                                slack.service.pump, only=[TEAM])  # fmt: skip
    scheduler.run_once()
    prompt = slack.standin.wait_for(
        lambda: [
            c
            for c in slack.standin.of("chat.postMessage")
            if c.params["channel"] == PIA and "Stand-up" in c.params["text"]
        ]
    )
    blocks = prompt[0].params["blocks"]
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    buttons = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert [(e["action_id"], e["value"], e["text"]["text"]) for e in buttons] == [
        ("standup_open", "payments", "Open stand-up")]  # fmt: skip

    message = {"ts": prompt[0].params.get("ts", "1700000000.000100"), "text": prompt[0].params["text"],
               "blocks": blocks}  # fmt: skip
    _, name = slack.action(PIA, "standup_open", "payments", channel="D0PIA", message=message)
    call = opened(slack, 1)
    assert call.params["trigger_id"] == f"trigger.{name}"
    view = view_of(call)
    assert view["callback_id"] == "standup_modal"
    assert [b["block_id"] for b in view["blocks"] if b["type"] == "input"] == ["a1", "a2", "a3"]
    done = submit(slack, submission(PIA, view, "V0STANDUP9", answers("Vault", "Checkout", "none")))
    assert done["response_action"] == "update"
    assert stored_answers(slack, PIA) == ["Vault", "Checkout", "none"]

    # sam is in no team: no modal, only sam is told
    slack.action(SAM, "standup_open", "payments", channel="D0SAM", message=message)
    told = slack.standin.wait_for(lambda: [c for c in slack.standin.of("chat.postEphemeral")
                                           if c.params["user"] == SAM])  # fmt: skip
    assert "payments" in told[0].params["text"] and len(slack.standin.of("views.open")) == 1
