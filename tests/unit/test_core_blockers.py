"""`blocker add|resolve|list`: anyone may raise one, on a team, a dependency or a priority."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core import commands as c
from core.errors import Conflict, InvalidInput, NotFound
from core.model import BlockerState
from tests.unit.conftest import NOW, Org, when


@pytest.fixture
def world(acme: Org) -> Org:
    """acme with P-1 (payments) and D-1 (checkout → infra)."""
    acme.run("pete", c.PriorityAdd("Ship refunds"))
    acme.run("max", c.DepRequest("infra", "Bigger cache", by=when("fri")))
    return acme


def test_add_defaults_to_my_team(world: Org) -> None:
    assert world.say("mia", c.BlockerAdd("Waiting for legal")) == "B-1 raised for payments: Waiting for legal"
    b = world.blocker(1)
    assert (b.text, b.team, b.on, b.raised_by, b.raised_at, b.state) == (
        "Waiting for legal", "payments", None, "mia", NOW, BlockerState.OPEN,
    )  # fmt: skip
    assert world.last is not None and world.last.public and world.last.data["id"] == "B-1"
    [event] = world.events("blocker.raised")
    assert (event.actor, event.subject, event.data) == (
        "mia", "B-1", {"text": "Waiting for legal", "team": "payments", "on": None},
    )  # fmt: skip


def test_anyone_may_raise_one_even_without_a_team(world: Org) -> None:
    world.say("bob", c.BlockerAdd("The wiki is down"))
    assert world.blocker(1).team is None


@pytest.mark.parametrize(("on", "stored"), [("infra", "infra"), ("D-1", "D-1"), ("P-1", "P-1")])
def test_add_on_a_team_dependency_or_priority(world: Org, on: str, stored: str) -> None:
    text = world.say("max", c.BlockerAdd("Stuck", on=on))
    assert text == f"B-1 raised for checkout on {stored}: Stuck"
    assert world.blocker(1).on == stored


@pytest.mark.parametrize("on", ["nope", "D-9", "P-9"])
def test_add_on_an_unknown_target_is_refused(world: Org, on: str) -> None:
    world.refused("max", c.BlockerAdd("Stuck", on=on), NotFound)


def test_add_refusals(world: Org) -> None:
    world.refused("max", c.BlockerAdd("  "), InvalidInput)
    world.refused("max", c.BlockerAdd("Stuck", team="nope"), NotFound)
    assert world.state.blockers == {}


def test_line_breaks_from_any_system_are_text_but_other_controls_are_not(world: Org) -> None:
    """A multi-line card input on Windows sends CR LF; old Macs CR alone: both are a newline."""
    world.run("mia", c.BlockerAdd("Waiting for legal:\r\nthe DPA\rand the SCCs\u2028by Friday"))
    assert world.blocker(1).text == "Waiting for legal:\nthe DPA\nand the SCCs\nby Friday"
    assert "U+0007" in world.refused("mia", c.BlockerAdd("ring\a the bell"), InvalidInput)


def test_resolve(world: Org) -> None:
    world.say("mia", c.BlockerAdd("Waiting for legal"))
    later = NOW + timedelta(days=3, hours=2)
    assert world.say("pete", c.BlockerResolve(1), now=later) == "B-1 resolved after 3 days: Waiting for legal"
    b = world.blocker(1)
    assert (b.state, b.resolved_by, b.resolved_at) == (BlockerState.RESOLVED, "pete", later)
    event = world.events("blocker.resolved")[-1]
    assert (event.actor, event.at, event.data) == ("pete", later, {"age_days": 3})
    world.refused("pete", c.BlockerResolve(1), Conflict)
    world.refused("pete", c.BlockerResolve(2), NotFound)


def test_list_filters_by_team(world: Org) -> None:
    world.say("mia", c.BlockerAdd("Payments own"))  # B-1 team payments
    world.say("bob", c.BlockerAdd("On infra", on="infra"))  # B-2 on team infra
    world.say("bob", c.BlockerAdd("On D-1", on="D-1"))  # B-3 on checkout → infra
    world.say("bob", c.BlockerAdd("On P-1", on="P-1"))  # B-4 on a payments priority
    world.say("max", c.BlockerAdd("Checkout own"))  # B-5 team checkout
    world.say("bob", c.BlockerResolve(5))

    def ids(**kw: str) -> list[str]:
        return [b["id"] for b in world.data("bob", c.BlockerList(**kw))]

    assert ids() == ["B-1", "B-2", "B-3", "B-4"]
    assert ids(team="payments") == ["B-1", "B-4"]
    assert ids(team="infra") == ["B-2", "B-3"]
    assert ids(team="checkout") == ["B-3"]
    assert [b["id"] for b in world.data("mia", c.BlockerList())] == ["B-1", "B-4"]  # my only team
    text = world.say("bob", c.BlockerList(team="checkout"), now=NOW + timedelta(days=2))
    assert text.splitlines() == [
        "1 open blocker in checkout:",
        "  B-3 “On D-1” on D-1, raised by @bob 2026-11-23 · 2d old",
    ]
    world.refused("bob", c.BlockerList(team="nope"), NotFound)
