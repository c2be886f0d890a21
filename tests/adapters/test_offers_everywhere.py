"""Every offer the core can make renders on every adapter, and comes back as the same command.

A new `core.offers.Act` without a Slack button, a Teams card action or a console line fails here;
so does a button whose click or card whose submit turns into another command than the core meant.
And no adapter decides what to show from a notice's key or a reply's text (the grep at the end)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.console import offers_line
from bot.slack import render as slack
from bot.slack.modals import ask_modal
from bot.slack.modals import values as modal_values
from bot.teams import cards
from bot.teams.actions import card_action
from bot.teams.render import Names
from core.offers import Act, Offer, command_for, offer_for
from core.reply import line

ROOT = Path(__file__).resolve().parents[2]
SUBJECTS = {Act.DEP_ACCEPT: "D-3", Act.DEP_DECLINE: "D-3", Act.DEP_DONE: "D-3", Act.BLOCKER_RESOLVE: "B-2",
            Act.STANDUP_OPEN: "payments", Act.CHECKIN_OPEN: "", Act.RISK_RENEW: "D-7 overdue_dependency",
            Act.RISK_END: "payments"}  # fmt: skip


def offer(act: Act) -> Offer:
    return offer_for(act, SUBJECTS.get(act, "D-3"), act.value.replace(".", " ").title())


def filled(o: Offer) -> dict[str, str | None]:
    return {f.id: "Because of the freeze" for f in o.asks}


@pytest.mark.parametrize("act", list(Act), ids=[a.value for a in Act])
def test_every_offer_renders_everywhere_and_comes_back_as_its_command(act: Act) -> None:
    o = offer(act)
    expected = command_for(act, o.subject, filled(o))

    # Slack: a button whose action id names the act and whose value is the subject ...
    [button] = slack.offer_buttons([o])
    assert slack.ACTS[button["action_id"]] is act and button.get("value", "") == o.subject
    if o.asks:  # ... and, when it asks something first, a modal whose inputs come back by field id
        modal = ask_modal(o)
        assert [b["block_id"] for b in modal["blocks"]] == [f.id for f in o.asks]
        state = {"values": {f.id: {"value": {"type": "plain_text_input", "value": "Because of the freeze"}}
                            for f in o.asks}}  # fmt: skip
        assert command_for(act, o.subject, modal_values({"state": state})) == expected

    # Teams: a card action (or a card that asks first) whose data comes back as the same command
    [action] = cards.offer_actions([o])
    sent = action if action["type"] == "Action.Execute" else action["card"]["actions"][0]
    assert card_action({**sent["data"], **filled(o)}, sent["verb"]).commands == (expected,)
    assert cards.card([cards.text_block("x")], [action])  # a card holds it

    # The console: the command a person types instead
    said = offers_line([o])
    assert o.typed in said and said.strip()


def test_a_notice_card_and_message_carry_every_offer() -> None:
    offers = [offer(a) for a in Act]
    _, blocks = slack.message([line("x")], offers)
    actions = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert len(actions) == len(Act)
    assert len(cards.message_card([line("x")], offers, Names())["actions"]) == len(Act)


ADAPTERS = ("bot/slack", "bot/teams", "bot/console.py")
GUESSES = re.compile(
    r"\.key\.(?:startswith|partition|split)|re\.(?:match|compile)\([^)]*(?:requested|prompt|reminder)|"
    r"typed\.strip\(\)\.lower\(\)|_RHYTHM_ASK|_DEP_ASK|buttons_for_(?:notice|record)"
)


def test_no_adapter_reads_keys_or_typed_text_to_decide_what_to_show() -> None:
    found = []
    for where in ADAPTERS:
        paths = [ROOT / where] if where.endswith(".py") else sorted((ROOT / where).rglob("*.py"))
        for path in paths:
            for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if GUESSES.search(text):
                    found.append(f"{path.relative_to(ROOT)}:{n}: {text.strip()}")
    assert found == []
