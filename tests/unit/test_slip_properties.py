"""Property: over random sequences of dep commands and clock moves, every slip alert is sent exactly
once per person per change, none for a change undone before the tick, and every change that still
holds at a tick has reached every owner up the chain who is not away."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import commands as c
from core.errors import Refused
from core.fakes import FakeStore
from core.model import DepState
from core.rhythm import is_away
from core.scheduling import tick
from tests.unit.conftest import NOW, Org, when

OWNERS = ("alice", "pete")  # P-1 (org) and P-2 (payments, aligned to P-1), the chain D-1 serves

STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("tick"), st.integers(min_value=1, max_value=60)),
        st.tuples(st.sampled_from(["block", "unblock", "accept", "accept_late", "decline", "propose", "agree",
                                   "reject", "commit_later", "commit_earlier", "done", "away"]), st.just(0)),
    ),
    max_size=30,
)  # fmt: skip


def _command(name: str, o: Org, today: date) -> tuple[str, c.Command]:
    d = o.dep(1)
    base = d.committed or d.needed_by
    return {
        "block": ("ivy", c.DepBlock(1, "stuck")),
        "unblock": ("mia", c.DepUnblock(1)),
        "accept": ("ivy", c.DepAccept(1)),
        "accept_late": ("ivy", c.DepAccept(1, commit=when((max(base, today) + timedelta(days=9)).isoformat()))),
        "decline": ("ian", c.DepDecline(1, "no")),
        "propose": ("ivy", c.DepPropose(1, when((max(base, today) + timedelta(days=5)).isoformat()))),
        "agree": ("mia", c.DepAgree(1)),
        "reject": ("pete", c.DepReject(1, "no")),
        "commit_later": ("ivy", c.DepCommit(1, when((max(base, today) + timedelta(days=4)).isoformat()), "late")),
        "commit_earlier": ("ivy", c.DepCommit(1, when(max(base - timedelta(days=3), today).isoformat()), "soon")),
        "done": ("ivy", c.DepDone(1)),
        "away": ("pete", c.Away(when(today.isoformat()), when((today + timedelta(days=2)).isoformat()))),
    }[name]


def _holds(change: str, o: Org, today: date) -> bool:
    """The change an alert names, judged from the dependency as it is (written apart from core.slips)."""
    d = o.dep(1)
    kind, _, mark = change.partition(":")
    if kind == "overdue":
        return d.state in (DepState.REQUESTED, DepState.PROPOSED, DepState.ACCEPTED) and (
            (d.committed or d.needed_by).isoformat() == mark < today.isoformat()
        )
    if kind == "replanned":  # still later than it may be, and accepted
        return d.state is DepState.ACCEPTED and d.committed is not None and (
            d.committed > d.needed_by or d.committed > date(2026, 12, 10))  # fmt: skip
    if str(d.revision) != mark:
        return False
    if kind == "blocked":
        return d.state is DepState.BLOCKED
    return kind == "declined" and d.state is DepState.DECLINED


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS)
def test_every_slip_alert_once_per_person_and_change_and_none_for_undone_changes(steps: list[tuple[str, int]]) -> None:
    o = Org(FakeStore())
    for h, t in (("product", "Product"), ("payments", "Payments"), ("infra", "Infrastructure")):
        o.run("alice", c.TeamCreate(h, t, parent="product" if h == "payments" else None), channel=f"C-{h}")
    o.run("alice", c.TeamAdd("payments", ("pete",), lead=True))
    o.run("alice", c.TeamAdd("payments", ("mia",)))
    o.run("alice", c.TeamAdd("infra", ("ian",), lead=True))
    o.run("alice", c.TeamAdd("infra", ("ivy",)))
    o.run("alice", c.PriorityAdd("Grow revenue", org=True, owner="alice", due=when("2026-12-31")))
    o.run("pete", c.PriorityAdd("Ship refunds", team="payments", owner="pete", parent=1, due=when("2026-12-10")))
    o.run("mia", c.DepRequest("infra", "DB capacity", by=when("2026-11-27"), for_priority=2))
    now = NOW
    sent: list[tuple[str, str]] = []  # (change, person) of every slip alert in the outbox, in order
    for name, hours in steps:
        today = now.date()
        if name != "tick":
            actor, cmd = _command(name, o, today)
            try:
                o.run(actor, cmd, now=now)
            except Refused:
                pass
            continue
        later = now + timedelta(hours=hours)
        seen = {m.key for m in o.state.outbox}
        tick(o.store, o.workspace, now, later, now=later)
        now, today = later, later.date()
        fresh = [m for m in o.state.outbox if m.key not in seen and m.key.startswith("slip:")]
        for m in fresh:
            change = m.key.split(":", 2)[2].rsplit(":@", 1)[0]
            assert m.person in OWNERS
            assert _holds(change, o, today), f"{change} was undone before the tick, yet alerted"
            sent.append((change, str(m.person)))
        # every change that holds now has reached every owner who is not away
        aways = list(o.state.aways.get("pete", []))
        d = o.dep(1)
        due = d.committed or d.needed_by
        current = {DepState.BLOCKED: f"blocked:{d.revision}", DepState.DECLINED: f"declined:{d.revision}"}.get(d.state)
        if current is None and d.is_open and due < today:
            current = f"overdue:{due.isoformat()}"
        told = {(m.key.split(":")[1], m.person) for m in o.state.outbox if m.person and not m.key.startswith("slip:")}
        for person in OWNERS:  # by a slip alert, or by the command's own notice (one message per change)
            if current is not None and not is_away(aways, person, today):
                kind = current.split(":")[0]
                assert (current, person) in sent or (kind, person) in told, f"{current} never reached {person}"
    assert len(sent) == len(set(sent)), "a slip alert went out twice"
    assert all(m.key.count(":@") == 1 for m in o.state.outbox if m.key.startswith("slip:"))


def test_the_oracle_sees_an_undone_block(acme: Org) -> None:
    """The property's own check, on the case it is for: blocked then unblocked before the tick."""
    acme.run("alice", c.PriorityAdd("Grow revenue", org=True, owner="alice"))
    acme.run("mia", c.DepRequest("infra", "DB capacity", by=when("+2w"), for_priority=1))
    acme.run("ivy", c.DepBlock(1, "stuck"))
    acme.run("ivy", c.DepUnblock(1))
    at = datetime(2026, 11, 23, 12, 0, tzinfo=NOW.tzinfo)
    tick(acme.store, acme.workspace, NOW, at, now=at)
    assert not [m for m in acme.state.outbox if m.key.startswith("slip:")]
    assert [a.state for a in acme.state.slips.values()] == ["dropped"]
