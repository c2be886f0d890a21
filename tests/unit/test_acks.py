"""`risks ack|unack|acks` (SPEC: Risks, `risks ack`): who may, what it quiets, when it comes back."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core import commands as c
from core.acks import RISE, Ack, judge, reviews
from core.dates import DateSpec
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.escalation import escalations
from core.fakes import FakeStore
from core.risks import Risk, RiskKind, Thresholds
from core.snapshot import take_snapshot
from core.transfer import export_workspace, import_workspace
from tests.unit.conftest import NOW, Org, when
from tests.unit.riskorg import ago, healthy

K = RiskKind


def blocked(o: Org, by: str = "2027-01-20") -> None:
    """payments' P-2 (under org P-1) needs D-1 from infra; infra accepts, payments blocks it; time passes."""
    o.run("alice", c.PriorityAdd("Grow", org=True, owner="alice", due=DateSpec("2027-06-30")))
    o.run("pete", c.PriorityAdd("Checkout", team="payments", owner="pete", parent=1, due=DateSpec("2027-03-01")))
    o.run("mia", c.DepRequest("infra", "Keys", DateSpec(by), for_priority=2, team="payments"))
    o.run("ian", c.DepAccept(1, owner="ivy"))
    o.run("mia", c.DepBlock(1, "Security review"))


LATER = NOW + timedelta(days=6)  # D-1 has been blocked 6 days: a blocked_dependency risk, owned by ivy


def ack(subject: str = "D-1", until: str = "2026-12-15", note: str = "Review booked", kind: str | None = None):  # type: ignore[no-untyped-def]
    return c.RisksAck(subject=subject, until=when(until), note=note, kind=kind)


def test_the_owner_a_lead_concerned_or_an_admin_may_acknowledge(acme: Org) -> None:
    blocked(acme)
    for who in ("ivy", "ian", "paula", "pete", "alice"):  # owner; infra's lead; product's lead (payments' parent);
        acme.run(who, ack(), now=LATER)  # payments' lead (the requesting side); an admin
    assert acme.state.acks[("D-1", "")].by == "alice"
    for who in ("max", "mia", "cleo"):  # checkout has nothing to do with D-1; mia asked for it but leads nothing
        msg = acme.refused(who, ack(), PermissionDenied, now=LATER)
        assert msg == "Only the owner of the risk on D-1, a lead of the team concerned or an admin can acknowledge it."


def test_refusals_name_what_is_wrong_and_store_nothing(acme: Org) -> None:
    blocked(acme)
    assert acme.refused("alice", ack("D-9"), NotFound, now=LATER) == "There is no dependency D-9 in this workspace."
    assert "checkout has no risk right now" in acme.refused("alice", ack("checkout"), Conflict, now=NOW)
    msg = acme.refused("alice", ack(kind="stale_priority"), Conflict, now=LATER)
    assert msg == "D-1 has no stale_priority risk now; its risks: blocked_dependency."
    assert "There is no kind of risk 'stale'" in acme.refused("alice", ack(kind="stale"), InvalidInput, now=LATER)
    assert "in the past" in acme.refused("alice", ack(until="2026-11-20"), InvalidInput, now=LATER)
    assert "at most 92 days" in acme.refused("alice", ack(until="2027-06-01"), InvalidInput, now=LATER)
    assert "can't be empty" in acme.refused("alice", ack(note="  "), InvalidInput, now=LATER)
    assert acme.refused("alice", c.RisksUnack("D-1"), NotFound, now=LATER).startswith("Nothing on D-1 is acknowledged")


def test_an_acknowledged_risk_leaves_the_top_list_and_json_but_stays_in_all(acme: Org) -> None:
    blocked(acme)
    before = acme.data("alice", c.Risks(), now=LATER)
    assert "D-1" in [r["subject"] for r in before]
    said = acme.say("ivy", ack(), now=LATER)
    assert said.startswith("Acknowledged: the risks on D-1 (blocked dependency 60), by @ivy until 2026-12-15: “Review")
    top = acme.data("alice", c.Risks(), now=LATER)
    assert [r["subject"] for r in top] == [r["subject"] for r in before if r["subject"] != "D-1"]
    text = acme.say("alice", c.Risks(), now=LATER)
    assert "has been blocked" not in text
    assert (
        text.splitlines()[-1]
        == "1 acknowledged risk is left out: `risks --all` shows it, `risks acks` says until when."
    )
    everything = acme.data("alice", c.Risks(all=True), now=LATER)
    [d1] = [r for r in everything if r["subject"] == "D-1"]
    assert d1["acknowledged"] == {"by": "ivy", "until": "2026-12-15", "note": "Review booked"}
    assert all(r["acknowledged"] is None for r in everything if r["subject"] != "D-1")
    assert "✓ acknowledged by @ivy until 2026-12-15: “Review booked”" in acme.say("alice", c.Risks(all=True), now=LATER)


def test_it_comes_back_when_its_date_passes(acme: Org) -> None:
    blocked(acme)
    acme.run("ivy", ack(until="2026-12-01"), now=LATER)
    assert "D-1" not in {r["subject"] for r in acme.data("alice", c.Risks(), now=NOW + timedelta(days=8))}  # the 1st
    back = NOW + timedelta(days=9)  # 2026-12-02: the date has passed
    found = acme.data("alice", c.Risks(), now=back)
    assert "D-1" in {r["subject"] for r in found}
    assert "! back: acknowledged by @ivy until 2026-12-01, but its date passed (2026-12-01)" in acme.say(
        "alice", c.Risks(all=True), now=back
    )


def test_it_comes_back_when_its_score_rises_by_fifteen(acme: Org) -> None:
    """A blocked dependency's score grows by 1.5 a day: eleven days after the acknowledgement it has risen 15."""
    blocked(acme)
    acme.run("ivy", ack(until="2027-01-31"), now=LATER)
    assert acme.state.acks[("D-1", "")].scores == {"blocked_dependency": 60}
    quiet_until = LATER + timedelta(days=10)
    assert "D-1" not in {r["subject"] for r in acme.data("alice", c.Risks(), now=quiet_until)}
    back = LATER + timedelta(days=11)
    [d1] = [r for r in acme.data("alice", c.Risks(), now=back) if r["subject"] == "D-1"]
    assert d1["score"] >= 60 + RISE and d1["acknowledged"] is None
    lines = acme.say("alice", c.RisksAcks(), now=back).splitlines()
    assert lines[1].endswith(f"— back in the top list: its score rose from 60 to {d1['score']}")


def test_a_new_kind_of_trouble_on_the_same_record_is_news(acme: Org) -> None:
    blocked(acme, by="2026-12-08")
    acme.run("ivy", ack(), now=LATER)  # D-1's only risk then: blocked_dependency
    soon = NOW + timedelta(days=8)  # Tue 2026-12-01: due within 5 working days, and still blocked
    kinds = {r["kind"] for r in acme.data("alice", c.Risks(), now=soon) if r["subject"] == "D-1"}
    assert "due_soon_unaccepted" in kinds and "blocked_dependency" not in kinds


def test_an_acknowledgement_of_one_kind_covers_only_that_kind() -> None:
    r1 = Risk(K.BLOCKED_DEPENDENCY, 60, "D-1", ("D-1",), "ivy", "x")
    r2 = Risk(K.DUE_SOON_UNACCEPTED, 50, "D-1", ("D-1",), "ivy", "y")
    a = Ack("D-1", K.DUE_SOON_UNACCEPTED, "ivy", NOW.date(), "n", NOW, {"due_soon_unaccepted": 50})
    assert [j.quiet for j in judge([r1, r2], [a], NOW.date())] == [False, True]


def test_unack_by_who_may_and_the_listing(acme: Org) -> None:
    blocked(acme)
    acme.run("ivy", ack(), now=LATER)
    assert acme.say("alice", c.RisksAcks(), now=LATER).splitlines() == [
        "1 acknowledgement:",
        "  D-1 (every risk it had) by @ivy until 2026-12-15: “Review booked” — holding (blocked dependency 60)",
    ]
    [row] = acme.data("alice", c.RisksAcks(), now=LATER)
    assert (row["subject"], row["kind"], row["by"], row["state"]) == ("D-1", None, "ivy", "holding")
    acme.refused("max", c.RisksUnack("D-1"), PermissionDenied, now=LATER)
    assert "no longer acknowledged" in acme.say("ian", c.RisksUnack("D-1"), now=LATER)
    assert "D-1" in {r["subject"] for r in acme.data("alice", c.Risks(), now=LATER)}
    assert [e.kind for e in acme.events()][-2:] == ["risk.acknowledged", "risk.unacknowledged"]


def test_an_acknowledgement_quiets_the_escalation_ladder_until_its_score_rises() -> None:
    o = healthy()
    o.blockers.clear()
    from core.model import DepState

    o.d(1, state=DepState.BLOCKED, blocked_from=DepState.ACCEPTED, updated_at=ago(6), blocked_reason="review")
    th = Thresholds(escalation_days=5)
    risks = o.risks(thresholds=th)
    [r] = [x for x in risks if x.kind is K.BLOCKED_DEPENDENCY]
    a = Ack("D-1", None, "leo", NOW.date() + timedelta(days=60), "on it", NOW, {r.kind.value: r.score})
    later = NOW + timedelta(days=5)  # 11 days blocked: level 2 is due
    quiet = frozenset((j.risk.subject, j.risk.kind) for j in judge(o.risks(now=later, thresholds=th), [a],
                                                                    later.date()) if j.quiet)  # fmt: skip
    notices, events = escalations(o.snapshot(), later, th, frozenset({"escalate:D-1:1"}), quiet)
    assert (notices, events) == ([], [])
    unquiet, events = escalations(o.snapshot(), later, th, frozenset({"escalate:D-1:1"}))
    assert [n.key for n in unquiet] == ["escalate:D-1:2:@ada"]


def test_reviews_list_what_ends_today_ended_this_week_or_rose() -> None:
    r = Risk(K.BLOCKED_DEPENDENCY, 80, "D-1", ("D-1",), "ivy", "x")
    today = NOW.date()

    def a(subject: str, until_days: int, score: int = 80) -> Ack:
        return Ack(subject, None, "ivy", today + timedelta(days=until_days), "n", NOW, {"blocked_dependency": score})

    risks = [r, *(Risk(K.BLOCKED_DEPENDENCY, 80, f"D-{n}", (f"D-{n}",), "ivy", "x") for n in (2, 3, 4, 5))]
    found = reviews(risks, [a("D-1", 0), a("D-2", -3), a("D-3", -9), a("D-4", 10), a("D-5", 10, score=60)], today)
    assert sorted((v.ack.subject, v.why) for v in found) == [
        ("D-1", "it ends today"), ("D-2", "it ended 2026-11-20"), ("D-5", "its score rose from 60 to 80"),
    ]  # fmt: skip
    assert found[0].commands(today)["end"].startswith("risks unack D-")


def test_export_and_import_carry_acknowledgements_and_briefings(acme: Org) -> None:
    blocked(acme)
    acme.run("ivy", ack(kind="blocked_dependency"), now=LATER)
    acme.run("alice", c.RhythmSetBriefing(day=0, at=NOW.time().replace(hour=8, minute=30), team="product"))
    with acme.store("acme") as uow:
        data = export_workspace(uow)
    assert data["acknowledgements"] == [{
        "subject": "D-1", "kind": "blocked_dependency", "by": "ivy", "until": "2026-12-15", "note": "Review booked",
        "at": LATER.isoformat(), "scores": {"blocked_dependency": 60},
    }]  # fmt: skip
    assert data["briefings"] == [{"scope": "product", "day": "mon", "at": "08:30", "tz": None}]
    other = FakeStore()
    with other("copy") as uow:
        import_workspace(uow, data)
        uow.commit()
    with other("copy") as uow:
        assert export_workspace(uow)["acknowledgements"] == data["acknowledgements"]
        assert export_workspace(uow)["briefings"] == data["briefings"]


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda a: a | {"subject": "D-99"}, "its subject is not an id or team in the file"),
        (lambda a: a | {"by": "nobody"}, "unknown person 'nobody'"),
        (lambda a: a | {"kind": "made_up"}, "'made_up' is not a valid RiskKind"),
        (lambda a: a | {"scores": {"blocked_dependency": 101}}, "a score must be a whole number 0-100"),
        (lambda a: a | {"until": "2028-01-01"}, "it lasts longer than 92 days"),
        (lambda a: a | {"note": "bad \u202e text"}, "invisible control character"),
    ],
)
def test_import_refuses_an_acknowledgement_no_command_could_have_made(acme: Org, change, why) -> None:  # type: ignore[no-untyped-def]
    blocked(acme)
    acme.run("ivy", ack(kind="blocked_dependency"), now=LATER)
    with acme.store("acme") as uow:
        data = export_workspace(uow)
    data["acknowledgements"] = [change(data["acknowledgements"][0])]
    other = FakeStore()
    with other("copy") as uow, pytest.raises(InvalidInput, match=why):
        import_workspace(uow, data)
    with other("copy") as uow:
        assert not uow.acks.list() and not uow.people.list()


def test_take_snapshot_is_untouched_by_acknowledgements(acme: Org) -> None:
    """Acknowledging changes what is shown, never what is true: the engine finds the same risks."""
    blocked(acme)
    with acme.store("acme") as uow:
        before = take_snapshot(uow).dependencies
    acme.run("ivy", ack(), now=LATER)
    with acme.store("acme") as uow:
        assert take_snapshot(uow).dependencies == before


def test_the_summary_leaves_an_acknowledged_risk_out_and_says_so(acme: Org) -> None:
    blocked(acme)
    before = acme.say("alice", c.Summary(org=True), now=LATER)
    assert "D-1 (payments → infra) has been blocked for 6 days" in before
    acme.run("ivy", ack(kind="blocked_dependency"), now=LATER)
    after = acme.say("alice", c.Summary(org=True), now=LATER)
    assert "has been blocked for 6 days" not in after
    assert after.splitlines()[-1] == ("1 acknowledged risk is left out: `risks acks` says who owns it and until "
                                      "when.")  # fmt: skip
