"""What the risk engine finds: typed, scored, with the ids it rests on and who should act."""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field, fields
from typing import Any


class RiskKind(enum.StrEnum):
    """The `kind` values of SPEC.md's `risks --json` contract."""

    OVERDUE_DEPENDENCY = "overdue_dependency"
    UNANSWERED_REQUEST = "unanswered_request"
    DUE_SOON_UNACCEPTED = "due_soon_unaccepted"
    BLOCKED_DEPENDENCY = "blocked_dependency"
    STALE_BLOCKER = "stale_blocker"
    ENDANGERED_PRIORITY = "endangered_priority"
    SCHEDULE_CONFLICT = "schedule_conflict"
    STALE_PRIORITY = "stale_priority"
    FALLING_CONFIDENCE = "falling_confidence"
    AT_RISK_PRIORITY = "at_risk_priority"
    UNOWNED_PRIORITY = "unowned_priority"
    UNALIGNED_PRIORITY = "unaligned_priority"
    UNSUPPORTED_PRIORITY = "unsupported_priority"
    TEAM_OVERLOAD = "team_overload"
    LOW_PARTICIPATION = "low_participation"
    DEPENDENCY_CYCLE = "dependency_cycle"
    OVERDUE_PRIORITY = "overdue_priority"
    ROLLUP_MISMATCH = "rollup_mismatch"


HIGH = 70
"""A risk is *high* when its score is at least this. The one definition: `risks`, `summary` and the
leader briefing all count and say "high" by it."""


def is_high(score: int) -> bool:
    return score >= HIGH


@dataclass(frozen=True)
class Risk:
    kind: RiskKind
    score: int
    """0-100, higher is worse; the list is ranked by it."""
    subject: str
    """The id (P-3, D-7, B-2) or team handle the risk is about."""
    evidence: tuple[str, ...]
    """Ids and team handles it rests on; the subject first."""
    owner: str | None
    """The person handle who should act (None when nobody owns it: that is itself the problem)."""
    action: str
    """One sentence: what the owner should do."""
    why: str = ""
    """One line of explanation for chat, built from the data (never user text)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "score": self.score,
            "subject": self.subject,
            "evidence": list(self.evidence),
            "owner": self.owner,
            "action": self.action,
            "acknowledged": None,
        }


@dataclass(frozen=True)
class Thresholds:
    """Defaults that suit most organisations; each can be set per workspace (settings key `risk`)."""

    unanswered_working_days: int = 2
    due_soon_working_days: int = 5
    stale_blocker_days: int = 5
    stale_priority_days: int = 14
    confidence_drop: int = 20
    overload_incoming_dependencies: int = 8
    overload_priorities: int = 6
    participation_floor: float = 0.5
    escalation_days: int = 5
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, value: Any) -> Thresholds:
        """Read the workspace's `risk` setting; unknown keys are ignored, bad values refused upstream."""
        if not isinstance(value, dict):
            return cls()
        known = {f.name for f in fields(cls)} - {"extra"}
        return cls(**{k: v for k, v in value.items() if k in known})

    def to_settings(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("extra")
        return data
