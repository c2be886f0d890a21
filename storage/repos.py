"""Repositories: rows <-> domain records, inside the caller's transaction, for one workspace.

Writes are single-statement upserts (INSERT ... ON CONFLICT), so two processes saving the same
record never fail on a duplicate key. Reads refresh any row the session already holds
(`populate_existing`), because the upserts bypass the session's identity map. Nothing here
commits: the unit of work does.
"""

from __future__ import annotations

import collections
import copy
import functools
from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Insert, bindparam
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel, col, delete, select, update
from sqlmodel.sql.expression import SelectOfScalar

from core.json_shapes import replan_from_json, replan_json
from core.model import (
    Blocker,
    BlockerState,
    Dependency,
    DepState,
    Event,
    Kind,
    Person,
    Priority,
    Status,
    Team,
    Workspace,
)
from storage.tables import (
    BlockerRow,
    DependencyRow,
    EventRow,
    IdSequenceRow,
    PersonRow,
    PriorityRow,
    SettingRow,
    TeamMemberRow,
    TeamRow,
    WorkspaceRow,
)

R = TypeVar("R", bound=SQLModel)

# Enum look-ups by value, as dicts: `DepState(value)` is slow enough to matter on 20,000 rows.
_STATUS = {s.value: s for s in Status}
_DEP_STATE = {s.value: s for s in DepState}
_BLOCKER_STATE = {s.value: s for s in BlockerState}


def dialect_insert(session: Session, row_class: type[SQLModel]) -> postgresql.Insert | sqlite.Insert:
    """INSERT with ON CONFLICT support, for the session's database."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(row_class)
    if name == "sqlite":
        return sqlite.insert(row_class)
    raise NotImplementedError(f"no upsert for {name}")


def _upsert(session: Session, row_class: type[SQLModel], values: Mapping[str, Any], keys: Sequence[str]) -> None:
    table = row_class.__table__  # type: ignore[attr-defined]
    stmt = _upsert_statement(session.get_bind().dialect.name, table, tuple(values), tuple(keys))
    session.connection().execute(stmt, dict(values))


# Statements built once per shape and reused. Building a statement (and working out its cache key)
# costs SQLAlchemy far more than running it: the stand-up fan-out runs a dozen small statements per
# team, 500 teams at once, and spent over half its time constructing them. A reused statement
# object keeps its cache key, so each later execution goes straight to the compiled form.


@functools.cache
def _upsert_statement(dialect: str, table: Any, columns: tuple[str, ...], keys: tuple[str, ...]) -> Insert:
    """INSERT (columns) ... ON CONFLICT (keys) DO UPDATE the other columns, values bound at execution."""
    stmt = (postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)).values(
        {name: bindparam(name, type_=table.c[name].type) for name in columns}
    )
    changes = {name: stmt.excluded[name] for name in columns if name not in keys}
    if changes:
        return stmt.on_conflict_do_update(index_elements=list(keys), set_=changes)
    return stmt.on_conflict_do_nothing(index_elements=list(keys))


@functools.cache
def _select_in(table: Any, column: str) -> Any:
    """SELECT the rows of one workspace (`ws`) whose `column` is in the list parameter of its name."""
    values = bindparam(column, expanding=True, type_=table.c[column].type)
    return (
        sa_select(table)
        .where(table.c.workspace_id == bindparam("ws"), table.c[column].in_(values))
        .order_by(table.c[column])
    )


@functools.cache
def _select_by(table: Any, columns: tuple[str, ...]) -> Any:
    """SELECT the rows of one workspace (`ws`) whose `columns` equal the parameters of those names."""
    where = [table.c[name] == bindparam(name, type_=table.c[name].type) for name in columns]
    return sa_select(table).where(table.c.workspace_id == bindparam("ws"), *where)


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r}: storage takes UTC-aware datetimes only")
    return value.astimezone(UTC)


def _aware_or_none(value: datetime | None) -> datetime | None:
    return None if value is None else _aware(value)


class _Repo:
    def __init__(self, session: Session, workspace_id: int) -> None:
        self._session = session
        self._ws = workspace_id

    def _select(self, row_class: type[R]) -> SelectOfScalar[R]:
        ws_column = getattr(row_class, "workspace_id")  # noqa: B009 - every row class has it
        return select(row_class).where(ws_column == self._ws).execution_options(populate_existing=True)

    def _rows(self, row_class: type[SQLModel], *where: Any, order_by: Any = None) -> Sequence[Any]:
        """Plain rows (attribute access by column name) for bulk reads: no ORM objects, no identity
        map, so listing 20,000 dependencies costs a fraction of loading them as entities. The
        upserts bypass the session anyway, so nothing pending is missed."""
        table: Any = row_class.__table__  # type: ignore[attr-defined]
        stmt = sa_select(table).where(table.c.workspace_id == self._ws, *where)
        if order_by is not None:
            stmt = stmt.order_by(order_by)
        # Named tuples: reading a field of SQLAlchemy's Row by name costs about 0.7 µs, of a named
        # tuple a few dozen ns, and a snapshot reads over half a million fields.
        shape = _shape(table)
        return [shape._make(r) for r in self._session.connection().execute(stmt).all()]

    def _where(self, row_class: type[SQLModel], **equal: Any) -> list[Any]:
        """Plain rows of this workspace whose columns equal `equal`, by a statement built once."""
        table: Any = row_class.__table__  # type: ignore[attr-defined]
        stmt = _select_by(table, tuple(equal))
        shape = _shape(table)
        return [shape._make(r) for r in self._session.connection().execute(stmt, {"ws": self._ws, **equal})]

    def _where_in(self, row_class: type[SQLModel], column: str, values: Sequence[Any]) -> list[Any]:
        """Plain rows of this workspace whose `column` is one of `values`, ordered by it."""
        table: Any = row_class.__table__  # type: ignore[attr-defined]
        shape = _shape(table)
        rows = self._session.connection().execute(_select_in(table, column), {"ws": self._ws, column: list(values)})
        return [shape._make(r) for r in rows]

    def _one(self, row_class: type[SQLModel], **equal: Any) -> Any:
        rows = self._where(row_class, **equal)
        return rows[0] if rows else None


@functools.cache
def _shape(table: Any) -> Any:
    return collections.namedtuple(f"{table.name.title()}Record", table.c.keys())


class SqlWorkspaceRepo(_Repo):
    def get(self) -> Workspace:
        row = self._session.get(WorkspaceRow, self._ws, populate_existing=True)
        if row is None:  # pragma: no cover - the unit of work created it
            raise LookupError(f"workspace {self._ws} vanished")
        return Workspace(name=row.name, tz=row.tz)

    def save(self, workspace: Workspace) -> None:
        """Update the workspace's settings. Its name is its identity and cannot change here."""
        current = self.get()
        if workspace.name != current.name:
            raise ValueError(f"cannot rename workspace {current.name!r} to {workspace.name!r}")
        self._session.exec(update(WorkspaceRow).where(col(WorkspaceRow.id) == self._ws).values(tz=workspace.tz))


class SqlPeopleRepo(_Repo):
    def get(self, handle: str) -> Person | None:
        row = self._one(PersonRow, handle=handle)
        return _person(row) if row is not None else None

    def list(self) -> Sequence[Person]:
        return [_person(r) for r in self._rows(PersonRow, order_by=col(PersonRow.handle))]

    def some(self, handles: Collection[str]) -> Sequence[Person]:
        wanted = sorted(set(handles))
        if not wanted:
            return []
        return [_person(r) for r in self._where_in(PersonRow, "handle", wanted)]

    def add_if_absent(self, person: Person) -> bool:
        stmt = dialect_insert(self._session, PersonRow).values(self._values(person))
        stmt = stmt.on_conflict_do_nothing(index_elements=["workspace_id", "handle"])
        # RETURNING, not rowcount: the driver's rowcount is unreliable for ORM-enabled inserts.
        return self._session.exec(stmt.returning(col(PersonRow.handle))).first() is not None

    def save(self, person: Person) -> None:
        _upsert(self._session, PersonRow, self._values(person), ["workspace_id", "handle"])

    def any_admin(self) -> bool:
        query = self._select(PersonRow).where(col(PersonRow.admin).is_(True)).limit(1)
        return self._session.exec(query).first() is not None

    def _values(self, p: Person) -> dict[str, Any]:
        return {"workspace_id": self._ws, "handle": p.handle, "name": p.name, "tz": p.tz, "admin": p.admin,
                "tz_pinned": p.tz_pinned}  # fmt: skip


def _person(row: PersonRow) -> Person:
    return Person(handle=row.handle, name=row.name, tz=row.tz, admin=row.admin, tz_pinned=row.tz_pinned)


class SqlTeamRepo(_Repo):
    def get(self, handle: str) -> Team | None:
        row = self._one(TeamRow, handle=handle)
        if row is None:
            return None
        members = self._where(TeamMemberRow, team=handle)
        return _team(row, members)

    def list(self) -> Sequence[Team]:
        rows = self._rows(TeamRow, order_by=col(TeamRow.handle))
        by_team: dict[str, list[TeamMemberRow]] = {}
        for m in self._rows(TeamMemberRow):
            by_team.setdefault(m.team, []).append(m)
        return [_team(row, by_team.get(row.handle, [])) for row in rows]

    def save(self, team: Team) -> None:
        """Upsert the team, then rewrite its member rows (the upsert's row lock serialises writers)."""
        values = {
            "workspace_id": self._ws,
            "handle": team.handle,
            "name": team.name,
            "parent": team.parent,
            "channel": team.channel,
            "archived": team.archived,
        }
        _upsert(self._session, TeamRow, values, ["workspace_id", "handle"])
        self._session.exec(
            delete(TeamMemberRow).where(
                col(TeamMemberRow.workspace_id) == self._ws, col(TeamMemberRow.team) == team.handle
            )
        )
        rows: dict[str, dict[str, Any]] = {}

        def row(person: str) -> dict[str, Any]:
            return rows.setdefault(
                person,
                {
                    "workspace_id": self._ws,
                    "team": team.handle,
                    "person": person,
                    "is_member": False,
                    "is_lead": False,
                    "position": None,
                    "lead_position": None,
                },
            )

        for i, person in enumerate(dict.fromkeys(team.members)):
            row(person).update(is_member=True, position=i)
        for i, person in enumerate(dict.fromkeys(team.leads)):
            row(person).update(is_lead=True, lead_position=i)
        if rows:
            self._session.exec(dialect_insert(self._session, TeamMemberRow).values(list(rows.values())))


def _team(row: TeamRow, member_rows: Sequence[TeamMemberRow]) -> Team:
    members = sorted((m for m in member_rows if m.is_member), key=lambda m: m.position or 0)
    leads = sorted((m for m in member_rows if m.is_lead), key=lambda m: m.lead_position or 0)
    return Team(
        handle=row.handle,
        name=row.name,
        parent=row.parent,
        leads=[m.person for m in leads],
        members=[m.person for m in members],
        channel=row.channel,
        archived=row.archived,
    )


class SqlPriorityRepo(_Repo):
    def get(self, number: int) -> Priority | None:
        row = self._one(PriorityRow, number=number)
        return _priority(row) if row is not None else None

    def list(self) -> Sequence[Priority]:
        return [_priority(r) for r in self._rows(PriorityRow, order_by=col(PriorityRow.number))]

    def save(self, priority: Priority) -> None:
        p = priority
        values = {
            "workspace_id": self._ws,
            "number": p.number,
            "title": p.title,
            "team": p.team,
            "created_at": _aware(p.created_at),
            "updated_at": _aware(p.updated_at),
            "outcome": p.outcome,
            "owner": p.owner,
            "parent": p.parent,
            "rank": p.rank,
            "due": p.due,
            "status": Status(p.status).value,
            "confidence": p.confidence,
            "progress": p.progress,
            "closed_reason": p.closed_reason,
        }
        _upsert(self._session, PriorityRow, values, ["workspace_id", "number"])


def _priority(row: PriorityRow) -> Priority:
    return Priority(
        number=row.number,
        title=row.title,
        team=row.team,
        created_at=row.created_at,
        updated_at=row.updated_at,
        outcome=row.outcome,
        owner=row.owner,
        parent=row.parent,
        rank=row.rank,
        due=row.due,
        status=_STATUS[row.status],
        confidence=row.confidence,
        progress=row.progress,
        closed_reason=row.closed_reason,
    )


class SqlDependencyRepo(_Repo):
    def get(self, number: int) -> Dependency | None:
        row = self._one(DependencyRow, number=number)
        return _dependency(row) if row is not None else None

    def list(self) -> Sequence[Dependency]:
        return [_dependency(r) for r in self._rows(DependencyRow, order_by=col(DependencyRow.number))]

    def save(self, dependency: Dependency) -> None:
        d = dependency
        values = {
            "workspace_id": self._ws,
            "number": d.number,
            "from_team": d.from_team,
            "to_team": d.to_team,
            "what": d.what,
            "needed_by": d.needed_by,
            "created_at": _aware(d.created_at),
            "updated_at": _aware(d.updated_at),
            "for_priority": d.for_priority,
            "state": DepState(d.state).value,
            "committed": d.committed,
            "blocked_reason": d.blocked_reason,
            "blocked_from": DepState(d.blocked_from).value if d.blocked_from is not None else None,
            "declined_reason": d.declined_reason,
            "requester_owner": d.requester_owner,
            "provider_owner": d.provider_owner,
            "answered_at": _aware_or_none(d.answered_at),
            "delivered_at": _aware_or_none(d.delivered_at),
            "proposed": d.proposed,
            "proposed_reason": d.proposed_reason,
            "replans": [replan_json(r) for r in d.replans],
            "revision": d.revision,
        }
        _upsert(self._session, DependencyRow, values, ["workspace_id", "number"])


def _dependency(row: DependencyRow) -> Dependency:
    return Dependency(
        number=row.number,
        from_team=row.from_team,
        to_team=row.to_team,
        what=row.what,
        needed_by=row.needed_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
        for_priority=row.for_priority,
        state=_DEP_STATE[row.state],
        committed=row.committed,
        blocked_reason=row.blocked_reason,
        blocked_from=_DEP_STATE[row.blocked_from] if row.blocked_from is not None else None,
        declined_reason=row.declined_reason,
        requester_owner=row.requester_owner,
        provider_owner=row.provider_owner,
        answered_at=row.answered_at,
        delivered_at=row.delivered_at,
        proposed=row.proposed,
        proposed_reason=row.proposed_reason,
        replans=[replan_from_json(r) for r in row.replans or ()],
        revision=row.revision or 0,
    )


class SqlBlockerRepo(_Repo):
    def get(self, number: int) -> Blocker | None:
        row = self._one(BlockerRow, number=number)
        return _blocker(row) if row is not None else None

    def list(self) -> Sequence[Blocker]:
        return [_blocker(r) for r in self._rows(BlockerRow, order_by=col(BlockerRow.number))]

    def save(self, blocker: Blocker) -> None:
        b = blocker
        values = {
            "workspace_id": self._ws,
            "number": b.number,
            "text": b.text,
            "raised_by": b.raised_by,
            "raised_at": _aware(b.raised_at),
            "team": b.team,
            "on": b.on,
            "state": BlockerState(b.state).value,
            "resolved_by": b.resolved_by,
            "resolved_at": _aware_or_none(b.resolved_at),
        }
        _upsert(self._session, BlockerRow, values, ["workspace_id", "number"])


def _blocker(row: BlockerRow) -> Blocker:
    return Blocker(
        number=row.number,
        text=row.text,
        raised_by=row.raised_by,
        raised_at=row.raised_at,
        team=row.team,
        on=row.on,
        state=_BLOCKER_STATE[row.state],
        resolved_by=row.resolved_by,
        resolved_at=row.resolved_at,
    )


class SqlEventRepo(_Repo):
    def append(self, event: Event) -> None:
        self._session.exec(
            dialect_insert(self._session, EventRow).values(
                workspace_id=self._ws,
                at=_aware(event.at),
                actor=event.actor,
                kind=event.kind,
                subject=event.subject,
                data=copy.deepcopy(event.data),
            )
        )

    def list(self, since: datetime | None = None) -> Sequence[Event]:
        where = [col(EventRow.at) >= _aware(since)] if since is not None else []
        return [
            Event(
                at=r.at,
                actor=r.actor,
                kind=r.kind,
                subject=r.subject,
                data=r.data,  # decoded afresh for this call: nothing else holds it
                seq=r.id,
            )
            for r in self._rows(EventRow, *where, order_by=col(EventRow.id))
        ]


class SqlIdSequences(_Repo):
    """Per-workspace, per-kind counters. `next` bumps the row with UPDATE ... RETURNING: on
    PostgreSQL a concurrent transaction waits on the row lock and then sees the committed value,
    so two transactions never get the same number (and a rolled-back number is reused)."""

    def next(self, kind: Kind) -> int:
        number = self._bump(kind)
        if number is None:
            self._create(kind)
            number = self._bump(kind)
        if number is None:  # pragma: no cover - the row was just created
            raise RuntimeError(f"id sequence {kind.value} missing")
        return number

    def current(self) -> dict[str, int]:
        stmt = self._select(IdSequenceRow).order_by(col(IdSequenceRow.kind))
        return {row.kind: row.last for row in self._session.exec(stmt)}

    def ensure_at_least(self, kind: Kind, last: int) -> None:
        self._create(kind)
        self._session.exec(
            update(IdSequenceRow).where(*self._key(kind), col(IdSequenceRow.last) < last).values(last=last)
        )

    def _key(self, kind: Kind) -> tuple[Any, ...]:
        return (col(IdSequenceRow.workspace_id) == self._ws, col(IdSequenceRow.kind) == Kind(kind).value)

    def _bump(self, kind: Kind) -> int | None:
        stmt = (
            update(IdSequenceRow)
            .where(*self._key(kind))
            .values(last=col(IdSequenceRow.last) + 1)
            .returning(col(IdSequenceRow.last))
        )
        value = self._session.exec(stmt).scalar_one_or_none()
        return int(value) if value is not None else None

    def _create(self, kind: Kind) -> None:
        stmt = dialect_insert(self._session, IdSequenceRow).values(workspace_id=self._ws, kind=Kind(kind).value, last=0)
        self._session.exec(stmt.on_conflict_do_nothing(index_elements=["workspace_id", "kind"]))


class SqlSettingsRepo(_Repo):
    def get(self, key: str) -> Any:
        row = self._one(SettingRow, key=key)
        return row.value if row is not None else None

    def set(self, key: str, value: Any) -> None:
        _upsert(self._session, SettingRow, {"workspace_id": self._ws, "key": key, "value": value},
                ["workspace_id", "key"])  # fmt: skip

    def all(self) -> dict[str, Any]:
        rows = self._session.exec(self._select(SettingRow).order_by(col(SettingRow.key)))
        return {r.key: r.value for r in rows}
