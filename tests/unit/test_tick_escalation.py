"""The scheduler's tick climbs the escalation ladder: once per rung, through the outbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core import commands as c
from core.context import Context, PersonInfo
from core.dates import parse_date_spec
from core.fakes import FakeStore
from core.ports import PENDING, SENT
from core.scheduling import tick
from core.service import execute

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday


def say(store: FakeStore, who: str, cmd: c.Command, at: datetime) -> None:
    mentioned = tuple(PersonInfo(h, h) for h in getattr(cmd, "people", ()))
    execute(store, "acme", Context(actor=PersonInfo(who, who), now=at, people=mentioned), cmd)


def outbox_keys(store: FakeStore) -> list[str]:
    with store("acme") as uow:
        return sorted(m.key for m in uow.outbox.list(PENDING))


def test_a_blocked_dependency_is_escalated_once_per_rung() -> None:
    store = FakeStore()
    say(store, "ada", c.TeamCreate("prog", "Programme"), T0)
    say(store, "ada", c.TeamCreate("web", "Web", parent="prog"), T0)
    say(store, "ada", c.TeamCreate("api", "API", parent="prog"), T0)
    say(store, "ada", c.TeamAdd("prog", ("pat",), lead=True), T0)
    say(store, "ada", c.TeamAdd("api", ("lee",), lead=True), T0)
    say(store, "ada", c.TeamAdd("web", ("wes",)), T0)
    say(store, "wes", c.DepRequest("api", "tokens", parse_date_spec("+6w")), T0)
    say(store, "lee", c.DepAccept(1), T0)
    say(store, "wes", c.DepBlock(1, "waiting on security"), T0)
    with store("acme") as uow:  # what the request itself caused is not what this test is about
        for m in uow.outbox.claim(T0 + timedelta(days=365), 1000, "test", timedelta(minutes=5)):
            m.state = SENT
            assert uow.outbox.record(m, "test")
        uow.commit()

    def escalations_after(days: int) -> list[str]:
        at = T0 + timedelta(days=days)
        tick(store, "acme", at - timedelta(hours=1), at)
        return [k for k in outbox_keys(store) if k.startswith("escalate:")]

    assert escalations_after(2) == []  # under the threshold (5 days by default)
    first = escalations_after(6)
    assert first == ["escalate:D-1:1:@lee"]  # the providing team's lead
    assert escalations_after(7) == first  # not again
    second = escalations_after(11)
    assert second == ["escalate:D-1:1:@lee", "escalate:D-1:2:@pat"]  # then the parent team's lead
    assert escalations_after(30) == second
    with store("acme") as uow:
        assert [e.data["key"] for e in uow.events.list() if e.kind == "escalation.sent"] == [
            "escalate:D-1:1", "escalate:D-1:2",
        ]  # fmt: skip
