"""Shared helpers for core tests: a tiny chat transcript on top of the in-memory store."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import pytest

from core import commands as c
from core.context import Context, PersonInfo
from core.dates import DateSpec
from core.errors import Refused
from core.fakes import FakeStore
from core.model import Event
from core.reply import ChannelRef, Line, Mention, Quote, Reply
from core.service import execute

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
"""A Monday, 09:00 UTC: the workspace's today is 2026-11-23."""


def when(text: str) -> DateSpec:
    return DateSpec(text)


def render_line(segments: Line) -> str:
    out = []
    for s in segments:
        if isinstance(s, Mention):
            out.append(f"@{s.handle}")
        elif isinstance(s, Quote):
            out.append(s.text)
        elif isinstance(s, ChannelRef):
            out.append(f"#{s.channel}")
        else:
            out.append(s)
    return "".join(out)


def render(lines: Iterable[Line]) -> str:
    return "\n".join(render_line(x) for x in lines)


def mentioned(cmd: c.Command) -> tuple[str, ...]:
    """The people a command names, as an adapter would resolve its mentions."""
    found: list[str] = []
    for name in ("person", "owner"):
        value = getattr(cmd, name, None)
        if isinstance(value, str):
            found.append(value)
    found += getattr(cmd, "people", ())
    return tuple(found)


class Org:
    """One workspace on a FakeStore, spoken to as a chat transcript."""

    def __init__(self, store: FakeStore | None = None, workspace: str = "acme", now: datetime = NOW) -> None:
        self.store = store if store is not None else FakeStore()
        self.workspace = workspace
        self.store.state(workspace)  # the workspace exists (empty): reads in it count as speaking
        self.now = now
        self.last: Reply | None = None

    def run(
        self,
        actor: str,
        cmd: c.Command,
        *,
        channel: str | None = None,
        people: Iterable[str] | None = None,
        now: datetime | None = None,
    ) -> Reply:
        """Execute `cmd` as `actor`; `people` defaults to whoever the command mentions."""
        who = mentioned(cmd) if people is None else tuple(people)
        ctx = Context(
            actor=PersonInfo(actor, actor.title()),
            now=now or self.now,
            channel=channel,
            people=tuple(PersonInfo(h, h.title()) for h in who),
        )
        self.last = execute(self.store, self.workspace, ctx, cmd)
        return self.last

    def say(self, actor: str, cmd: c.Command, **kw: Any) -> str:
        return render(self.run(actor, cmd, **kw).lines)

    def data(self, actor: str, cmd: c.Command, **kw: Any) -> Any:
        return self.run(actor, cmd, **kw).data

    def refused(self, actor: str, cmd: c.Command, error: type[Refused] = Refused, **kw: Any) -> str:
        """Assert the command is refused with `error` and changes nothing; return the message."""
        before = self.store.snapshot(self.workspace)
        with pytest.raises(Refused) as info:
            self.run(actor, cmd, **kw)
        assert isinstance(info.value, error), (
            f"expected {error.__name__}, got {type(info.value).__name__}: {info.value}"
        )
        assert self.store.snapshot(self.workspace) == before, "a refused command changed the store"
        return info.value.message

    # -- committed state, read straight from the store --------------------------------------

    @property
    def state(self) -> Any:
        return self.store.snapshot(self.workspace)

    def events(self, kind: str | None = None) -> list[Event]:
        return [e for e in self.state.events if kind is None or e.kind == kind]

    def team(self, handle: str) -> Any:
        return self.state.teams[handle]

    def priority(self, number: int) -> Any:
        return self.state.priorities[number]

    def dep(self, number: int) -> Any:
        return self.state.dependencies[number]

    def blocker(self, number: int) -> Any:
        return self.state.blockers[number]

    def person(self, handle: str) -> Any:
        return self.state.people[handle]


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


@pytest.fixture
def org(store: FakeStore) -> Org:
    """An empty workspace: whoever speaks first becomes its admin."""
    return Org(store)


@pytest.fixture
def acme(store: FakeStore) -> Org:
    """A small team of teams. alice is admin; nobody else is.

    product (lead paula, #C-product)
      checkout (lead cleo, member max, #C-checkout)
      payments (lead pete, member mia, #C-payments)
    infra (lead ian, member ivy, #C-infra)
    """
    o = Org(store)
    o.run("alice", c.TeamCreate("product", "Product"), channel="C-product")
    o.run("alice", c.TeamCreate("payments", "Payments", parent="product"), channel="C-payments")
    o.run("alice", c.TeamCreate("checkout", "Checkout", parent="product"), channel="C-checkout")
    o.run("alice", c.TeamCreate("infra", "Infrastructure"), channel="C-infra")
    for team, lead, member in [
        ("product", "paula", None),
        ("payments", "pete", "mia"),
        ("checkout", "cleo", "max"),
        ("infra", "ian", "ivy"),
    ]:
        o.run("alice", c.TeamAdd(team, (lead,), lead=True))
        if member:
            o.run("alice", c.TeamAdd(team, (member,)))
    return o
