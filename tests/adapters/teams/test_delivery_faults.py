"""A slow or rate-limited Bot Connector never holds anyone's turn: notices wait in the outbox.

SPEC: Scale ("a rate-limited or slow platform never delays anyone's command, ack or card click";
"no reply says nothing changed when something did"). The connector stand-in refuses what the test
says; time is a fake clock, so "never waited" is checked as "nobody slept", not by a stopwatch."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from core.ports import PENDING, SENT
from tests.adapters.teams.conftest import TENANT, Stack, fixture
from tests.adapters.teams.test_http import LEDGER, LEO_ACCOUNT, run, say


async def teams_without_the_request(s: Stack) -> None:
    s.connector.members["29:1leo-teams-user-id"] = LEO_ACCOUNT
    for activity in (
        say('team create payments "Payments"'),
        say('team create ledger "Ledger"', channel=LEDGER),
        say("team add ledger <at>Leo Lead</at> --lead", entities=[
            *fixture("channel_message_mention")["entities"],
            {"type": "mention", "text": "<at>Leo Lead</at>",
             "mentioned": {"id": "29:1leo-teams-user-id", "name": "Leo Lead"}}]),
        say("team add payments <at>Ada Lovelace</at>", entities=[
            *fixture("channel_message_mention")["entities"],
            {"type": "mention", "text": "<at>Ada Lovelace</at>",
             "mentioned": {"id": "29:1ada-teams-user-id", "name": "Ada Lovelace"}}]),
    ):  # fmt: skip
        assert (await s.post(activity))[0] == 201


def outbox(s: Stack) -> dict[str, tuple[str, int]]:
    with s.app.uow_factory(TENANT) as uow:
        return {m.key: (m.state, m.attempts) for m in uow.outbox.list()}


def test_a_429_on_a_notice_holds_neither_the_turn_nor_the_click(tmp_path: Path) -> None:
    async def scenario(s: Stack) -> None:
        await teams_without_the_request(s)
        s.connector.refuse(LEDGER, 429, "20")  # ledger's channel: "slow down, for 20 s"
        before = len(s.connector.sent)
        status, _ = await s.post(say('dep request ledger "Ledger API keys" --by fri'))
        assert status == 201
        answered = [m for m in s.connector.sent[before:] if "D-1 requested" in (m.body.get("text") or "")]
        assert len(answered) == 1  # the person's answer came in their turn
        assert not [t for t in s.time.sleeps if t >= 20]  # nobody slept out the Retry-After
        ask = "D-1:requested:#" + LEDGER
        waiting = {k: v for k, v in outbox(s).items() if k.startswith("D-1:requested") and LEDGER in k}
        assert waiting == {ask: (PENDING, 0)}  # put back for 20 s; a 429 is not a failed attempt

        status, body = await s.post(fixture("adaptive_card_action_invoke"))  # Leo accepts from his chat
        assert status == 200 and "D-1 accepted" in body["value"]["body"][0]["text"]
        assert not [t for t in s.time.sleeps if t >= 20]
        assert outbox(s)[ask] == (PENDING, 0)

        del s.connector.refusing[LEDGER]
        s.clock.advance(timedelta(seconds=20))
        await s.settle()
        cards = [m for m in s.connector.sent if m.conversation.startswith(LEDGER) and m.body.get("attachments")]
        assert len(cards) == 1 and outbox(s)[ask] == (SENT, 1)  # arrived after, once

    run(tmp_path, scenario)


def test_an_answer_teams_will_not_take_does_not_claim_nothing_changed(tmp_path: Path) -> None:
    """The in-turn reply is refused (413: too large): the command is stored, and the bot says so
    instead of "nothing was changed"."""

    async def scenario(s: Stack) -> None:
        await teams_without_the_request(s)
        s.connector.fail_next(413)
        await s.post(say('blocker add "Waiting on legal"'))
        with s.app.uow_factory(TENANT) as uow:
            assert [b.text for b in uow.blockers.list()] == ["Waiting on legal"]
        said = s.connector.texts()[-1]
        assert "carried out" in said and "nothing was changed" not in said
        assert said.startswith("Done: B-1")

    run(tmp_path, scenario)
