"""Delivery under the faults Slack really has: a 429 storm, dropped connections, several senders,
a side effect that fails. SPEC: Scale ("No process holds a database transaction or lock while it
talks to a chat platform", "a send whose outcome is unknown is checked before it is sent again")."""

from __future__ import annotations

import multiprocessing
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from core.ports import PENDING, SENT, OutboxMessage
from core.reply import Mention, line
from tests.adapters.slack.conftest import CHANNELS, PEOPLE, TEAM, Slack
from tests.adapters.slack.senders import DEADLINE, send_until_done
from tests.adapters.slack.standin import BOT_TOKEN, SlackStandIn

ADA, BOB, LEO, PIA = PEOPLE["ada"], PEOPLE["bob"], PEOPLE["leo"], PEOPLE["pia"]


def org(slack: Slack) -> None:
    slack.command(ADA, 'team create payments "Payments"', CHANNELS["payments"])
    slack.command(ADA, 'team create ledger "Ledger"', CHANNELS["ledger"])
    slack.command(ADA, f"team add payments <@{PIA}|pia>")
    slack.command(ADA, f"team add ledger <@{LEO}|leo> --lead")


def outbox(slack: Slack) -> list[OutboxMessage]:
    with slack.flotilla.uow_factory(TEAM) as uow:
        return list(uow.outbox.list())


def delivered_keys(standin: SlackStandIn) -> Counter[str]:
    return Counter(m["metadata"]["event_payload"]["key"] for m in standin.messages if m.get("metadata"))


def test_a_429_storm_delays_the_notices_and_no_command(slack: Slack) -> None:
    """chat.postMessage answers 429 (Retry-After 2) while 20 commands arrive: every command is acked
    at once and answered, its notices wait in the outbox without a failed attempt counted, and once
    the storm is over every notice is delivered exactly once."""
    org(slack)
    slack.service.settle()
    slack.standin.storms["chat.postMessage"] = 2
    names = []
    for i in range(20):
        fields, name = slack.command_fields(PIA, f'dep request ledger "Keys {i}" --by fri', CHANNELS["payments"])
        started = time.monotonic()
        status, _ = slack.form(fields)
        assert status == 200 and time.monotonic() - started < 3.0  # Slack's deadline for an ack
        names.append(name)
    for i, name in enumerate(names):
        answer = slack.standin.wait_response(name)
        assert "requested" in str(answer) and f"Keys {i} by" in str(answer)  # the person's own answer came

    def waiting_out_the_storm() -> list[OutboxMessage]:
        """Every notice queued, none sent, none counted as a failed attempt, and Slack said 429."""
        rows = [m for m in outbox(slack) if m.key.startswith("D-")]
        quiet = len(rows) == 40 and all(m.state == PENDING and m.attempts == 0 for m in rows)
        return rows if quiet and slack.standin.limited.get("chat.postMessage") else []

    waiting = slack.standin.wait_for(waiting_out_the_storm)
    assert not delivered_keys(slack.standin)

    del slack.standin.storms["chat.postMessage"]  # the storm is over
    slack.clock.advance(timedelta(seconds=3))  # past the Retry-After
    slack.service.settle()
    keys = {m.key for m in waiting}
    assert delivered_keys(slack.standin) == Counter(dict.fromkeys(keys, 1))  # every notice, once
    assert {m.state for m in outbox(slack) if m.key in keys} == {SENT}


def test_a_failed_app_home_refresh_is_not_a_failed_command(slack: Slack) -> None:
    """views.publish refused (Slack: invalid_blocks): the command was stored and answered; the person
    is not told to try again (which would store it twice)."""
    org(slack)
    slack.open_home(PIA)
    slack.open_home(LEO)
    slack.standin.storms.clear()
    original = slack.standin._answer

    def refuse_homes(method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "views.publish":
            return {"ok": False, "error": "invalid_blocks"}
        return original(method, params)

    slack.standin._answer = refuse_homes  # type: ignore[method-assign]
    fields, name = slack.command_fields(PIA, 'dep request ledger "Keys" --by fri', CHANNELS["payments"])
    assert slack.form(fields)[0] == 200
    slack.service.settle()
    answers = slack.standin.responses[name]
    assert len(answers) == 1 and "D-1 requested" in str(answers[0])
    assert "try again" not in str(answers)
    assert len(slack.export()["dependencies"]) == 1
    assert slack.standin.of("views.publish")  # it was tried, and failed quietly


def test_a_mention_reply_waits_out_a_429_window_instead_of_being_lost(slack: Slack) -> None:
    """The reply to an @mention goes through the outbox: a 429 window longer than any retry loop
    only delays it."""
    org(slack)
    slack.service.settle()
    slack.standin.storms["chat.postMessage"] = 5
    said = f'<@{slack.standin.bot_user_id}> blocker add "Waiting on legal"'
    event = {"type": "app_mention", "user": PIA, "channel": CHANNELS["payments"], "ts": "1764000000.000100",
             "text": said, "event_ts": "1764000000.000100"}  # fmt: skip
    assert slack.event(event, "Ev0STORM1") == 200
    slack.standin.wait_for(lambda: any(m.key.startswith("mention:") and m.error for m in outbox(slack)))
    for _ in range(3):  # well past any client's own retries: still waiting, not lost
        slack.clock.advance(timedelta(seconds=5))
        slack.service.pump.run_once()  # type: ignore[union-attr]
    assert [m.state for m in outbox(slack) if m.key.startswith("mention:")] == [PENDING]
    del slack.standin.storms["chat.postMessage"]
    slack.clock.advance(timedelta(seconds=5))
    slack.service.settle()
    replies = [m for m in slack.standin.messages if m.get("thread_ts") == event["ts"]]
    assert len(replies) == 1 and "B-1 raised" in replies[0]["text"]


def notices(count: int) -> list[OutboxMessage]:
    at = datetime.now(UTC)
    out = []
    for i in range(count):
        to = {"channel": f"C0CHAN{i % 11:02d}"} if i % 3 else {"person": f"U0PERSON{i % 7}"}
        out.append(OutboxMessage(key=f"notice:{i:03d}", lines=(line(f"notice {i} for ", Mention("U0PIA")),),
                                 created_at=at, next_attempt_at=at, **to))  # fmt: skip
    return out


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_dropped_connections_lose_nothing_and_send_nothing_twice(database_url: str, tmp_path: Path) -> None:
    """132 messages, three sending processes on PostgreSQL, and a Slack that takes every 12th post
    and then drops the connection: the sender cannot know it arrived, reads the conversation back
    before trying again, and finds it. Every message arrives once."""
    from storage.engine import make_engine
    from storage.uow import SqlUnitOfWorkFactory

    standin = SlackStandIn(team_id=TEAM).start()
    standin.drop = lambda method, nth: method == "chat.postMessage" and nth % 12 == 0
    engine = make_engine(database_url)
    try:
        factory = SqlUnitOfWorkFactory(engine)
        with factory(TEAM) as uow:
            assert uow.outbox.add_all(notices(132)) == 132
            uow.commit()
        ctx = multiprocessing.get_context("spawn")
        procs = [ctx.Process(target=send_until_done, args=(database_url, TEAM, standin.api_url)) for _ in range(3)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(timeout=DEADLINE + 30)
            assert p.exitcode == 0
        with factory(TEAM) as uow:
            rows = list(uow.outbox.list())
        keys = {m.key for m in rows}
        assert standin.dropped >= 10  # the fault really happened: ~8% of posts
        assert delivered_keys(standin) == Counter(dict.fromkeys(keys, 1))  # 0 lost, 0 doubled
        assert {m.state for m in rows} == {SENT}
        looked = len(standin.of("conversations.history")) + len(standin.of("conversations.replies"))
        assert looked >= standin.dropped  # each dropped one was looked for before anything was resent
    finally:
        standin.stop()
        engine.dispose()


def test_an_app_that_cannot_read_back_sends_again_rather_than_lose(tmp_path: Path) -> None:
    """Without the history scopes the check cannot be made: the message is sent again (at least
    once) and the log says why; it is never dropped or left pending."""
    from bot.slack.delivery import PostedMessages, SlackDelivery, plain_client
    from core.outbox import drain
    from storage.engine import make_engine
    from storage.uow import SqlUnitOfWorkFactory

    standin = SlackStandIn(team_id=TEAM, readable=False).start()
    standin.drop = lambda method, nth: method == "chat.postMessage" and nth == 1
    engine = make_engine(f"sqlite:///{tmp_path / 'd.db'}")
    try:
        factory = SqlUnitOfWorkFactory(engine)
        [message] = notices(1)
        with factory(TEAM) as uow:
            uow.outbox.add(message)
            uow.commit()
        delivery = SlackDelivery(TEAM, plain_client(BOT_TOKEN, standin.api_url), PostedMessages())
        first = drain(factory, TEAM, delivery, message.created_at)
        assert [m.uncertain for m in first.retrying] == [True]
        second = drain(factory, TEAM, delivery, message.created_at + timedelta(seconds=5))
        assert len(second.sent) == 1
        assert delivered_keys(standin)[message.key] == 2  # at least once: never lost
    finally:
        standin.stop()
        engine.dispose()


def test_a_read_back_at_its_rate_limit_holds_back_only_its_own_message(tmp_path: Path) -> None:
    """conversations.history allows about 50 calls a minute: reading back one message whose send
    may have arrived must not make the messages behind it wait for that method's next token."""
    from bot.slack.delivery import PostedMessages, SlackDelivery, plain_client
    from bot.slack.ratelimit import Rate, RateLimiter
    from core.outbox import drain
    from storage.engine import make_engine
    from storage.uow import SqlUnitOfWorkFactory

    standin = SlackStandIn(team_id=TEAM).start()
    engine = make_engine(f"sqlite:///{tmp_path / 'd.db'}")
    try:
        factory = SqlUnitOfWorkFactory(engine)
        doubtful, *others = notices(6)
        doubtful.uncertain = True  # its last send's connection dropped
        with factory(TEAM) as uow:
            assert uow.outbox.add_all([doubtful, *others]) == 6
            uow.commit()
        limiter = RateLimiter(limits={"conversations.history": Rate(1 / 60, 1.0), "chat.postMessage": Rate(100, 100),
                                      "conversations.open": Rate(1 / 60, 1.0)}, per_channel={})  # fmt: skip
        for method in ("conversations.history", "conversations.open"):
            assert limiter.reserve(TEAM, method) == 0.0  # someone else spent this minute's call
        delivery = SlackDelivery(TEAM, plain_client(BOT_TOKEN, standin.api_url), PostedMessages(), limiter=limiter)
        done = drain(factory, TEAM, delivery, doubtful.created_at)
        assert sorted(m.key for m in done.sent) == sorted(m.key for m in others)
        assert [m.key for m in done.rate_limited] == [doubtful.key] and not done.resume_in
        assert delivered_keys(standin) == Counter({m.key: 1 for m in others})
    finally:
        standin.stop()
        engine.dispose()
