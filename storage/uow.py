"""The SQL unit of work: one session, one transaction, one workspace."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Self

from sqlalchemy import Engine, bindparam, func
from sqlalchemy import select as sa_select
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from core import rules
from core.ports import (
    AckRepo,
    BlockerRepo,
    BriefingRepo,
    CheckinRepo,
    ClaimRepo,
    DependencyRepo,
    EventRepo,
    IdSequences,
    OutboxRepo,
    PeopleRepo,
    PriorityRepo,
    RhythmRepo,
    SettingsRepo,
    SlipAlertRepo,
    TeamRepo,
    UnitOfWork,
    UnitOfWorkFactory,
    WorkspaceRepo,
)
from storage.leader_repos import SqlAckRepo, SqlBriefingRepo, SqlSlipAlertRepo
from storage.migrate import ensure_schema
from storage.repos import (
    SqlBlockerRepo,
    SqlDependencyRepo,
    SqlEventRepo,
    SqlIdSequences,
    SqlPeopleRepo,
    SqlPriorityRepo,
    SqlSettingsRepo,
    SqlTeamRepo,
    SqlWorkspaceRepo,
    dialect_insert,
)
from storage.rhythm_repos import SqlCheckinRepo, SqlClaimRepo, SqlOutboxRepo, SqlRhythmRepo
from storage.tables import WorkspaceRow

WORKSPACE_LOCK = 0x466C6F74  # "Flot": the advisory-lock namespace; the workspace id is the key


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, class_=Session, expire_on_commit=False)


class SqlUnitOfWork:
    """Implements core.ports.UnitOfWork. Each `with` block opens a fresh session; leaving the
    block rolls back whatever was not committed (an exception inside leaves nothing behind)."""

    workspace: WorkspaceRepo
    created: bool = False
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

    def __init__(
        self, sessions: sessionmaker[Session] | Engine, workspace_name: str, *, default_tz: str = "UTC"
    ) -> None:
        self._sessions = session_factory(sessions) if isinstance(sessions, Engine) else sessions
        self.workspace_name = workspace_name
        self.default_tz = default_tz
        self._session: Session | None = None

    @property
    def session(self) -> Session:
        """The open session, for storage code that needs a query the repositories lack."""
        if self._session is None:
            raise RuntimeError("the unit of work is not open: use `with uow:`")
        return self._session

    def __enter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError("the unit of work is already open")
        session = self._sessions()
        try:
            workspace_id, self.created = _workspace_in_transaction(session, self.workspace_name, self.default_tz)
        except BaseException:
            session.close()
            raise
        self._session = session
        self._workspace_id = workspace_id
        self.workspace = SqlWorkspaceRepo(session, workspace_id)
        self.people = SqlPeopleRepo(session, workspace_id)
        self.teams = SqlTeamRepo(session, workspace_id)
        self.priorities = SqlPriorityRepo(session, workspace_id)
        self.dependencies = SqlDependencyRepo(session, workspace_id)
        self.blockers = SqlBlockerRepo(session, workspace_id)
        self.events = SqlEventRepo(session, workspace_id)
        self.ids = SqlIdSequences(session, workspace_id)
        self.settings = SqlSettingsRepo(session, workspace_id)
        self.rhythms = SqlRhythmRepo(session, workspace_id)
        self.checkins = SqlCheckinRepo(session, workspace_id)
        self.claims = SqlClaimRepo(session, workspace_id)
        self.outbox = SqlOutboxRepo(session, workspace_id)
        self.acks = SqlAckRepo(session, workspace_id)
        self.briefings = SqlBriefingRepo(session, workspace_id)
        self.slips = SqlSlipAlertRepo(session, workspace_id)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session, self._session = self.session, None
        try:
            session.rollback()
        finally:
            session.close()

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()

    def lock(self) -> None:
        """A transaction-scoped advisory lock on this workspace (PostgreSQL). SQLite needs none:
        every transaction there begins with BEGIN IMMEDIATE and so already has the write lock."""
        session = self.session
        if session.get_bind().dialect.name == "postgresql":
            session.exec(select(func.pg_advisory_xact_lock(WORKSPACE_LOCK, self._workspace_id)))


_WORKSPACE_ID = sa_select(WorkspaceRow.__table__.c.id).where(  # type: ignore[attr-defined]
    WorkspaceRow.__table__.c.name == bindparam("name")  # type: ignore[attr-defined]
)
"""Built once: every unit of work starts with it (the stand-up fan-out opens 500 in a row)."""


def _workspace_in_transaction(session: Session, name: str, tz: str) -> tuple[int, bool]:
    """The workspace's id, and whether this transaction created its row. A new workspace is
    inserted in the caller's transaction, so it exists only if that transaction commits: a read or
    a refused command leaves none behind. Racing creators are serialised by the unique name (on
    PostgreSQL the second insert waits for the first transaction, then finds its row)."""
    found = session.connection().execute(_WORKSPACE_ID, {"name": name}).scalar()
    if found is not None:
        return found, False
    lookup = select(WorkspaceRow.id).where(WorkspaceRow.name == name)
    rules.workspace_name(name)
    stmt = dialect_insert(session, WorkspaceRow).values(name=name, tz=tz, created_at=datetime.now(UTC))
    inserted = session.exec(stmt.on_conflict_do_nothing(index_elements=["name"]).returning(col(WorkspaceRow.id)))
    new_id = inserted.scalar_one_or_none()
    if new_id is not None:
        return int(new_id), True
    found = session.exec(lookup).first()
    if found is None:  # pragma: no cover - the conflicting row was committed before our insert
        raise RuntimeError(f"workspace {name!r} could not be created")
    return found, False


def _workspace_id(session: Session, name: str, tz: str) -> int:
    """The workspace's id, creating its row first if needed. A new workspace is committed at
    once, in its own short transaction: the insert is idempotent (ON CONFLICT DO NOTHING), so
    processes racing to create it all end up with the same row."""
    lookup = select(WorkspaceRow.id).where(WorkspaceRow.name == name)
    found = session.exec(lookup).first()
    if found is not None:
        return found
    stmt = dialect_insert(session, WorkspaceRow).values(name=name, tz=tz, created_at=datetime.now(UTC))
    session.exec(stmt.on_conflict_do_nothing(index_elements=["name"]))
    session.commit()
    found = session.exec(lookup).first()
    if found is None:  # pragma: no cover - just inserted or found by the conflict
        raise RuntimeError(f"workspace {name!r} could not be created")
    return found


class SqlUnitOfWorkFactory:
    """Implements core.ports.UnitOfWorkFactory: `factory("T0123")` gives a unit of work bound to
    that workspace. The schema is brought to head on first use; a workspace created by it
    starts in `default_tz`."""

    def __init__(self, engine: Engine, *, default_tz: str = "UTC") -> None:
        self.engine = engine
        self.default_tz = default_tz
        self._sessions = session_factory(engine)
        self._schema_ready = False
        self._lock = threading.Lock()

    def __call__(self, workspace: str) -> SqlUnitOfWork:
        if not self._schema_ready:
            with self._lock:
                if not self._schema_ready:
                    ensure_schema(self.engine)
                    self._schema_ready = True
        return SqlUnitOfWork(self._sessions, workspace, default_tz=self.default_tz)


def workspaces(engine: Engine) -> list[str]:
    """Names of every workspace in the database, sorted (for the scheduler and `export --all`)."""
    ensure_schema(engine)
    with Session(engine) as session:
        return list(session.exec(select(WorkspaceRow.name).order_by(col(WorkspaceRow.name))).all())


if TYPE_CHECKING:  # mypy checks that the classes satisfy the core's ports
    _uow: type[UnitOfWork] = SqlUnitOfWork
    _factory: type[UnitOfWorkFactory] = SqlUnitOfWorkFactory
