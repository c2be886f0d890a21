"""Repositories of the operating rhythm: rhythms and away ranges, check-in runs and responses,
step claims and the outbox. Same rules as storage.repos: one workspace, the caller's transaction,
no commits."""

from __future__ import annotations

import copy
import functools
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, delete, update

from core.outbox import payload_from_json, payload_json
from core.ports import PENDING, OutboxMessage
from core.rhythm import (
    Away,
    Response,
    Rhythm,
    Run,
    RunKind,
    Step,
    rhythm_from_json,
    rhythm_json,
)
from storage.repos import _aware, _aware_or_none, _Repo, _upsert, dialect_insert
from storage.tables import (
    AwayRow,
    CheckinResponseRow,
    CheckinRunRow,
    ClaimRow,
    OutboxRow,
    RhythmRow,
    RhythmSkipRow,
)


class SqlRhythmRepo(_Repo):
    def get(self, team: str) -> Rhythm | None:
        row = self._one(RhythmRow, team=team)
        if row is None:
            return None
        skips = self._where(RhythmSkipRow, team=team)
        return self._rhythm(row, [s.day.isoformat() for s in skips])

    def list(self) -> Sequence[Rhythm]:
        rows = self._session.exec(self._select(RhythmRow).order_by(col(RhythmRow.team))).all()
        skips: dict[str, list[str]] = {}
        for s in self._session.exec(self._select(RhythmSkipRow)):
            skips.setdefault(s.team, []).append(s.day.isoformat())
        return [self._rhythm(r, skips.get(r.team, [])) for r in rows]

    @staticmethod
    def _rhythm(row: RhythmRow, skip: Sequence[str]) -> Rhythm:
        data = {"team": row.team, "tz": row.tz, "paused": row.paused, "standup": row.standup,
                "weekly": row.weekly, "skip": sorted(skip)}  # fmt: skip
        return rhythm_from_json(copy.deepcopy(data))

    def save(self, rhythm: Rhythm) -> None:
        data = rhythm_json(rhythm)
        values = {"workspace_id": self._ws, "team": rhythm.team, "tz": rhythm.tz, "paused": rhythm.paused,
                  "standup": data["standup"], "weekly": data["weekly"]}  # fmt: skip
        _upsert(self._session, RhythmRow, values, ["workspace_id", "team"])
        self._session.exec(
            delete(RhythmSkipRow).where(
                col(RhythmSkipRow.workspace_id) == self._ws, col(RhythmSkipRow.team) == rhythm.team
            )
        )
        days = sorted(set(rhythm.skip))
        if days:
            rows = [{"workspace_id": self._ws, "team": rhythm.team, "day": d} for d in days]
            self._session.exec(dialect_insert(self._session, RhythmSkipRow).values(rows))

    def aways(self, person: str | None = None) -> Sequence[Away]:
        rows = self._where(AwayRow, person=person) if person is not None else self._where(AwayRow)
        return [
            Away(person=r.person, start=r.start, end=r.end) for r in sorted(rows, key=lambda r: (r.person, r.start))
        ]

    def set_aways(self, person: str, ranges: Sequence[Away]) -> None:
        self._session.exec(delete(AwayRow).where(col(AwayRow.workspace_id) == self._ws, col(AwayRow.person) == person))
        rows = [{"workspace_id": self._ws, "person": person, "start": a.start, "end": a.end} for a in ranges]
        if rows:
            self._session.exec(dialect_insert(self._session, AwayRow).values(rows))


class SqlCheckinRepo(_Repo):
    def run(self, team: str, kind: RunKind, period: str) -> Run | None:
        row = self._one(CheckinRunRow, team=team, kind=RunKind(kind).value, period=period)
        return _run(row) if row is not None else None

    def runs(self, since: datetime | None = None) -> Sequence[Run]:
        stmt = self._select(CheckinRunRow)
        if since is not None:
            stmt = stmt.where(col(CheckinRunRow.opens_at) >= _aware(since))
        stmt = stmt.order_by(col(CheckinRunRow.opens_at), col(CheckinRunRow.team), col(CheckinRunRow.kind))
        return [_run(r) for r in self._session.exec(stmt)]

    def save_run(self, run: Run) -> None:
        values = {
            "workspace_id": self._ws, "team": run.team, "kind": RunKind(run.kind).value, "period": run.period,
            "day": run.day, "tz": run.tz, "opens_at": _aware(run.opens_at), "closes_at": _aware(run.closes_at),
            "digest_at": _aware(run.digest_at), "prompted_at": _aware_or_none(run.prompted_at),
            "digested_at": _aware_or_none(run.digested_at), "closed": run.closed, "questions": list(run.questions),
            "expected": list(run.expected), "away": list(run.away), "reminded": list(run.reminded),
            "priorities": dict(run.priorities),
        }  # fmt: skip
        _upsert(self._session, CheckinRunRow, values, ["workspace_id", "team", "kind", "period"])

    def response(self, team: str, kind: RunKind, period: str, person: str) -> Response | None:
        row = self._one(CheckinResponseRow, team=team, kind=RunKind(kind).value, period=period, person=person)
        return _response(row) if row is not None else None

    def responses(
        self, team: str | None = None, kind: RunKind | None = None, period: str | None = None
    ) -> Sequence[Response]:
        wanted = {"team": team, "kind": None if kind is None else RunKind(kind).value, "period": period}
        rows = self._where(CheckinResponseRow, **{k: v for k, v in wanted.items() if v is not None})
        return [_response(r) for r in sorted(rows, key=lambda r: (r.answered_at, r.person))]

    def save_response(self, response: Response) -> None:
        r = response
        values = {
            "workspace_id": self._ws, "team": r.team, "kind": RunKind(r.kind).value, "period": r.period,
            "person": r.person, "answered_at": _aware(r.answered_at), "updated_at": _aware(r.updated_at),
            "answers": list(r.answers), "updates": copy.deepcopy(r.updates), "late": r.late, "blocker": r.blocker,
        }  # fmt: skip
        _upsert(self._session, CheckinResponseRow, values, ["workspace_id", "team", "kind", "period", "person"])


def _run(row: CheckinRunRow) -> Run:
    return Run(
        team=row.team, kind=RunKind(row.kind), period=row.period, day=row.day, opens_at=row.opens_at,
        closes_at=row.closes_at, digest_at=row.digest_at, tz=row.tz, prompted_at=row.prompted_at,
        digested_at=row.digested_at, closed=row.closed, expected=list(row.expected), away=list(row.away),
        reminded=list(row.reminded), questions=list(row.questions), priorities=dict(row.priorities),
    )  # fmt: skip


def _response(row: CheckinResponseRow) -> Response:
    return Response(
        team=row.team, kind=RunKind(row.kind), period=row.period, person=row.person, answered_at=row.answered_at,
        updated_at=row.updated_at, answers=list(row.answers), updates=copy.deepcopy(row.updates), late=row.late,
        blocker=row.blocker,
    )  # fmt: skip


class SqlClaimRepo(_Repo):
    def claim(
        self, team: str, kind: RunKind, period: str, step: Step, at: datetime, outcome: str = "done", zone: str = ""
    ) -> bool:
        """INSERT ... ON CONFLICT DO NOTHING RETURNING: on PostgreSQL a concurrent claimer of the
        same key waits for the first transaction, then finds the row (or inserts it, if the first
        rolled back)."""
        values = {"workspace_id": self._ws, "team": team, "kind": RunKind(kind).value, "period": period,
                  "step": Step(step).value, "zone": zone, "claimed_at": _aware(at), "outcome": outcome}  # fmt: skip
        stmt = _claim_statement(self._session.get_bind().dialect.name)
        return self._session.connection().execute(stmt, values).first() is not None

    def list(self) -> Sequence[tuple[str, str, str, str, str]]:
        stmt = self._select(ClaimRow).order_by(col(ClaimRow.team), col(ClaimRow.kind), col(ClaimRow.period),
                                               col(ClaimRow.step), col(ClaimRow.zone))  # fmt: skip
        return [(r.team, r.kind, r.period, f"{r.step}@{r.zone}" if r.zone else r.step, r.outcome)
                for r in self._session.exec(stmt)]  # fmt: skip


@functools.cache
def _claim_statement(dialect: str) -> Any:
    table: Any = ClaimRow.__table__  # type: ignore[attr-defined]
    insert = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    keys = ["workspace_id", "team", "kind", "period", "step", "zone"]
    return insert.on_conflict_do_nothing(index_elements=keys).returning(table.c.step)


@functools.cache
def _outbox_insert(dialect: str) -> Any:
    table: Any = OutboxRow.__table__  # type: ignore[attr-defined]
    insert = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    # preserve_rowcount: read the driver's rowcount before SQLAlchemy closes the cursor.
    return insert.on_conflict_do_nothing(index_elements=["workspace_id", "key"]).execution_options(
        preserve_rowcount=True
    )


class SqlOutboxRepo(_Repo):
    def add(self, message: OutboxMessage) -> bool:
        return self.add_all([message]) == 1

    def add_all(self, messages: Sequence[OutboxMessage]) -> int:
        """Queue `messages`; a key already queued is left alone. Returns how many were new.
        Core executemany on the session's connection, without the ORM's per-row bookkeeping and
        without RETURNING: the drivers (pysqlite, psycopg 3) report the true rowcount of an
        executemany, and psycopg 3 sends it as one pipeline of a statement it parses once, where a
        multi-row VALUES with RETURNING is a new long query for it to parse on every call."""
        if not messages:
            return 0
        stmt = _outbox_insert(self._session.get_bind().dialect.name)
        rows = [self._values(m) for m in messages]
        return int(self._session.connection().execute(stmt, rows).rowcount)

    def _values(self, m: OutboxMessage) -> dict[str, Any]:
        return {
            "workspace_id": self._ws, "key": m.key, "channel": m.channel, "person": m.person, "thread": m.thread,
            "payload": payload_json(m), "state": m.state, "attempts": m.attempts,
            "in_thread": m.in_thread, "ephemeral": m.ephemeral, "uncertain": m.uncertain,
            "next_attempt_at": _aware(m.next_attempt_at or m.created_at), "created_at": _aware(m.created_at),
            "sent_at": _aware_or_none(m.sent_at), "error": m.error,
        }  # fmt: skip

    def claim(self, now: datetime, limit: int, lease: str, lease_for: timedelta) -> Sequence[OutboxMessage]:
        at = _aware(now)
        clock = _database_now(self._session)
        free = col(OutboxRow.lease_until).is_(None) | (col(OutboxRow.lease_until) <= clock)
        stmt = (
            self._select(OutboxRow)
            .where(OutboxRow.state == PENDING, col(OutboxRow.next_attempt_at) <= at, free)
            .order_by(col(OutboxRow.id))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        rows = list(self._session.exec(stmt))
        if not rows:
            return []
        # A row still carrying a lease was claimed before and never recorded: its drainer may have
        # sent it and died. Say so, so that the delivery looks before it sends again.
        messages = [_message(r) for r in rows]
        for m, r in zip(messages, rows, strict=True):
            m.uncertain = m.uncertain or r.lease is not None
        self._session.exec(
            update(OutboxRow)
            .where(col(OutboxRow.workspace_id) == self._ws, col(OutboxRow.id).in_([m.id for m in messages]))
            .values(
                lease=lease,
                lease_until=clock + lease_for,
                uncertain=col(OutboxRow.uncertain) | col(OutboxRow.lease).is_not(None),
            )  # fmt: skip
            .execution_options(synchronize_session=False)
        )
        return messages

    def record(self, message: OutboxMessage, lease: str) -> bool:
        m = message
        result = self._session.exec(
            update(OutboxRow)
            .where(col(OutboxRow.workspace_id) == self._ws, col(OutboxRow.id) == m.id, col(OutboxRow.lease) == lease)
            .values(
                state=m.state,
                attempts=m.attempts,
                next_attempt_at=_aware(m.next_attempt_at or m.created_at),
                sent_at=_aware_or_none(m.sent_at),
                error=m.error,
                uncertain=m.uncertain,
                lease=None,
                lease_until=None,
            )  # fmt: skip
        )
        return bool(result.rowcount)

    def release(self, ids: Sequence[int], lease: str) -> None:
        if ids:
            self._session.exec(
                update(OutboxRow)
                .where(col(OutboxRow.workspace_id) == self._ws, col(OutboxRow.id).in_(list(ids)),
                       col(OutboxRow.lease) == lease)
                .values(lease=None, lease_until=None)
                .execution_options(synchronize_session=False)
            )  # fmt: skip

    def list(self, state: str | None = None) -> Sequence[OutboxMessage]:
        stmt = self._select(OutboxRow)
        if state is not None:
            stmt = stmt.where(OutboxRow.state == state)
        return [_message(r) for r in self._session.exec(stmt.order_by(col(OutboxRow.id)))]


def _database_now(session: Any) -> Any:
    """Now by the database's clock (leases: every process agrees); SQLite's is this machine's."""
    if session.get_bind().dialect.name == "postgresql":
        return func.clock_timestamp()
    return datetime.now(UTC)


def _message(row: OutboxRow) -> OutboxMessage:
    lines, offers = payload_from_json(row.payload)
    return OutboxMessage(
        key=row.key, lines=lines, offers=offers, created_at=row.created_at, channel=row.channel,
        person=row.person, thread=row.thread, id=row.id, state=row.state, attempts=row.attempts,
        next_attempt_at=row.next_attempt_at, sent_at=row.sent_at, error=row.error, in_thread=row.in_thread,
        ephemeral=row.ephemeral, uncertain=row.uncertain,
    )  # fmt: skip
