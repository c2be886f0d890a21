"""The Slack app end to end: signed requests in Slack's shapes through the real bolt App over HTTP."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

from core.ports import OutboxMessage
from tests.adapters.slack.conftest import CHANNELS, PEOPLE, TEAM, Slack, fixture

ADA, BOB, LEO, PIA = PEOPLE["ada"], PEOPLE["bob"], PEOPLE["leo"], PEOPLE["pia"]


def texts(answer: dict[str, Any]) -> str:
    return "\n".join(b["text"]["text"] for b in answer.get("blocks", []) if b.get("type") == "section")


def org(slack: Slack) -> None:
    """ada (a Slack workspace admin) makes payments (bob lead, pia) and ledger (leo lead)."""
    slack.command(ADA, 'team create payments "Payments"', CHANNELS["payments"])
    slack.command(ADA, 'team create ledger "Ledger"', CHANNELS["ledger"])
    slack.command(ADA, f"team add payments <@{BOB}|bob> --lead")
    slack.command(ADA, f"team add payments <@{PIA}|pia>")
    slack.command(ADA, f"team add ledger <@{LEO}|leo> --lead")


def test_url_verification_and_health(slack: Slack) -> None:
    status, body = slack.json(fixture("url_verification"))
    assert status == 200 and json.loads(body)["challenge"] == fixture("url_verification")["challenge"]
    assert slack.get("/healthz") == (200, b"ok\n")
    assert slack.get("/slack/install")[0] == 404  # single-workspace token mode: no OAuth endpoints


def test_unsigned_or_stale_requests_get_401_and_change_nothing(slack: Slack) -> None:
    fields, name = slack.command_fields(ADA, 'team create payments "Payments"', CHANNELS["payments"])
    from urllib.parse import urlencode

    body = urlencode(fields).encode()
    assert slack.form(fields, signed=False)[0] == 401
    stale = {
        **__import__("tests.adapters.slack.conftest", fromlist=["sign"]).sign(body, timestamp=int(time.time()) - 600)
    }
    assert slack.post("/slack/events", body, "application/x-www-form-urlencoded", headers=stale, signed=False)[0] == 401
    forged = __import__("tests.adapters.slack.conftest", fromlist=["sign"]).sign(body, secret="not-the-secret")
    assert (
        slack.post("/slack/events", body, "application/x-www-form-urlencoded", headers=forged, signed=False)[0] == 401
    )
    assert slack.json(fixture("app_mention"), signed=False)[0] == 401
    export = slack.export()
    assert export["people"] == [] and export["teams"] == [] and export["events"] == []
    assert [c.method for c in slack.standin.calls if c.method != "auth.test"] == []
    assert name not in slack.standin.responses


def test_slash_command_runs_the_shared_grammar_and_binds_the_channel(slack: Slack) -> None:
    answer = slack.command(ADA, 'team create payments "Payments"', CHANNELS["payments"])
    assert answer["response_type"] == "in_channel"
    assert texts(answer) == "Team payments created. Home channel: <#C0PAYMENTS>."
    assert slack.export()["teams"][0]["channel"] == "C0PAYMENTS"
    people = slack.export()["people"]
    assert people == [{"handle": ADA, "name": "ada", "tz": "UTC", "admin": True, "tz_pinned": False}]
    assert [c.params["user"] for c in slack.standin.of("users.info")] == [ADA]  # then cached

    listed = slack.command(BOB, "team list")
    assert listed["response_type"] == "ephemeral"  # a personal read
    assert "payments" in texts(listed)


def test_refusals_are_ephemeral_with_usage_and_change_nothing(slack: Slack) -> None:
    slack.command(ADA, "me")
    before = slack.export()
    answer = slack.command(BOB, 'team create search "Search"')
    assert answer["response_type"] == "ephemeral"
    assert "Only an admin can create a team." in texts(answer)
    assert "Usage: `team create" in texts(answer)
    bad = slack.command(BOB, "priority update P-x --confidence 140")
    assert bad["response_type"] == "ephemeral" and "Usage:" in texts(bad)
    assert slack.export() == before  # not even bob was stored


def test_user_text_cannot_ping_anyone(slack: Slack) -> None:
    org(slack)
    typed = "&lt;!here&gt; &lt;!channel&gt; <!subteam^S0ALL|@everyone> @channel build &amp; deploy is red"
    answer = slack.command(PIA, f'blocker add "{typed}"', CHANNELS["payments"])
    shown = texts(answer)
    for ping in ("<!here>", "<!channel>", "<!subteam", "@channel", "<!everyone>"):
        assert ping not in shown
    assert "&lt;!here&gt;" in shown and "build &amp; deploy" in shown
    stored = slack.export()["blockers"][0]["text"]
    assert stored.startswith("<!here> <!channel>") and "build & deploy" in stored


def test_dependency_request_notifies_with_buttons_and_accept_button_works(slack: Slack) -> None:
    org(slack)
    for user in (LEO, PIA, BOB):
        slack.open_home(user)
    answer = slack.command(PIA, 'dep request ledger "Ledger API keys" --by fri', CHANNELS["payments"])
    assert answer["response_type"] == "in_channel" and "D-1 requested" in texts(answer)
    posts = slack.standin.wait_for(lambda: [c for c in slack.standin.of("chat.postMessage")
                                            if c.params["channel"] in (CHANNELS["ledger"], LEO)])  # fmt: skip
    slack.standin.wait_for(lambda: len([c for c in slack.standin.of("chat.postMessage")
                                        if c.params["channel"] in (CHANNELS["ledger"], LEO)]) == 2)  # fmt: skip
    to_channel = next(c for c in slack.standin.of("chat.postMessage") if c.params["channel"] == CHANNELS["ledger"])
    blocks = (
        json.loads(to_channel.params["blocks"])
        if isinstance(to_channel.params["blocks"], str)
        else to_channel.params["blocks"]
    )
    buttons = [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert buttons == ["dep_accept", "dep_decline", "dep_propose"] and posts

    message = {"ts": "1700000000.000009", "text": to_channel.params["text"], "blocks": blocks}
    _, name = slack.action(LEO, "dep_accept", "D-1", message=message)
    replaced = slack.standin.wait_response(name)
    assert replaced["replace_original"] is True
    assert not [b for b in replaced["blocks"] if b["type"] == "actions"]
    assert "D-1 accepted" in json.dumps(replaced["blocks"])
    assert slack.export()["dependencies"][0]["state"] == "accepted"
    # the requesting team hears of it in its channel, and App Homes are republished
    slack.standin.wait_for(lambda: [c for c in slack.standin.of("chat.postMessage")
                                    if c.params["channel"] == CHANNELS["payments"]])  # fmt: skip

    def homes_showing_it_accepted() -> set[str]:
        """Whose App Home was republished after the accept (it then shows D-1 as accepted)."""
        views = [(c.params["user_id"], json.dumps(c.params["view"])) for c in slack.standin.of("views.publish")]
        return {user for user, view in views if "D-1" in view and "accepted" in view}

    slack.standin.wait_for(lambda: homes_showing_it_accepted() >= {LEO, PIA})
    assert PEOPLE["sam"] not in {c.params["user_id"] for c in slack.standin.of("views.publish")}


def test_double_click_and_refused_click(slack: Slack) -> None:
    org(slack)
    slack.command(PIA, 'dep request ledger "Keys" --by fri', CHANNELS["payments"])
    message = {"ts": "1700000000.000042", "text": "ask", "blocks": []}
    _, first = slack.action(LEO, "dep_accept", "D-1", message=message)
    _, second = slack.action(LEO, "dep_accept", "D-1", message=message)
    slack.standin.wait_for(lambda: first in slack.standin.responses or second in slack.standin.responses)
    events = [e for e in slack.export()["events"] if e["kind"] == "dependency.accepted"]
    assert len(events) == 1
    # sam is in neither team: the core refuses, and only sam is told, ephemerally
    sam = PEOPLE["sam"]
    slack.action(sam, "dep_done", "D-1", channel=CHANNELS["ledger"], message={"ts": "1700000000.000050"})
    refused = slack.standin.wait_for(
        lambda: [c for c in slack.standin.of("chat.postEphemeral") if c.params["user"] == sam]
    )
    assert "Only members of payments or ledger can mark D-1 delivered." in refused[0].params["text"]
    assert slack.export()["dependencies"][0]["state"] == "accepted"
    assert (first in slack.standin.responses) != (second in slack.standin.responses)  # one acted, one was dropped
    slack.service.drain()  # every click's work is done
    # the second click was taken for the duplicate it is: not run, so no "already accepted" refusal
    assert [c for c in slack.standin.of("chat.postEphemeral") if c.params["user"] == LEO] == []


def test_decline_opens_a_modal_and_validates_in_it(slack: Slack) -> None:
    org(slack)
    slack.command(PIA, 'dep request ledger "Keys" --by fri', CHANNELS["payments"])
    slack.action(LEO, "dep_decline", "D-1", message={"ts": "1700000000.000077", "text": "ask", "blocks": []})
    opened = slack.standin.wait_for(lambda: slack.standin.of("views.open"))
    view = opened[0].params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert view["callback_id"] == "flotilla_ask" and opened[0].params["trigger_id"].startswith("trigger.")
    assert json.loads(view["private_metadata"])["subject"] == "D-1"  # ids only, never the text

    submission = fixture("view_submission")
    submission["view"]["private_metadata"] = view["private_metadata"]
    submission["view"]["state"]["values"]["reason"]["reason"]["value"] = "   "
    status, body = slack.interactive(submission)
    assert status == 200 and json.loads(body)["response_action"] == "errors"

    submission["user"]["id"] = PIA  # not in ledger: the core's refusal is shown in the modal
    submission["view"]["state"]["values"]["reason"]["reason"]["value"] = "No capacity"
    status, body = slack.interactive(submission)
    assert json.loads(body)["response_action"] == "errors" and "ledger" in json.loads(body)["errors"]["reason"]

    submission["user"]["id"] = LEO
    status, body = slack.interactive(submission)
    assert status == 200 and body in (b"", b"{}")
    assert slack.export()["dependencies"][0]["state"] == "declined"
    assert slack.export()["dependencies"][0]["declined_reason"] == "No capacity"
    status, body = slack.interactive(submission)  # submitted twice: taken once, the form just closes
    assert status == 200 and body in (b"", b"{}")
    assert len([e for e in slack.export()["events"] if e["kind"] == "dependency.declined"]) == 1


def test_resolve_and_delivered_buttons_from_app_home(slack: Slack) -> None:
    org(slack)
    slack.command(PIA, 'dep request ledger "Keys" --by fri', CHANNELS["payments"])
    slack.command(LEO, "dep accept D-1")
    slack.command(PIA, 'blocker add "Waiting on legal"', CHANNELS["payments"])
    payload = fixture("app_home_opened")
    assert slack.json(payload)[0] == 200

    def pia_home_with_blocker() -> dict[str, Any] | None:
        for c in reversed(slack.standin.of("views.publish")):
            view = c.params["view"]
            view = json.loads(view) if isinstance(view, str) else view
            if c.params["user_id"] == PIA and "B-1" in json.dumps(view):
                return view  # type: ignore[no-any-return]
        return None

    view = slack.standin.wait_for(pia_home_with_blocker)
    actions = [e["action_id"] for b in view["blocks"] for e in (b.get("elements") or [b.get("accessory") or {}])
               if isinstance(e, dict) and "action_id" in e]  # fmt: skip
    assert "dep_done" in actions and "blocker_resolve" in actions
    assert len(view["blocks"]) <= 100

    from_home = {"type": "home", "id": "V0HOME"}
    for action_id, value in (("blocker_resolve", "B-1"), ("dep_done", "D-1")):
        payload = fixture("block_actions")
        payload.pop("message"), payload.pop("channel"), payload.pop("response_url")
        payload["container"] = {"type": "view", "view_id": "V0HOME"}
        payload["view"] = from_home
        payload["user"]["id"] = PIA
        payload["actions"][0].update(action_id=action_id, value=value)
        assert slack.interactive(payload)[0] == 200
    slack.standin.wait_for(lambda: slack.export()["dependencies"][0]["state"] == "delivered"
                           and slack.export()["blockers"][0]["state"] == "resolved")  # fmt: skip


def test_mentions_use_the_same_grammar_and_event_retries_are_idempotent(slack: Slack) -> None:
    org(slack)
    event = fixture("app_mention")["event"]
    assert slack.event(event, "Ev0MENTION01") == 200
    slack.standin.wait_for(lambda: [c for c in slack.standin.of("chat.postMessage") if c.params.get("thread_ts")])
    for n in (1, 2):  # Slack redelivers after a timeout, with the same event_id
        assert slack.event(event, "Ev0MENTION01", headers={"X-Slack-Retry-Num": str(n),
                                                            "X-Slack-Retry-Reason": "http_timeout"}) == 200  # fmt: skip
    read = dict(event, text=f"<@{slack.standin.bot_user_id}> blocker list", ts="1700000031.000001")
    assert slack.event(read, "Ev0MENTION02") == 200
    slack.standin.wait_for(lambda: slack.standin.of("chat.postEphemeral"))
    blockers = slack.export()["blockers"]
    assert [b["text"] for b in blockers] == ["Waiting on legal"]
    threaded = [c for c in slack.standin.of("chat.postMessage") if c.params.get("thread_ts") == event["ts"]]
    assert len(threaded) == 1 and "B-1 raised" in threaded[0].params["text"]


def test_json_in_chat_is_attached_as_a_file(slack: Slack) -> None:
    org(slack)
    answer = slack.command(BOB, "team show payments --json")
    assert answer["response_type"] == "ephemeral" and "as a file" in texts(answer)
    done = slack.standin.wait_for(lambda: slack.standin.of("files.completeUploadExternal"))
    assert done[0].params.get("channel_id") == "D0BOB"
    uploaded = json.loads(next(iter(slack.standin.uploads.values())))
    assert uploaded["handle"] == "payments" and uploaded["channel"] == CHANNELS["payments"]


def test_the_first_to_speak_in_slack_is_not_made_admin(slack: Slack) -> None:
    """SPEC: in Slack, workspace admins and the installer are admins; the first-speaker rule is the
    console's. So bob, who is neither, stays a member however early he speaks."""
    for text in ("me", "help", "team list", "risks", "summary", "admin list"):
        answer = slack.command(BOB, text)
        assert answer["response_type"] == "ephemeral" and texts(answer), text
    refused = slack.command(BOB, 'team create payments "Payments"', CHANNELS["payments"])
    assert "admin" in texts(refused)
    assert slack.export()["people"] == []  # reads and a refused command leave nothing behind
    assert slack.export()["teams"] == []
    slack.command(ADA, "me")  # a Slack workspace admin: admin on first sight, whoever came first
    slack.command(BOB, "me")
    assert [(p["handle"], p["admin"]) for p in slack.export()["people"]] == [(ADA, True), (BOB, False)]


def test_workspace_admins_are_admins(slack: Slack) -> None:
    slack.command(ADA, "me")  # a Slack workspace admin
    slack.standin.users[PEOPLE["sam"]]["is_admin"] = True
    answer = slack.command(PEOPLE["sam"], 'team create search "Search"', CHANNELS["search"])
    assert texts(answer).startswith("Team search created")
    sam = next(p for p in slack.export()["people"] if p["handle"] == PEOPLE["sam"])
    assert sam["admin"] is True


def test_rate_limited_replies_wait_for_retry_after_and_go_out_once(slack: Slack) -> None:
    """A mention's reply goes through the outbox: a 429 puts it back until its Retry-After (on
    Flotilla's clock), without counting as a failed try, and it is sent once when that comes."""
    slack.standin.limits["chat.postEphemeral"] = (1, 1.0)
    org(slack)
    event = fixture("app_mention")["event"]
    for i in range(3):
        read = dict(event, text=f"<@{slack.standin.bot_user_id}> team list", ts=f"1700000040.00000{i}")
        assert slack.event(read, f"Ev0READ{i}") == 200

    def refused_once() -> list[OutboxMessage]:
        """The three replies queued, and Slack said 429 to one of them."""
        with slack.flotilla.uow_factory(TEAM) as uow:
            replies = [m for m in uow.outbox.list() if m.key.startswith("mention:")]
        return replies if len(replies) == 3 and slack.standin.limited.get("chat.postEphemeral") else []

    slack.standin.wait_for(refused_once)
    slack.service.settle()  # whatever can go has gone; the rest waits for the Retry-After
    with slack.flotilla.uow_factory(TEAM) as uow:
        waiting = [m for m in uow.outbox.list("pending") if m.key.startswith("mention:")]
    assert waiting and all(m.attempts == 0 for m in waiting)  # a 429 is not a failed attempt
    assert any("rate limit" in (m.error or "") for m in waiting)

    def all_sent() -> bool:
        slack.clock.advance(timedelta(seconds=1))  # Flotilla's clock reaches the Retry-After
        slack.service.pump.kick()  # type: ignore[union-attr]
        return len(slack.standin.of("chat.postEphemeral")) == 3

    slack.standin.wait_for(all_sent, timeout=20)
    slack.service.drain()
    assert len(slack.standin.of("chat.postEphemeral")) == 3  # none lost, none doubled
    assert slack.standin.limited["chat.postEphemeral"] >= 1
    with slack.flotilla.uow_factory(TEAM) as uow:
        sent = [m for m in uow.outbox.list("sent") if m.key.startswith("mention:")]
    assert len(sent) == 3 and all(m.attempts == 1 for m in sent)  # a 429 is not a failed attempt


def test_map_uploads_its_picture_and_summary_follows_the_ack(slack: Slack) -> None:
    org(slack)
    slack.command(PIA, 'dep request ledger "Keys" --by fri', CHANNELS["payments"])
    answer = slack.command(BOB, "map --team org", CHANNELS["payments"])
    assert "refused" not in answer
    done = slack.standin.wait_for(lambda: slack.standin.of("files.completeUploadExternal"))
    assert done[0].params.get("channel_id") == CHANNELS["payments"]
    assert next(iter(slack.standin.uploads.values())).startswith(b"\x89PNG")
    summary = slack.command(BOB, "summary --team org")
    assert texts(summary)  # the summary came after the ack, through the response_url


def test_slack_fills_in_the_zone_and_me_tz_pins_another(slack: Slack) -> None:
    slack.standin.users[PEOPLE["sam"]]["tz"] = "America/Los_Angeles"
    slack.standin.users[PEOPLE["bob"]]["tz"] = "Mars/Base"  # a zone no zone database knows is not kept
    slack.command(ADA, 'team create search "Search"', CHANNELS["search"])
    added = slack.command(ADA, f"team add search <@{PEOPLE['sam']}> <@{BOB}>", CHANNELS["search"])
    assert texts(added).startswith("Added to search"), texts(added)
    answer = slack.command(PEOPLE["sam"], "me tz Europe/Berlin")
    assert answer["response_type"] == "ephemeral" and texts(answer).startswith("Your time zone is now Europe/Berlin")
    people = {p["handle"]: p for p in slack.export()["people"]}
    assert (people[PEOPLE["sam"]]["tz"], people[PEOPLE["sam"]]["tz_pinned"]) == ("Europe/Berlin", True)
    assert (people[PEOPLE["bob"]]["tz"], people[PEOPLE["bob"]]["tz_pinned"]) == (None, False)


def test_propose_opens_a_datepicker_and_agree_is_a_button_on_the_requesters_side(slack: Slack) -> None:
    org(slack)
    slack.command(BOB, 'priority add "Checkout" --owner <@' + BOB + "|bob> --due +3w", CHANNELS["payments"])
    slack.command(PIA, 'dep request ledger "Keys" --by fri --for P-1', CHANNELS["payments"])
    slack.action(LEO, "dep_propose", "D-1", message={"ts": "1700000000.000091", "text": "ask", "blocks": []})
    opened = slack.standin.wait_for(lambda: slack.standin.of("views.open"))
    view = opened[0].params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert [(b["block_id"], b["element"]["type"]) for b in view["blocks"]] == [
        ("date", "datepicker"), ("reason", "plain_text_input")]  # fmt: skip
    submission = fixture("view_submission")
    submission["view"]["private_metadata"] = view["private_metadata"]
    submission["view"]["state"]["values"] = {
        "date": {"value": {"type": "datepicker", "selected_date": "2026-11-01"}},
        "reason": {"value": {"type": "plain_text_input", "value": "After the audit"}},
    }
    submission["user"]["id"] = LEO
    status, body = slack.interactive(submission)  # a date in the past: refused next to the date
    assert json.loads(body)["response_action"] == "errors" and "in the past" in json.loads(body)["errors"]["date"]
    submission["view"]["state"]["values"]["date"]["value"]["selected_date"] = "2026-12-04"
    status, body = slack.interactive(submission)
    assert status == 200 and body in (b"", b"{}")
    d = slack.export()["dependencies"][0]
    assert (d["state"], d["proposed"], d["proposed_reason"]) == ("proposed", "2026-12-04", "After the audit")

    def asked() -> list[Any]:
        return [c for c in slack.standin.of("chat.postMessage")
                if c.params["channel"] == CHANNELS["payments"] and "proposes" in str(c.params.get("text"))]  # fmt: skip

    [post] = slack.standin.wait_for(asked)
    blocks = json.loads(post.params["blocks"]) if isinstance(post.params["blocks"], str) else post.params["blocks"]
    assert [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]] == [
        "dep_agree", "dep_reject"]  # fmt: skip
    slack.action(PIA, "dep_agree", "D-1", channel=CHANNELS["payments"], message={"ts": "1700000000.000092"})
    slack.standin.wait_for(lambda: slack.export()["dependencies"][0]["state"] == "accepted")
    assert slack.export()["dependencies"][0]["committed"] == "2026-12-04"
    answer = slack.command(LEO, 'dep commit D-1 2026-12-18 "Vendor slipped"', CHANNELS["ledger"])
    assert "D-1 re-planned later: committed 2026-12-04 → 2026-12-18" in texts(answer)
    d = slack.export()["dependencies"][0]
    assert [(r["from"], r["to"], r["why"]) for r in d["replans"]] == [("2026-12-04", "2026-12-18", "Vendor slipped")]
    # bob owns P-1: the agreed late date and the re-plan each wrote a pending alert; the scheduler's next
    # tick sends the re-plan's and drops the first, which the re-plan superseded (core.slips)
    alerts = [(a["person"], a["change"], a["state"]) for a in slack.export()["slip_alerts"]]
    assert alerts == [(BOB, "replanned:2", "pending"), (BOB, "replanned:3", "pending")]
