"""In-memory implementations of the ports, for fast core tests and for reasoning about the contract."""

from __future__ import annotations

import copy
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

from core import rules
from core.acks import Ack
from core.briefing import BriefingSchedule
from core.model import Blocker, Dependency, Event, Kind, Person, Priority, SlipAlert, Team, Workspace
from core.ports import (
    PENDING,
    AckRepo,
    BlockerRepo,
    BriefingRepo,
    CheckinRepo,
    ClaimRepo,
    DeliveryError,
    DependencyRepo,
    EventRepo,
    IdSequences,
    OutboxMessage,
    OutboxRepo,
    PeopleRepo,
    PriorityRepo,
    RhythmRepo,
    SettingsRepo,
    SlipAlertRepo,
    TeamRepo,
    WorkspaceRepo,
)
from core.rhythm import Away, Response, Rhythm, Run, RunKind, Step
from core.risks import RiskKind

K = TypeVar("K")
V = TypeVar("V")


class FixedClock:
    """A clock that moves only when told to."""

    def __init__(self, now: datetime) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now

    def set(self, now: datetime) -> None:
        self._now = now

    def advance(self, delta: timedelta) -> None:
        self._now += delta


@dataclass
class _State:
    workspace: Workspace
    people: dict[str, Person] = field(default_factory=dict)
    teams: dict[str, Team] = field(default_factory=dict)
    priorities: dict[int, Priority] = field(default_factory=dict)
    dependencies: dict[int, Dependency] = field(default_factory=dict)
    blockers: dict[int, Blocker] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    ids: dict[str, int] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    rhythms: dict[str, Rhythm] = field(default_factory=dict)
    aways: dict[str, list[Away]] = field(default_factory=dict)
    runs: dict[tuple[str, str, str], Run] = field(default_factory=dict)
    responses: dict[tuple[str, str, str, str], Response] = field(default_factory=dict)
    claims: dict[tuple[str, str, str, str], str] = field(default_factory=dict)
    """(team, kind, period, step or step@zone) -> outcome."""
    outbox: list[OutboxMessage] = field(default_factory=list)
    leases: dict[int, tuple[str, float]] = field(default_factory=dict)
    """Outbox row id -> (lease, until: time.monotonic()) of the drainer holding it."""
    acks: dict[tuple[str, str], Ack] = field(default_factory=dict)
    briefings: dict[str, BriefingSchedule] = field(default_factory=dict)
    briefing_claims: dict[tuple[str, str, str], str] = field(default_factory=dict)
    slips: dict[tuple[int, str, str], SlipAlert] = field(default_factory=dict)


class _Keyed(Generic[K, V]):
    def __init__(self, rows: dict[K, V], key: str) -> None:
        self._rows, self._key = rows, key

    def get(self, key: K) -> V | None:
        row = self._rows.get(key)
        return copy.deepcopy(row) if row is not None else None

    def list(self) -> Sequence[V]:
        return [copy.deepcopy(self._rows[k]) for k in sorted(self._rows)]  # type: ignore[type-var]

    def save(self, row: V) -> None:
        self._rows[getattr(row, self._key)] = copy.deepcopy(row)


class _People(_Keyed[str, Person]):
    def some(self, handles: Collection[str]) -> Sequence[Person]:
        return [copy.deepcopy(self._rows[h]) for h in sorted(set(handles)) if h in self._rows]

    def add_if_absent(self, person: Person) -> bool:
        if person.handle in self._rows:
            return False
        self.save(person)
        return True

    def any_admin(self) -> bool:
        return any(p.admin for p in self._rows.values())


class _WorkspaceRepo:
    def __init__(self, state: _State) -> None:
        self._state = state

    def get(self) -> Workspace:
        return copy.deepcopy(self._state.workspace)

    def save(self, workspace: Workspace) -> None:
        self._state.workspace = copy.deepcopy(workspace)


class _Events:
    def __init__(self, events: list[Event]) -> None:
        self._events = events

    def append(self, event: Event) -> None:
        self._events.append(copy.deepcopy(event))
        self._events[-1].seq = len(self._events)

    def list(self, since: datetime | None = None) -> Sequence[Event]:
        return [copy.deepcopy(e) for e in self._events if since is None or e.at >= since]


class _Ids:
    def __init__(self, ids: dict[str, int]) -> None:
        self._ids = ids

    def next(self, kind: Kind) -> int:
        self._ids[kind.value] = self._ids.get(kind.value, 0) + 1
        return self._ids[kind.value]

    def current(self) -> dict[str, int]:
        return dict(self._ids)

    def ensure_at_least(self, kind: Kind, last: int) -> None:
        self._ids[kind.value] = max(self._ids.get(kind.value, 0), last)


class _Settings:
    def __init__(self, values: dict[str, Any]) -> None:
        self._values = values

    def get(self, key: str) -> Any:
        return copy.deepcopy(self._values.get(key))

    def set(self, key: str, value: Any) -> None:
        self._values[key] = copy.deepcopy(value)

    def all(self) -> dict[str, Any]:
        return copy.deepcopy(dict(sorted(self._values.items())))


class _Rhythms:
    def __init__(self, state: _State) -> None:
        self._s = state

    def get(self, team: str) -> Rhythm | None:
        return copy.deepcopy(self._s.rhythms.get(team))

    def list(self) -> Sequence[Rhythm]:
        return [copy.deepcopy(self._s.rhythms[k]) for k in sorted(self._s.rhythms)]

    def save(self, rhythm: Rhythm) -> None:
        r = copy.deepcopy(rhythm)
        r.skip = sorted(set(r.skip))
        self._s.rhythms[r.team] = r

    def aways(self, person: str | None = None) -> Sequence[Away]:
        found = [a for p in sorted(self._s.aways) for a in self._s.aways[p] if person in (None, p)]
        return sorted(found, key=lambda a: (a.person, a.start))

    def set_aways(self, person: str, ranges: Sequence[Away]) -> None:
        self._s.aways[person] = sorted(ranges, key=lambda a: a.start)


class _Checkins:
    def __init__(self, state: _State) -> None:
        self._s = state

    def run(self, team: str, kind: RunKind, period: str) -> Run | None:
        return copy.deepcopy(self._s.runs.get((team, kind.value, period)))

    def runs(self, since: datetime | None = None) -> Sequence[Run]:
        found = [r for r in self._s.runs.values() if since is None or r.opens_at >= since]
        return [copy.deepcopy(r) for r in sorted(found, key=lambda r: (r.opens_at, r.team, r.kind.value))]

    def save_run(self, run: Run) -> None:
        self._s.runs[(run.team, run.kind.value, run.period)] = copy.deepcopy(run)

    def response(self, team: str, kind: RunKind, period: str, person: str) -> Response | None:
        return copy.deepcopy(self._s.responses.get((team, kind.value, period, person)))

    def responses(
        self, team: str | None = None, kind: RunKind | None = None, period: str | None = None
    ) -> Sequence[Response]:
        found = [
            r for r in self._s.responses.values()
            if team in (None, r.team) and (kind is None or r.kind is kind) and period in (None, r.period)
        ]  # fmt: skip
        return [copy.deepcopy(r) for r in sorted(found, key=lambda r: (r.answered_at, r.person))]

    def save_response(self, response: Response) -> None:
        r = response
        self._s.responses[(r.team, r.kind.value, r.period, r.person)] = copy.deepcopy(r)


class _Claims:
    def __init__(self, state: _State) -> None:
        self._s = state

    def claim(
        self, team: str, kind: RunKind, period: str, step: Step, at: datetime, outcome: str = "done", zone: str = ""
    ) -> bool:
        key = (team, kind.value, period, f"{step.value}@{zone}" if zone else step.value)
        if key in self._s.claims:
            return False
        self._s.claims[key] = outcome
        return True

    def list(self) -> Sequence[tuple[str, str, str, str, str]]:
        return [(*k, v) for k, v in sorted(self._s.claims.items())]


class _Outbox:
    def __init__(self, state: _State) -> None:
        self._s = state

    def add(self, message: OutboxMessage) -> bool:
        if any(m.key == message.key for m in self._s.outbox):
            return False
        m = copy.deepcopy(message)
        m.id = len(self._s.outbox) + 1
        self._s.outbox.append(m)
        return True

    def add_all(self, messages: Sequence[OutboxMessage]) -> int:
        return sum(self.add(m) for m in messages)

    def claim(self, now: datetime, limit: int, lease: str, lease_for: timedelta) -> Sequence[OutboxMessage]:
        taken: list[OutboxMessage] = []
        real = time.monotonic()  # leases run on real time, as the database's clock does
        for m in self._s.outbox:
            if len(taken) >= limit:
                break
            free = m.id not in self._s.leases or self._s.leases[m.id][1] <= real
            if m.state == PENDING and (m.next_attempt_at or now) <= now and free:
                assert m.id is not None
                m.uncertain = m.uncertain or m.id in self._s.leases  # an earlier lease ran out unrecorded
                self._s.leases[m.id] = (lease, real + lease_for.total_seconds())
                taken.append(copy.deepcopy(m))
        return taken

    def record(self, message: OutboxMessage, lease: str) -> bool:
        assert message.id is not None
        held = self._s.leases.get(message.id)
        if held is None or held[0] != lease:
            return False
        del self._s.leases[message.id]
        self._s.outbox[message.id - 1] = copy.deepcopy(message)
        return True

    def release(self, ids: Sequence[int], lease: str) -> None:
        for i in ids:
            if self._s.leases.get(i, ("", None))[0] == lease:
                del self._s.leases[i]

    def list(self, state: str | None = None) -> Sequence[OutboxMessage]:
        return [copy.deepcopy(m) for m in self._s.outbox if state in (None, m.state)]


class _Acks:
    def __init__(self, state: _State) -> None:
        self._s = state

    def list(self) -> Sequence[Ack]:
        return [copy.deepcopy(self._s.acks[k]) for k in sorted(self._s.acks)]

    def save(self, ack: Ack) -> None:
        self._s.acks[ack.key] = copy.deepcopy(ack)

    def delete(self, subject: str, kind: RiskKind | None) -> None:
        self._s.acks.pop((subject, kind.value if kind else ""), None)


class _Briefings:
    def __init__(self, state: _State) -> None:
        self._s = state

    def get(self, scope: str) -> BriefingSchedule | None:
        return self._s.briefings.get(scope)

    def list(self) -> Sequence[BriefingSchedule]:
        return [self._s.briefings[k] for k in sorted(self._s.briefings)]

    def save(self, schedule: BriefingSchedule) -> None:
        self._s.briefings[schedule.scope] = schedule

    def claim(self, scope: str, person: str, period: str, at: datetime, outcome: str = "sent") -> bool:
        if (scope, person, period) in self._s.briefing_claims:
            return False
        self._s.briefing_claims[(scope, person, period)] = outcome
        return True

    def claimed(self, scope: str | None = None) -> Sequence[tuple[str, str, str, str]]:
        found = sorted(self._s.briefing_claims.items(), key=lambda kv: (kv[0][2], kv[0][0], kv[0][1]))
        return [(k[0], k[1], k[2], v) for k, v in found if scope in (None, k[0])]


class _Slips:
    def __init__(self, state: _State) -> None:
        self._s = state

    def add(self, alert: SlipAlert) -> bool:
        key = (alert.dependency, alert.change, alert.person)
        if key in self._s.slips:
            return False
        self._s.slips[key] = copy.deepcopy(alert)
        return True

    def list(self, dependency: int | None = None, state: str | None = None) -> Sequence[SlipAlert]:
        found = sorted(self._s.slips.values(), key=lambda a: (a.created_at, a.dependency, a.change, a.person))
        return [copy.deepcopy(a) for a in found if dependency in (None, a.dependency) and state in (None, a.state)]

    def save(self, alert: SlipAlert) -> None:
        self._s.slips[(alert.dependency, alert.change, alert.person)] = copy.deepcopy(alert)


class RecordingDelivery:
    """A ChatDelivery that keeps what it was given; `fail` makes the next deliveries raise."""

    def __init__(self) -> None:
        self.delivered: list[OutboxMessage] = []
        self.fail: list[DeliveryError] = []

    def deliver(self, message: OutboxMessage) -> None:
        if self.fail:
            raise self.fail.pop(0)
        self.delivered.append(copy.deepcopy(message))


class FakeUnitOfWork:
    # Declared as the port types so that FakeStore is a UnitOfWorkFactory for mypy too
    # (protocol attributes are invariant: `_Keyed[int, Blocker]` alone is not a `BlockerRepo`).
    workspace: WorkspaceRepo
    people: PeopleRepo
    teams: TeamRepo
    priorities: PriorityRepo
    dependencies: DependencyRepo
    blockers: BlockerRepo
    events: EventRepo
    ids: IdSequences
    settings: SettingsRepo
    rhythms: RhythmRepo
    checkins: CheckinRepo
    claims: ClaimRepo
    outbox: OutboxRepo
    acks: AckRepo
    briefings: BriefingRepo
    slips: SlipAlertRepo

    def __init__(self, store: FakeStore, workspace: str) -> None:
        self._store, self._name = store, workspace
        self.committed = False
        self.created = False

    def __enter__(self) -> Self:
        self.created = self._name not in self._store.states
        if self.created:
            rules.workspace_name(self._name)
        self._state = copy.deepcopy(self._store.state(self._name, keep=False))
        s = self._state
        self.workspace = _WorkspaceRepo(s)
        self.people = _People(s.people, "handle")
        self.teams = _Keyed[str, Team](s.teams, "handle")
        self.priorities = _Keyed[int, Priority](s.priorities, "number")
        self.dependencies = _Keyed[int, Dependency](s.dependencies, "number")
        self.blockers = _Keyed[int, Blocker](s.blockers, "number")
        self.events = _Events(s.events)
        self.ids = _Ids(s.ids)
        self.settings = _Settings(s.settings)
        self.rhythms = _Rhythms(s)
        self.checkins = _Checkins(s)
        self.claims = _Claims(s)
        self.outbox = _Outbox(s)
        self.acks = _Acks(s)
        self.briefings = _Briefings(s)
        self.slips = _Slips(s)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.rollback()

    def commit(self) -> None:
        self._store.states[self._name] = copy.deepcopy(self._state)
        self.committed = True

    def rollback(self) -> None:
        self._state = copy.deepcopy(self._store.state(self._name, keep=False))

    def lock(self) -> None:
        """One process, one thread: nothing to serialize with."""


class FakeStore:
    """Committed state per workspace; `store("acme")` opens a unit of work like the real factory."""

    def __init__(self, tz: str = "UTC") -> None:
        self.states: dict[str, _State] = {}
        self._tz = tz

    def state(self, name: str, *, keep: bool = True) -> _State:
        """The committed state of a workspace; an unknown one is empty (and stays unknown unless `keep`)."""
        found = self.states.get(name)
        if found is None:
            found = _State(workspace=Workspace(name=name, tz=self._tz))
            if keep:
                self.states[name] = found
        return found

    def __call__(self, workspace: str) -> FakeUnitOfWork:
        return FakeUnitOfWork(self, workspace)

    def snapshot(self, name: str) -> Any:
        return copy.deepcopy(self.state(name, keep=False))
