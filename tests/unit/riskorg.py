"""A healthy organisation as plain records, for risk tests to break one thing at a time.

product (lead ada)            P-1 org "Grow", owner ada, due 2027-06-30
  payments (lead bob, pia)    P-2 aligned to P-1, owner bob, due 2027-03-01
  ledger (lead lena, leo)     P-3 aligned to P-1, owner lena, due 2027-03-01
D-1 payments → ledger, accepted by leo, needed 2026-12-10, committed 2026-12-10, for P-2
D-2 ledger → payments, delivered on time last month, for P-3
B-1 resolved long ago; B-2 open since yesterday.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from core.model import (
    Blocker,
    BlockerState,
    Dependency,
    DepState,
    Event,
    Person,
    Priority,
    Status,
    Team,
    Workspace,
)
from core.risk_engine import assess
from core.risks import Risk, RiskKind, Thresholds
from core.snapshot import Participation, Snapshot

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
"""A Monday."""
TODAY = NOW.date()


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


@dataclass
class OrgRecords:
    people: list[Person] = field(default_factory=list)
    teams: list[Team] = field(default_factory=list)
    priorities: dict[int, Priority] = field(default_factory=dict)
    dependencies: dict[int, Dependency] = field(default_factory=dict)
    blockers: dict[int, Blocker] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    participation: list[Participation] = field(default_factory=list)
    skip_dates: dict[str, frozenset[str]] = field(default_factory=dict)

    def p(self, number: int, **changes: Any) -> Priority:
        self.priorities[number] = replace(self.priorities[number], **changes)
        return self.priorities[number]

    def d(self, number: int, **changes: Any) -> Dependency:
        self.dependencies[number] = replace(self.dependencies[number], **changes)
        return self.dependencies[number]

    def add_priority(self, number: int, team: str | None, **kw: Any) -> Priority:
        kw.setdefault("owner", "ada")
        kw.setdefault("due", date(2027, 3, 1))
        kw.setdefault("confidence", 80)
        kw.setdefault("title", f"Priority {number}")
        kw.setdefault("updated_at", ago(2))
        self.priorities[number] = Priority(number=number, team=team, created_at=ago(30), **kw)
        return self.priorities[number]

    def add_dep(self, number: int, frm: str, to: str, **kw: Any) -> Dependency:
        kw.setdefault("needed_by", date(2026, 12, 10))
        kw.setdefault("created_at", ago(1))
        kw.setdefault("updated_at", kw["created_at"])
        self.dependencies[number] = Dependency(number=number, from_team=frm, to_team=to, what=f"thing {number}", **kw)
        return self.dependencies[number]

    def add_blocker(self, number: int, **kw: Any) -> Blocker:
        kw.setdefault("raised_by", "pia")
        kw.setdefault("raised_at", ago(1))
        kw.setdefault("team", "payments")
        self.blockers[number] = Blocker(number=number, text=f"blocker {number}", **kw)
        return self.blockers[number]

    def snapshot(self) -> Snapshot:
        return Snapshot(
            workspace=Workspace("acme"),
            people=tuple(self.people),
            teams=tuple(self.teams),
            priorities=tuple(self.priorities[k] for k in sorted(self.priorities)),
            dependencies=tuple(self.dependencies[k] for k in sorted(self.dependencies)),
            blockers=tuple(self.blockers[k] for k in sorted(self.blockers)),
            events=tuple(sorted(self.events, key=lambda e: e.at)),
            participation=tuple(self.participation),
            skip_dates=dict(self.skip_dates),
        )

    def risks(self, now: datetime = NOW, thresholds: Thresholds | None = None) -> list[Risk]:
        return assess(self.snapshot(), now, thresholds or Thresholds())

    def of(self, kind: RiskKind, **kw: Any) -> list[Risk]:
        return [r for r in self.risks(**kw) if r.kind is kind]


def healthy() -> OrgRecords:
    o = OrgRecords()
    o.people = [Person("ada", "Ada", admin=True), Person("bob", "Bob"), Person("pia", "Pia"),
                Person("lena", "Lena"), Person("leo", "Leo")]  # fmt: skip
    o.teams = [
        Team("ledger", "Ledger", parent="product", leads=["lena"], members=["lena", "leo"], channel="ledger"),
        Team("payments", "Payments", parent="product", leads=["bob"], members=["bob", "pia"], channel="payments"),
        Team("product", "Product", leads=["ada"], members=["ada"], channel="product"),
    ]
    o.add_priority(1, None, title="Grow", due=date(2027, 6, 30))
    o.add_priority(2, "payments", parent=1, owner="bob")
    o.add_priority(3, "ledger", parent=1, owner="lena")
    o.add_dep(1, "payments", "ledger", for_priority=2, state=DepState.ACCEPTED, committed=date(2026, 12, 10),
              requester_owner="pia", provider_owner="leo", answered_at=ago(1))  # fmt: skip
    o.add_dep(2, "ledger", "payments", for_priority=3, state=DepState.DELIVERED, needed_by=date(2026, 10, 30),
              committed=date(2026, 10, 30), created_at=ago(50), answered_at=ago(49), delivered_at=ago(30),
              requester_owner="leo", provider_owner="bob")  # fmt: skip
    o.add_blocker(1, raised_at=ago(60), state=BlockerState.RESOLVED, resolved_by="bob", resolved_at=ago(55))
    o.add_blocker(2, raised_at=ago(1), on="D-1")
    o.participation = [Participation("payments", 10, 9), Participation("ledger", 10, 7)]
    return o


def updated(subject: str, at: datetime, before: dict[str, Any], after: dict[str, Any]) -> Event:
    return Event(at=at, actor="bob", kind="priority.updated", subject=subject,
                 data={"before": before, "after": after, "note": None})  # fmt: skip


__all__ = ["NOW", "TODAY", "OrgRecords", "Status", "ago", "healthy", "updated"]
