"""Repositories of what leaders set: acknowledged risks, weekly briefing schedules and the claims
that send each briefing once. Same rules as storage.repos: one workspace, the caller's transaction,
no commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time

from sqlmodel import col, delete

from core.acks import Ack
from core.briefing import BriefingSchedule
from core.model import SlipAlert
from core.risks import RiskKind
from storage.repos import _aware, _Repo, _upsert, dialect_insert
from storage.tables import BriefingClaimRow, BriefingRow, RiskAckRow, SlipAlertRow


class SqlAckRepo(_Repo):
    def list(self) -> Sequence[Ack]:
        stmt = self._select(RiskAckRow).order_by(col(RiskAckRow.subject), col(RiskAckRow.kind))
        return [_ack(r) for r in self._session.exec(stmt)]

    def save(self, ack: Ack) -> None:
        subject, kind = ack.key
        values = {"workspace_id": self._ws, "subject": subject, "kind": kind, "by": ack.by, "until": ack.until,
                  "note": ack.note, "at": _aware(ack.at), "scores": dict(ack.scores)}  # fmt: skip
        _upsert(self._session, RiskAckRow, values, ["workspace_id", "subject", "kind"])

    def delete(self, subject: str, kind: RiskKind | None) -> None:
        self._session.exec(
            delete(RiskAckRow).where(
                col(RiskAckRow.workspace_id) == self._ws,
                col(RiskAckRow.subject) == subject,
                col(RiskAckRow.kind) == (kind.value if kind else ""),
            )
        )


def _ack(row: RiskAckRow) -> Ack:
    return Ack(subject=row.subject, kind=RiskKind(row.kind) if row.kind else None, by=row.by, until=row.until,
               note=row.note, at=row.at, scores={str(k): int(v) for k, v in (row.scores or {}).items()})  # fmt: skip


class SqlBriefingRepo(_Repo):
    def get(self, scope: str) -> BriefingSchedule | None:
        row = self._session.exec(self._select(BriefingRow).where(BriefingRow.scope == scope)).first()
        return _schedule(row) if row is not None else None

    def list(self) -> Sequence[BriefingSchedule]:
        return [_schedule(r) for r in self._session.exec(self._select(BriefingRow).order_by(col(BriefingRow.scope)))]

    def save(self, schedule: BriefingSchedule) -> None:
        values = {"workspace_id": self._ws, "scope": schedule.scope, "day": schedule.day,
                  "at": schedule.at.strftime("%H:%M"), "tz": schedule.tz}  # fmt: skip
        _upsert(self._session, BriefingRow, values, ["workspace_id", "scope"])

    def claim(self, scope: str, person: str, period: str, at: datetime, outcome: str = "sent") -> bool:
        """INSERT ... ON CONFLICT DO NOTHING RETURNING, as SqlClaimRepo.claim: a concurrent claimer of the same
        (scope, person, week) waits for the first transaction, then finds the row."""
        values = {"workspace_id": self._ws, "scope": scope, "person": person, "period": period,
                  "claimed_at": _aware(at), "outcome": outcome}  # fmt: skip
        stmt = dialect_insert(self._session, BriefingClaimRow).values(values)
        stmt = stmt.on_conflict_do_nothing(index_elements=["workspace_id", "scope", "person", "period"])
        return self._session.exec(stmt.returning(col(BriefingClaimRow.person))).first() is not None

    def claimed(self, scope: str | None = None) -> Sequence[tuple[str, str, str, str]]:
        """(scope, person, period, outcome) of every claim, optionally of one scope."""
        stmt = self._select(BriefingClaimRow)
        if scope is not None:
            stmt = stmt.where(BriefingClaimRow.scope == scope)
        stmt = stmt.order_by(col(BriefingClaimRow.period), col(BriefingClaimRow.scope), col(BriefingClaimRow.person))
        return [(r.scope, r.person, r.period, r.outcome) for r in self._session.exec(stmt)]


def _schedule(row: BriefingRow) -> BriefingSchedule:
    return BriefingSchedule(scope=row.scope, day=row.day, at=time.fromisoformat(row.at), tz=row.tz)


_SLIP_KEY = ["workspace_id", "dependency", "change", "person"]


class SqlSlipAlertRepo(_Repo):
    def add(self, alert: SlipAlert) -> bool:
        """INSERT ... ON CONFLICT DO NOTHING RETURNING: a concurrent writer of the same (dependency,
        change, person) waits for the first transaction, then finds the row."""
        values = {"workspace_id": self._ws, "dependency": alert.dependency, "change": alert.change,
                  "person": alert.person, "created_at": _aware(alert.created_at), "state": alert.state,
                  "settled_at": _aware(alert.settled_at) if alert.settled_at else None}  # fmt: skip
        stmt = dialect_insert(self._session, SlipAlertRow).values(values)
        stmt = stmt.on_conflict_do_nothing(index_elements=_SLIP_KEY)
        return self._session.exec(stmt.returning(col(SlipAlertRow.person))).first() is not None

    def list(self, dependency: int | None = None, state: str | None = None) -> Sequence[SlipAlert]:
        stmt = self._select(SlipAlertRow)
        if dependency is not None:
            stmt = stmt.where(SlipAlertRow.dependency == dependency)
        if state is not None:
            stmt = stmt.where(SlipAlertRow.state == state)
        stmt = stmt.order_by(col(SlipAlertRow.created_at), col(SlipAlertRow.dependency), col(SlipAlertRow.change),
                             col(SlipAlertRow.person))  # fmt: skip
        return [SlipAlert(dependency=r.dependency, change=r.change, person=r.person, created_at=r.created_at,
                          state=r.state, settled_at=r.settled_at) for r in self._session.exec(stmt)]  # fmt: skip

    def save(self, alert: SlipAlert) -> None:
        values = {"workspace_id": self._ws, "dependency": alert.dependency, "change": alert.change,
                  "person": alert.person, "created_at": _aware(alert.created_at), "state": alert.state,
                  "settled_at": _aware(alert.settled_at) if alert.settled_at else None}  # fmt: skip
        _upsert(self._session, SlipAlertRow, values, _SLIP_KEY)
