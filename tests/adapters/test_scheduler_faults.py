"""One workspace's bad data or failing delivery never stops another workspace's rhythm (SPEC: Scale).

Four workspaces on one real SQLite file, all owned by a chat platform whose deliveries record what
they are given: one with a team whose time zone this machine does not know, one whose rhythm
cannot even be read, one whose platform drops the connection on every send, and a healthy one.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from http.client import RemoteDisconnected
from pathlib import Path

from sqlalchemy import text

from bot.bootstrap import build
from bot.outbound import Deliveries, OutboxPump
from bot.scheduler import RhythmScheduler
from core import commands as c
from core.context import Context, PersonInfo
from core.fakes import FixedClock, RecordingDelivery
from core.ports import PENDING, SENT, ChatDelivery, OutboxMessage
from core.rhythm import RunKind
from core.service import PLATFORM, execute

START = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # Monday
PROMPTED = datetime(2026, 11, 23, 8, 31, tzinfo=UTC)  # 09:31 in Berlin


class Dropping:
    """A platform that takes every message and drops the connection before answering."""

    def __init__(self) -> None:
        self.tried: list[str] = []

    def deliver(self, message: OutboxMessage) -> None:
        self.tried.append(message.key)
        raise RemoteDisconnected("Remote end closed connection without response")


def say(factory: object, workspace: str, who: str, cmd: c.Command) -> None:
    ctx = Context(actor=PersonInfo(who, who), now=START,
                  people=tuple(PersonInfo(h, h) for h in getattr(cmd, "people", ())))  # fmt: skip
    execute(factory, workspace, ctx, cmd)  # type: ignore[arg-type]


def team(factory: object, workspace: str, handle: str, members: tuple[str, ...], tz: str = "Europe/Berlin") -> None:
    say(factory, workspace, "ada", c.TeamCreate(handle, handle.title()))
    say(factory, workspace, "ada", c.TeamAdd(handle, members))
    say(factory, workspace, "ada", c.RhythmSetStandup(days=(0, 1, 2, 3, 4), at=time(9, 30), team=handle, tz=tz))


def test_a_poisoned_workspace_stops_nobody_elses_prompts(tmp_path: Path) -> None:
    app = build(database_url=f"sqlite:///{tmp_path / 'rhythm.db'}")
    factory = app.uow_factory
    for ws in ("a-healthy", "b-zone", "c-unreadable", "d-dropping", "e-healthy"):
        team(factory, ws, "payments", ("bob", "carol"))
        with factory(ws) as uow:
            uow.settings.set(PLATFORM, "slack")
            uow.commit()
    team(factory, "b-zone", "mars", ("zed",))
    with factory("b-zone") as uow:  # import once let this in: a zone no machine knows
        rhythm = uow.rhythms.get("mars")
        assert rhythm is not None
        rhythm.tz = "Mars/Base"
        uow.rhythms.save(rhythm)
        uow.commit()
    with app.engine.begin() as conn:  # a rhythm row nobody can read back
        conn.execute(text("UPDATE rhythm SET standup = '{\"days\": \"garbage\"}' WHERE workspace_id = "
                          "(SELECT id FROM workspace WHERE name = 'c-unreadable')"))  # fmt: skip

    recorded: dict[str, RecordingDelivery] = {}
    dropping = Dropping()

    def slack(workspace: str) -> ChatDelivery:
        if workspace == "d-dropping":
            return dropping
        return recorded.setdefault(workspace, RecordingDelivery())

    clock = FixedClock(PROMPTED)
    pump = OutboxPump(app.engine, factory, Deliveries({"slack": slack}), clock)
    scheduler = RhythmScheduler(factory, app.engine, clock, pump, send_inline=True)
    scheduler.last = dict.fromkeys(("a-healthy", "b-zone", "c-unreadable", "d-dropping", "e-healthy"), START)
    ticked = scheduler.run_once()

    def prompted(ws: str) -> list[str]:
        return sorted(m.person or "" for m in recorded[ws].delivered if ":prompt:" in m.key)

    assert prompted("a-healthy") == prompted("e-healthy") == ["bob", "carol"]  # after the poisoned ones
    assert prompted("b-zone") == ["bob", "carol"]  # its other team is prompted
    assert ticked["b-zone"].broken == []  # mars's zone is taken as UTC (core.rules.zone_info): nothing stops
    assert "c-unreadable" not in ticked and scheduler.last["c-unreadable"] == START  # next tick: from there
    assert sorted(dropping.tried) == ["standup:payments:2026-11-23:prompt:@bob",
                                      "standup:payments:2026-11-23:prompt:@carol"]  # fmt: skip
    with factory("d-dropping") as uow:
        rows = [m for m in uow.outbox.list() if ":prompt:" in m.key]
    # a dropped connection is an outcome nobody knows: kept, tried again later, looked for first
    assert {(m.state, m.uncertain, m.attempts) for m in rows} == {(PENDING, True, 1)}
    with factory("a-healthy") as uow:
        assert {m.state for m in uow.outbox.list()} == {SENT}
    with factory("b-zone") as uow:
        assert [r.team for r in uow.rhythms.list()] == ["mars", "payments"]
        assert uow.checkins.run("payments", RunKind.STANDUP, "2026-11-23") is not None
    app.close()
