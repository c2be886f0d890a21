"""`history` in plain words, once per change (core.changes)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core import commands as c
from core.changes import changes, describe
from core.model import Event, Status
from tests.unit.conftest import NOW, Org, render_line, when

AT = datetime(2026, 11, 24, 8, 30, tzinfo=UTC)


def said(events: list[Event]) -> list[str]:
    return [render_line(tuple(describe(ch))) for ch in changes(events)]


def ev(what: str, subject: str, actor: str = "bob", **data: object) -> Event:
    return Event(at=AT, actor=actor, kind=what, subject=subject, data=dict(data))


def test_two_rungs_of_the_ladder_in_one_tick_are_one_change() -> None:
    """The issue saw "@flotilla escalation.sent B-2" twice for one escalation."""
    found = said([
        ev("escalation.sent", "B-2", "flotilla", key="escalate:B-2:1", level=1, team="libs", to=["eric"], days=17),
        ev("escalation.sent", "B-2", "flotilla", key="escalate:B-2:2", level=2, team="lang", to=["ana"], days=17),
        ev("escalation.sent", "D-3", "flotilla", key="escalate:D-3:2", level=2, team=None, to=["ada"], days=11),
    ])  # fmt: skip
    assert found == [
        " escalated B-2 (stuck for 17 days) to the leads of libs and then the leads of lang",
        " escalated D-3 (stuck for 11 days) to the admins",
    ]


def test_a_standup_answer_that_raised_a_blocker_is_one_change_in_plain_words() -> None:
    found = said([
        ev("blocker.raised", "B-5", "john", text="Waiting on crates-io", team="cargo", on=None, via="standup"),
        ev("checkin.answered", "cargo", "john", kind="standup", period="2026-11-24", edit=False, late=False),
        ev("checkin.answered", "cargo", "jared", kind="standup", period="2026-11-24", edit=False, late=True),
    ])  # fmt: skip
    assert found == [
        " answered cargo's stand-up of 2026-11-24, raising B-5 “Waiting on crates-io”",
        " answered late to cargo's stand-up of 2026-11-24",
    ]


def test_away_and_rhythm_read_as_sentences() -> None:
    found = said([
        ev("person.away", "dan", "dan", start="2026-11-25", end="2026-11-27"),
        ev("rhythm.set", "cargo", "dan", schedule="standup", tz="Europe/Berlin", days=["mon", "tue"], at="09:30"),
        ev("rhythm.set", "ops", "dan", schedule="weekly", tz="UTC", day="fri", at="14:00"),
        ev("rhythm.paused", "cargo", "dan"),
        ev("something.new_kind", "X-1", "dan", note="from a newer release"),
    ])  # fmt: skip
    assert found == [
        " is away from 2026-11-25 to 2026-11-27",
        " set cargo's stand-up: mon,tue at 09:30 Europe/Berlin",
        " set ops' weekly check-in: every fri at 14:00 UTC",
        " paused cargo's stand-ups and check-ins",
        " new kind X-1: “from a newer release”",
    ]
    assert not any("set time away for" in s or "." in s.split()[0] for s in found)


def test_history_through_the_commands_says_each_change_once(acme: Org) -> None:
    acme.run("alice", c.TeamAdd("payments", ("zoe", "yan")))
    acme.run("pete", c.PriorityAdd("Ship refunds", owner="mia", due=when("2026-12-31")))
    acme.run("mia", c.PriorityUpdate(1, status=Status.AT_RISK, confidence=60, note="Bank late"))
    acme.run("mia", c.DepRequest("infra", "Keys", by=when("fri"), for_priority=1))
    acme.run("ian", c.DepAccept(1, commit=when("2026-12-01")))
    acme.run("mia", c.DepBlock(1, "Security review"))
    acme.run("mia", c.BlockerAdd("Vault down", on="D-1"))
    acme.run("mia", c.BlockerResolve(1), now=NOW + timedelta(days=3))
    acme.run("pete", c.PriorityDone(1), now=NOW + timedelta(days=4))
    lines = acme.say("bob", c.History(team="payments")).splitlines()
    assert lines[0] == "11 changes in payments:"
    assert lines[-10:] == [
        "Mon 2026-11-23 09:00 @alice added @pete to payments as lead",
        "Mon 2026-11-23 09:00 @alice added @mia, @zoe and @yan to payments",  # one instant, one person: one line
        "Mon 2026-11-23 09:00 @pete added P-1 “Ship refunds” for payments",
        "Mon 2026-11-23 09:00 @mia updated P-1: status on-track → at-risk, confidence none → 60 — “Bank late”",
        "Mon 2026-11-23 09:00 @mia asked infra for “Keys” by 2026-11-27 (D-1, from payments, for P-1)",
        "Mon 2026-11-23 09:00 @ian accepted D-1, committed to 2026-12-01, owner @ian",
        "Mon 2026-11-23 09:00 @mia marked D-1 blocked: “Security review”",
        "Mon 2026-11-23 09:00 @mia raised B-1 on D-1: “Vault down”",
        "Thu 2026-11-26 09:00 @mia resolved B-1 after 3 days",
        "Fri 2026-11-27 09:00 @pete marked P-1 done",
    ]
    assert len(acme.data("bob", c.History(team="payments"))) == 13  # --json keeps every event of the audit trail


def test_a_weekly_check_in_answer_is_the_priority_update_it_made() -> None:
    found = said([
        ev("priority.updated", "P-5", "dan", before={"confidence": 40}, after={"confidence": 35}, note="In review"),
        ev("checkin.answered", "compiler", "dan", kind="weekly", period="2026-W48", priority="P-5"),
        ev("priority.confirmed", "P-6", "dan", status="on-track", confidence=80, progress=20),
        ev("checkin.answered", "compiler", "dan", kind="weekly", period="2026-W48", priority="P-6"),
    ])  # fmt: skip
    assert found == [
        " updated P-5 in compiler's weekly check-in: confidence 40 → 35 — “In review”",
        " confirmed P-6 unchanged in compiler's weekly check-in (on-track, confidence 80, 20% done)",
    ]


def test_the_dependency_contract_reads_as_sentences() -> None:
    found = said([
        ev("dependency.proposed", "D-4", "lena", proposed="2026-12-09", reason="After the audit"),
        ev("dependency.rejected", "D-4", "bob", proposed="2026-12-09", reason="Launch is fixed"),
        ev("dependency.agreed", "D-5", "bob", committed="2026-12-11"),
        ev("dependency.replanned", "D-5", "lena", reason="Vendor slipped",
           **{"from": "2026-12-11", "to": "2026-12-18"}),
        ev("dependency.owner", "D-5", "lena", side="provider", team="ledger", before=None, after="leo"),
        ev("dependency.overdue", "D-6", "flotilla", due="2026-12-01"),
    ])  # fmt: skip
    assert found == [
        " proposed 2026-12-09 for D-4: “After the audit”",
        " rejected 2026-12-09 for D-4: “Launch is fixed”",
        " agreed to 2026-12-11 for D-5: accepted",
        " re-planned D-5: committed 2026-12-11 → 2026-12-18: “Vendor slipped”",
        " named @leo owner of D-5 for ledger",
        " saw D-6 become overdue (due 2026-12-01)",
    ]
