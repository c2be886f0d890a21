"""Scheduled prompts in Teams carry their card, as in Slack: the stand-up prompt's **Open stand-up**
opens the form card in place, and sending the form records the answers (core.offers)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from bot.scheduler import RhythmScheduler
from core.rhythm import RunKind
from tests.adapters.teams.conftest import TENANT, Stack, fixture
from tests.adapters.teams.test_http import run, say

ADA = "00000000-0000-0000-0000-00000000a0a0"
PERSONAL = "a:1personal-chat-with-ada"


def invoke(verb: str, data: dict[str, object]) -> dict[str, object]:
    activity = fixture("adaptive_card_action_invoke")
    activity["from"] = fixture("personal_message")["from"]
    activity["conversation"] = fixture("personal_message")["conversation"]
    activity["value"]["action"].update(verb=verb, data=data)
    return activity


def test_a_standup_prompt_opens_its_form_card_and_the_form_records(tmp_path: Path) -> None:
    async def scenario(s: Stack) -> None:
        await s.post(fixture("personal_message", text="me"))  # Ada's personal chat: where prompts go
        for activity in (say('team create payments "Payments"'), say("team add payments <at>Ada Lovelace</at>",
                         entities=[*fixture("channel_message_mention")["entities"],
                                   {"type": "mention", "text": "<at>Ada Lovelace</at>",
                                    "mentioned": {"id": "29:1ada-teams-user-id", "name": "Ada Lovelace"}}]),
                         say("rhythm set standup --days mon-fri --at 09:30 --tz UTC")):  # fmt: skip
            assert (await s.post(activity))[0] == 201
        s.clock.advance(timedelta(minutes=31))
        assert s.teams.pump is not None
        scheduler = RhythmScheduler(s.app.uow_factory, s.app.engine, s.clock, s.teams.pump, only=[TENANT])
        await asyncio.to_thread(scheduler.run_once)
        await s.settle()

        prompts = [m for m in s.connector.sent if m.conversation == PERSONAL and m.body.get("attachments")]
        assert len(prompts) == 1
        card = prompts[0].body["attachments"][0]["content"]
        [opens] = card["actions"]
        assert (opens["verb"], opens["data"]["subject"]) == ("standup.open", "payments")

        status, body = await s.post(invoke(opens["verb"], opens["data"]))
        assert status == 200 and body["type"] == "application/vnd.microsoft.card.adaptive"
        form = body["value"]
        inputs = [b["id"] for b in form["body"] if b["type"].startswith("Input.")]
        assert inputs == ["a1", "a2", "a3"]
        [send] = form["actions"]
        answers = {"a1": "Shipped the vault", "a2": "Checkout API", "a3": "none"}
        status, body = await s.post(invoke(send["verb"], {**send["data"], **answers}))
        assert status == 200 and "stand-up for payments" in str(body["value"])
        with s.app.uow_factory(TENANT) as uow:
            said = uow.checkins.response("payments", RunKind.STANDUP, "2026-11-23", ADA)
        assert said is not None and said.answers == list(answers.values())

    run(tmp_path, scenario)
