"""Every Block Kit surface within Slack's limits for any text the core accepts, in any script:
messages, modals and the App Home, measured as Slack measures (after escaping, UTF-16)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from slack_sdk.errors import SlackApiError
from slack_sdk.web import WebClient

from bot.conversation import Outcome
from bot.slack import render
from bot.slack.clicks import answered
from bot.slack.home import home_view
from bot.slack.modals import ask_modal, done_modal, form_modal
from core.json_shapes import blocker_from_json, dependency_from_json, priority_from_json
from core.offers import Act, blocker_offers, checkin_form, dependency_offers, offer_for, standup_form
from core.record_lines import blocker_line, dependency_line, priority_line
from core.reply import Item, Quote, Reply, line
from tests.adapters.slack.blockkit import message_errors, slack_length, view_errors
from tests.adapters.slack.conftest import CHANNELS, PEOPLE, Slack, fixture
from tests.adapters.slack.standin import BOT_TOKEN, SlackStandIn
from tests.adapters.slack.test_slack_app import org

LEO, PIA = PEOPLE["leo"], PEOPLE["pia"]
SCRIPTS = "<>&  aé\u0301Жя漢字ひ😀🇺🇳@*_~`\n"
"""Escaped characters, Latin with a combining accent, Cyrillic, CJK, kana, astral emoji and flags."""
TEXTS = st.builds(lambda unit, times: (unit * times)[:12000], st.text(alphabet=SCRIPTS, min_size=1, max_size=30),
                  st.integers(min_value=1, max_value=1200))  # fmt: skip
"""Texts up to 12,000 characters: long runs of what escapes or counts double are the hard cases."""
HOSTILE = ["<&> " * 250, "Ж" * 4000, "漢" * 3001, "😀" * 1600, "&" * 3000, "a" * 12000]


def dependency(i: int, text: str, state: str = "requested") -> dict[str, Any]:
    return {"id": f"D-{i}", "from_team": "payments", "to_team": "ledger", "what": text, "needed_by": "2026-12-01",
            "committed": None, "for": None, "state": state, "blocked_reason": text if state == "blocked" else None,
            "requester_owner": "U0PIA", "provider_owner": None, "blocked_from": None, "declined_reason": None,
            "created_at": "2026-11-01T00:00:00+00:00", "updated_at": "2026-11-01T00:00:00+00:00",
            "answered_at": None, "delivered_at": None}  # fmt: skip


def blocker(i: int, text: str) -> dict[str, Any]:
    return {"id": f"B-{i}", "text": text, "team": "payments", "on": None, "state": "open", "raised_by": "U0PIA",
            "raised_at": "2026-11-01T00:00:00+00:00", "resolved_by": None, "resolved_at": None}  # fmt: skip


def priority(i: int, text: str) -> dict[str, Any]:
    return {"id": f"P-{i}", "title": text, "outcome": text, "team": "payments", "owner": "U0PIA", "parent": None,
            "status": "at-risk", "confidence": 40, "progress": 10, "due": None, "rank": 1,
            "created_at": "2026-11-01T00:00:00+00:00", "updated_at": "2026-11-01T00:00:00+00:00"}  # fmt: skip


def surfaces(text: str) -> list[tuple[str, dict[str, Any]]]:
    """Every surface the adapter builds, each holding `text` wherever user text can go."""
    said = [line("B-1 raised: ", Quote(text))]
    ask = dependency_from_json(dependency(1, text))
    msg_text, msg_blocks = render.message(said, dependency_offers(ask, provider=True))
    ref_text, ref_blocks = render.refusal(said, 'blocker add "<text>"')
    prios = [priority_from_json(priority(i, text)) for i in range(1, 20)]
    states = ("requested", "accepted", "blocked")
    deps = [dependency_from_json(dependency(i, text, states[i % 3])) for i in range(1, 20)]
    blockers = [blocker_from_json(blocker(i, text)) for i in range(1, 20)]
    me = Reply(lines=(line("Your teams: payments, ", Quote(text[:40])),), items=(
        *(Item("priorities", priority_line(p)) for p in prios),
        *(Item("dependencies", dependency_line(d), dependency_offers(d, provider=True, requester=True)) for d in deps),
        *(Item("blockers", blocker_line(b), blocker_offers(b)) for b in blockers)))  # fmt: skip
    standup = standup_form("payments", "Mon 2026-11-23", ["What did you do?", text[:200]], [text, text])
    done = Outcome(reply=Reply(lines=tuple(said)))
    url = "https://hooks.slack.com/actions/T0/1/" + "x" * 60
    return [
        ("message", {"text": msg_text, "blocks": msg_blocks}),
        ("message", {"text": ref_text, "blocks": ref_blocks}),
        ("message", answered({"text": msg_text, "blocks": msg_blocks}, done)),
        ("view", home_view(me)),
        ("view", form_modal(standup, render.VIEW_STANDUP)),
        ("view", form_modal(checkin_form(prios, intro=text), render.VIEW_CHECKIN)),
        ("view", done_modal("Weekly check-in", said * 40)),
        ("view", ask_modal(offer_for(Act.DEP_DECLINE, "D-123456789", "Decline…"), url=url, channel="C0LEDGER")),
    ]


def errors_in(text: str) -> list[tuple[int, list[str]]]:
    found = []
    for n, (kind, surface) in enumerate(surfaces(text)):
        errors = message_errors(surface) if kind == "message" else view_errors(surface)
        if errors:
            found.append((n, errors[:3]))
    return found


def test_hostile_texts_fit_every_surface() -> None:
    for text in HOSTILE:
        assert errors_in(text) == [], text[:20]


@settings(max_examples=60, deadline=None)
@given(TEXTS)
def test_any_text_in_any_script_fits_every_surface(text: str) -> None:
    assert errors_in(text) == []


@given(st.text(alphabet=SCRIPTS, max_size=400), st.integers(min_value=2, max_value=400))
def test_a_cut_never_breaks_an_escape_or_a_link_and_respects_the_limit(text: str, limit: int) -> None:
    sent = render.quote(text) + " <@U0ADA> " + render.quote(text)
    clipped = render.clip(sent, limit)
    assert slack_length(clipped, escaped=True) <= limit
    kept = clipped.removesuffix("…") if clipped != sent else clipped
    assert all(kept[i:].startswith(("&amp;", "&lt;", "&gt;")) for i, ch in enumerate(kept) if ch == "&")
    assert kept.count("<") == kept.count(">")


def test_pieces_of_a_long_line_are_measured_in_utf16_and_split_at_spaces() -> None:
    emoji = render.text_blocks(["😀" * 2000])  # 4,000 UTF-16 units: two sections
    assert [slack_length(b["text"]["text"], escaped=True) for b in emoji] == [3000, 1000]
    words = render.text_blocks([("&lt;&amp;&gt; " * 400).strip()])
    assert all(b["text"]["text"].endswith("&gt;") for b in words)  # cut between words


# --- through the real app ------------------------------------------------------------------------


def test_app_home_with_text_that_escapes_long_still_renders(slack: Slack) -> None:
    """Issue 13.3: `"<&> " * 250` is 1,000 characters typed, 3,500 once escaped."""
    org(slack)
    for user in (LEO, PIA):
        slack.open_home(user)
    typed = render.escape("<&> " * 250)  # as Slack sends what was typed
    slack.command(PIA, f'dep request ledger "{typed}" --by fri', CHANNELS["payments"])
    slack.command(PIA, f'blocker add "{typed}"', CHANNELS["payments"])
    assert slack.export()["dependencies"][0]["what"] == ("<&> " * 250).strip()

    def home_of(user: str) -> dict[str, Any] | None:
        for c in reversed(slack.standin.of("views.publish")):
            view = c.params["view"]
            view = json.loads(view) if isinstance(view, str) else view
            if c.params["user_id"] == user and "B-1" in json.dumps(view) and "D-1" in json.dumps(view):
                return view  # type: ignore[no-any-return]
        return None

    slack.open_home(PIA)
    view = slack.standin.wait_for(lambda: home_of(PIA))
    assert view_errors(view) == [] and slack.standin.rejected == []
    shown = [b["text"]["text"] for b in view["blocks"] if b["type"] == "section"]
    assert any(s.startswith("D-1 payments → ledger: &lt;&amp;&gt;") and s.endswith("…") for s in shown)


def test_decline_form_of_a_long_request_in_cyrillic(slack: Slack) -> None:
    """Issue 13.4: private_metadata cut mid-escape made the submit fail; it now holds ids only."""
    org(slack)
    what = "Нужен доступ к платёжному шлюзу " * 18  # 576 characters, 3,456 as JSON escapes
    slack.command(PIA, f'dep request ledger "{what.strip()}" --by fri', CHANNELS["payments"])
    request = next(c for c in slack.standin.wait_for(lambda: slack.standin.of("chat.postMessage"))
                   if c.params["channel"] == CHANNELS["ledger"])  # fmt: skip
    blocks = request.params["blocks"]
    message = {"ts": "1700000000.000077", "text": request.params["text"],
               "blocks": json.loads(blocks) if isinstance(blocks, str) else blocks}  # fmt: skip
    _, name = slack.action(LEO, "dep_decline", "D-1", message=message)
    opened = slack.standin.wait_for(lambda: slack.standin.of("views.open"))
    view = opened[0].params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert json.loads(view["private_metadata"])["subject"] == "D-1"

    submission = fixture("view_submission")
    submission["user"]["id"] = LEO
    submission["view"]["private_metadata"] = view["private_metadata"]
    submission["view"]["state"]["values"]["reason"]["reason"]["value"] = "Нет мощностей в этом квартале"
    status, body = slack.interactive(submission)
    assert status == 200 and body in (b"", b"{}")
    assert slack.export()["dependencies"][0]["state"] == "declined"
    replaced = slack.standin.wait_response(name)
    assert replaced["replace_original"] is True and "Нужен доступ" in replaced["blocks"][0]["text"]["text"]
    assert "D-1 declined" in json.dumps(replaced["blocks"], ensure_ascii=False)


def test_the_stand_in_refuses_what_slack_refuses(standin: SlackStandIn) -> None:
    """The checks every other test relies on: over a limit, Slack's error comes back."""
    client = WebClient(token=BOT_TOKEN, base_url=standin.api_url)
    with pytest.raises(SlackApiError) as too_long:
        client.chat_postMessage(channel="C0PAY", text="x", blocks=[render.section("&amp;" * 601)])  # 3,005
    assert too_long.value.response["error"] == "invalid_blocks"
    assert too_long.value.response["errors"] == ["must be less than 3001 characters [json-pointer:/blocks/0/text/text]"]
    with pytest.raises(SlackApiError) as too_many:
        client.views_publish(user_id="U0PIA", view={"type": "home", "blocks": [render.section("x")] * 101})
    assert too_many.value.response["error"] == "invalid_arguments"
    with pytest.raises(SlackApiError) as emoji:
        client.views_open(trigger_id="t", view={"type": "modal", "title": {"type": "plain_text", "text": "😀" * 13},
                                                "blocks": []})  # fmt: skip
    assert "/view/title/text" in emoji.value.response["errors"][0]  # 26 UTF-16 units: over 24
    with pytest.raises(SlackApiError) as unknown:
        WebClient(token="xoxb-never-issued", base_url=standin.api_url).auth_test()
    assert unknown.value.response["error"] == "invalid_auth"
    client.chat_postMessage(channel="C0PAY", text="x", blocks=[render.section("&amp;" * 600)])  # 3,000: fine
    assert len(standin.rejected) == 3
    standin.rejected.clear()  # refused on purpose: the fixture checks that nothing else was
