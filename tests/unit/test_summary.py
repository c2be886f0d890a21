"""The deterministic leader summary and the bounded extract for a language model (core, pure)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from core import commands as c
from core.fakes import FakeStore
from core.model import Blocker, Dependency, DepState, Person, Priority, Status, Team, Workspace
from core.narrative import Claim, Narrative, NarrativeUnavailable, check
from core.risks import Risk, RiskKind
from core.snapshot import Snapshot, take_snapshot
from core.summary import MAX_RECORDS, build_extract, known_ids, summarize
from tests.unit.conftest import NOW, Org, render, when

TODAY = NOW.date()
K = RiskKind


def snap(store: FakeStore, workspace: str = "acme") -> Snapshot:
    with store(workspace) as uow:
        return take_snapshot(uow)


@pytest.fixture
def world(acme: Org) -> Org:
    """acme with org priority P-1, payments' P-2 under it, checkout's P-3 aligned to nothing;
    D-1 payments → infra for P-2 (blocked, with a pinging reason), D-2 checkout → infra (overdue
    later), B-1 on D-1, B-2 within payments."""
    acme.run("alice", c.PriorityAdd("Grow revenue in Europe", org=True, owner="paula", due=when("+20w")))
    acme.run("pete", c.PriorityAdd("One-click checkout", owner="mia", parent=1, due=when("+6w")))
    acme.run("cleo", c.PriorityAdd("New basket", due=when("+4w")))
    acme.run("mia", c.DepRequest("infra", "Bigger cache", by=when("+1w"), for_priority=2))
    acme.run("ivy", c.DepAccept(1, owner="ivy"))
    acme.run("mia", c.DepBlock(1, "@here waiting on the vendor"))
    acme.run("max", c.DepRequest("infra", "Staging DB", by=when("+2d")))
    acme.run("mia", c.BlockerAdd("Vendor contract unsigned", on="D-1"))
    acme.run("mia", c.BlockerAdd("Flaky tests"))
    return acme


def hand_made() -> list[Risk]:
    return [
        Risk(K.BLOCKED_DEPENDENCY, 80, "D-1", ("D-1", "infra", "P-2"), "ivy", "Get D-1 moving with payments.",
             "D-1 (payments → infra) has been blocked for 6 days."),
        Risk(K.ENDANGERED_PRIORITY, 75, "P-1", ("P-1", "D-1", "P-2"), "paula", "Ask infra for a firm date.",
             "P-1 depends on D-1 (blocked) through P-2."),
        Risk(K.STALE_BLOCKER, 60, "B-1", ("B-1", "D-1"), "mia", "Lift B-1 or escalate it.",
             "B-1 on D-1 has been open for 6 days."),
        Risk(K.UNALIGNED_PRIORITY, 30, "P-3", ("P-3", "checkout"), "cleo", "Align P-3 to a parent priority."),
        Risk(K.UNOWNED_PRIORITY, 40, "P-3", ("P-3",), None, "Name an owner for P-3.", "P-3 has no owner."),
        Risk(K.TEAM_OVERLOAD, 50, "infra", ("infra", "D-1", "D-2"), "ian", "Say no to something.",
             "infra has 2 incoming dependencies."),
    ]  # fmt: skip


LATER = NOW + timedelta(days=6)


def test_grouped_by_org_priority_with_why_and_who_acts(world: Org) -> None:
    text = render(summarize(snap(world.store), hand_made(), LATER))
    assert text.splitlines()[0] == (
        "Summary for the whole organisation, 2026-11-29: 6 risks (2 high: score 70 or more), 3 of them under 1 org "
        "priority; "
        "3 cross-team blockers."
    )
    group = text.split("\n\n")[1].splitlines()
    assert group == [
        "P-1 Grow revenue in Europe — on-track, 0% done, due 2027-04-12, owner @paula · beneath it 1 aligned "
        "priority: on-track, 0% done",
        "  At risk beneath it (3 risks):",
        "  • D-1 (payments → infra) has been blocked for 6 days — “Bigger cache”",
        "      → @ivy: Get D-1 moving with payments.",
        "  • P-1 depends on D-1 (blocked) through P-2.",
        "      → @paula: Ask infra for a firm date.",
        "  • B-1 on D-1 has been open for 6 days — “Vendor contract unsigned”",
        "      → @mia: Lift B-1 or escalate it.",
    ]


def test_risks_under_no_org_priority_then_cross_team_blockers(world: Org) -> None:
    text = render(summarize(snap(world.store), hand_made(), LATER))
    loose = text.split("Not under any org priority")[1].split("\n\n")[0]
    assert loose.splitlines() == [
        " (3 risks):",
        "  • infra has 2 incoming dependencies.",
        "      → @ian: Say no to something.",
        "  • P-3 has no owner — “New basket”",
        "      → nobody owns this yet: Name an owner for P-3.",
    ]
    cross = text.split("Cross-team blockers:\n")[1].split("\n\n")[0].splitlines()
    assert cross == [
        "  • D-1 payments → infra “Bigger cache”: blocked for 6 days: “@here waiting on the vendor”; to act: @ivy",
        "  • D-2 checkout → infra “Staging DB”: requested, overdue since 2026-11-25; to act: @ian",
        "  • B-1 “Vendor contract unsigned” [payments] on D-1, open 6 days, raised by @mia; to act: @ian",
    ]
    assert text.splitlines()[-1] == "Every risk with its evidence: `risks --all`; the picture: `map`."


def test_one_action_per_item_even_when_one_person_owns_several(world: Org) -> None:
    """The issue's case: one owner, three items, one action given for all three (“@lena (D-11, D-9, D-1):
    Accept D-11…”, D-1 being accepted and overdue). Each item now carries the action its own risk asks."""
    risks = [
        Risk(K.OVERDUE_DEPENDENCY, 72, "D-1", ("D-1", "infra", "payments", "P-2"), "ian",
             "Deliver D-1 or agree a new date with payments; then `dep done D-1`.", "D-1 was due, and is blocked."),
        Risk(K.UNANSWERED_REQUEST, 70, "D-2", ("D-2", "infra", "checkout"), "ian",
             "Accept or decline D-2.", "D-2 has not been answered by infra."),
    ]  # fmt: skip
    lines = render(summarize(snap(world.store), risks, LATER)).splitlines()
    d1, d2 = (next(i for i, ln in enumerate(lines) if ln.startswith(f"  • D-{n} ")) for n in (1, 2))
    assert lines[d1 + 1] == "      → @ian: Deliver D-1 or agree a new date with payments; then `dep done D-1`."
    assert lines[d2 + 1] == "      → @ian: Accept or decline D-2."
    assert not any("(D-1, D-2)" in ln or "(D-2, D-1)" in ln for ln in lines)


def test_user_text_is_quoted_so_renderers_neutralise_it(world: Org) -> None:
    lines = summarize(snap(world.store), hand_made(), LATER)
    from core.reply import Quote

    quoted = [s.text for ln in lines for s in ln if isinstance(s, Quote)]
    assert "@here waiting on the vendor" in quoted
    assert not any("@here" in s for ln in lines for s in ln if isinstance(s, str))


def test_a_team_scope_keeps_what_touches_the_team_and_its_children(world: Org) -> None:
    text = render(summarize(snap(world.store), hand_made(), LATER, team="checkout"))
    assert text.startswith("Summary for checkout, 2026-11-29: 3 risks")
    assert "P-3 has no owner" in text and "infra has 2 incoming" in text and "D-1 (payments" not in text
    product = render(summarize(snap(world.store), hand_made(), LATER, team="product"))
    assert product.startswith("Summary for product and the 2 teams beneath it, 2026-11-29: 6 risks")
    assert "`risks --team product --all`; the picture: `map --team product`." in product


def test_a_healthy_org_says_so(acme: Org) -> None:
    acme.run("alice", c.PriorityAdd("Grow revenue in Europe", org=True, owner="paula"))
    text = render(summarize(snap(acme.store), [], NOW))
    assert text.splitlines() == [
        "Summary for the whole organisation, 2026-11-23: no risks; 0 cross-team blockers.",
        "Nothing is at risk: every dependency is on time and no blocker crosses a team.",
        "",
        "No risks found under P-1 Grow revenue in Europe (on-track).",
    ]


def test_length_is_bounded_however_many_risks(world: Org) -> None:
    many = [Risk(K.STALE_PRIORITY, 50 - i % 40, f"P-{1 + i % 3}", (f"P-{1 + i % 3}",), "pete", "Update it.",
                 f"Stale #{i}.") for i in range(500)]  # fmt: skip
    many += [Risk(K.TEAM_OVERLOAD, 40, "infra", ("infra",), "ian", "Say no.", f"Overload #{i}.") for i in range(500)]
    lines = summarize(snap(world.store), many, LATER)
    assert len(lines) < 60
    assert all(len(render([ln])) < 2000 for ln in lines)


# --- the extract ---------------------------------------------------------------------------------


def test_extract_holds_the_top_risks_and_their_records(world: Org) -> None:
    extract = build_extract(snap(world.store), hand_made(), 3, today=LATER.date())
    assert [r["subject"] for r in extract["risks"]] == ["D-1", "P-1", "B-1"]
    assert extract["risks"][0]["owner"] == "Ivy"  # display names, not handles
    records = {r["id"]: r for r in extract["records"]}
    assert set(records) == {"D-1", "P-2", "P-1", "infra", "B-1"}
    assert records["D-1"] == {
        "id": "D-1", "type": "dependency", "from_team": "payments", "to_team": "infra", "what": "Bigger cache",
        "state": "blocked", "needed_by": "2026-11-30", "committed": "2026-11-30", "for": "P-2",
        "blocked_reason": "@here waiting on the vendor", "declined_reason": None, "requester_owner": "Mia",
        "provider_owner": "Ivy", "overdue": False,
    }  # fmt: skip
    assert records["P-2"]["aligned_to"] == "P-1" and records["P-1"]["level"] == "org"
    assert extract["totals"]["risks"] == 6 and extract["totals"]["risks_included"] == 3
    assert {"D-1", "P-1", "P-2", "B-1", "infra", "payments"} <= known_ids(extract)
    assert "D-2" not in known_ids(extract)


def generated(teams: int) -> tuple[Snapshot, list[Risk]]:
    """An org of `teams` teams, 5 priorities, 4 dependencies and 2 blockers each, long texts,
    and a risk on every record."""
    at = datetime(2026, 11, 1, tzinfo=UTC)
    ts = [Team(f"team-{i}", f"Team {i} " + "x" * 80, parent="team-0" if i else None, leads=[f"p{i}"])
          for i in range(teams)]  # fmt: skip
    people = [Person(f"p{i}", f"Person {i} " + "y" * 90) for i in range(teams)]
    prios = [Priority(1 + i, "Title " + "t" * 300, None if i < 3 else f"team-{i % teams}", at, at,
                      owner=f"p{i % teams}", parent=None if i < 3 else 1 + i % 3, due=date(2027, 1, 1),
                      status=Status.AT_RISK)
             for i in range(teams * 5)]  # fmt: skip
    deps = [Dependency(1 + i, f"team-{i % teams}", f"team-{(i + 1) % teams}", "What " + "w" * 400,
                       date(2026, 11, 20), at, at, for_priority=1 + i % (teams * 5), state=DepState.BLOCKED,
                       blocked_reason="Because " + "b" * 500, provider_owner=f"p{i % teams}")
            for i in range(teams * 4)]  # fmt: skip
    blockers = [Blocker(1 + i, "Text " + "z" * 600, f"p{i % teams}", at, team=f"team-{i % teams}", on=f"D-{1 + i}")
                for i in range(teams * 2)]  # fmt: skip
    s = Snapshot(Workspace("big"), tuple(people), tuple(ts), tuple(prios), tuple(deps), tuple(blockers), ())
    risks = [Risk(K.BLOCKED_DEPENDENCY, 90 - i % 50, d.id, (d.id, d.to_team, f"P-{d.for_priority}", "P-1", "P-2",
                  "P-3", d.from_team, "B-1", "B-2"), d.provider_owner, "Act " + "a" * 400, "Why " + "q" * 400)
             for i, d in enumerate(deps)]  # fmt: skip
    risks += [Risk(K.STALE_BLOCKER, 40, b.id, (b.id, b.on or ""), b.raised_by, "Lift it.") for b in blockers]
    return s, risks


def test_the_extract_does_not_grow_with_the_organisation() -> None:
    small, small_risks = generated(30)
    big, big_risks = generated(300)
    a = json.dumps(build_extract(small, small_risks, 10, today=TODAY))
    b = json.dumps(build_extract(big, big_risks, 10, today=TODAY))
    assert len(b) <= len(a) * 1.05, (len(a), len(b))
    assert len(b) < 40_000
    extract = build_extract(big, big_risks, 1000, today=TODAY)
    assert len(extract["risks"]) == 25 and len(extract["records"]) <= MAX_RECORDS
    assert all(len(r["evidence"]) <= 8 for r in extract["risks"])
    assert all(len(v) <= 160 for r in extract["records"] for v in r.values() if isinstance(v, str))
    assert all(len(v) <= 160 for r in extract["risks"] for v in r.values() if isinstance(v, str))


# --- checking a narrative ------------------------------------------------------------------------


def test_check_accepts_known_ids_in_any_case_and_rejects_the_rest() -> None:
    known = frozenset({"D-1", "P-2", "infra"})
    ok = check(Narrative((Claim("  D-1 is   blocked. ", ("d-1", "INFRA")),)), known)
    assert ok.claims == (Claim("D-1 is blocked.", ("D-1", "infra")),)
    with pytest.raises(NarrativeUnavailable, match="cited 'D-9', which is not in the data"):
        check(Narrative((Claim("x", ("D-1",)), Claim("y", ("D-9",)))), known)
    with pytest.raises(NarrativeUnavailable, match="cited nothing"):
        check(Narrative((Claim("All fine.", ()),)), known)
    with pytest.raises(NarrativeUnavailable, match="empty"):
        check(Narrative((Claim("   ", ("D-1",)),)), known)
    with pytest.raises(NarrativeUnavailable, match="cited 'here', which"):
        check(Narrative((Claim("x", ("<!here>",)),)), known)


def test_check_rejects_an_id_in_the_text_that_the_data_lacks_whatever_it_cites() -> None:
    """The issue's case: a paragraph citing a real P-1 said "D-777 and P-4242 are about to fail" and was shown."""
    known = frozenset({"D-1", "P-1", "infra"})
    with pytest.raises(NarrativeUnavailable, match="mentioned 'D-777', which is not in the data"):
        check(Narrative((Claim("D-777 and P-4242 are about to fail.", ("P-1",)),)), known)
    for sneaky in ("see p-4242 now", "B‑12 (a non-breaking hyphen)", "Fix D – 99 first", "(D-3)"):
        with pytest.raises(NarrativeUnavailable, match="mentioned"):
            check(Narrative((Claim(f"P-1 is fine; {sneaky}.", ("P-1",)),)), known)
    ok = check(Narrative((Claim("P-1 waits on d-1 from infra; COVID-19 and web-2 are not ids.", ("P-1",)),)), known)
    assert ok.claims[0].cites == ("P-1",)


def test_narrative_from_json_refuses_other_shapes() -> None:
    for bad in ([], {"paragraphs": "x"}, {"paragraphs": [{"text": 1, "cites": []}]},
                {"paragraphs": [{"text": "x", "cites": [3]}]}):  # fmt: skip
        with pytest.raises(NarrativeUnavailable, match="expected shape"):
            Narrative.from_json(bad)
    n = Narrative.from_json({"paragraphs": [{"text": "a", "cites": ["D-1"]}] * 20})
    assert len(n.claims) == 8


def test_blocked_since_comes_from_the_audit_trail(world: Org) -> None:
    s = snap(world.store)
    later = NOW + timedelta(days=9)
    assert "blocked for 9 days" in render(summarize(s, [], later))
