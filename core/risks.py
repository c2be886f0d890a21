"""What the risk engine finds: typed, scored, with the ids it rests on and who should act."""

from __future__ import annotations

import enum
import math
from dataclasses import asdict, dataclass, field
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


LIMITS: dict[str, tuple[int, int, str]] = {
    "unanswered_working_days": (1, 60, "a request unanswered for more than this many working days"),
    "due_soon_working_days": (1, 60, "a dependency due within this many working days and not accepted or blocked"),
    "stale_blocker_days": (1, 365, "a blocker or blocked dependency open this many days"),
    "stale_priority_days": (1, 365, "a priority with no update for this many days"),
    "confidence_drop": (1, 100, "confidence falling by this many points over the last two updates"),
    "overload_incoming_dependencies": (1, 10_000, "a team with more open incoming dependencies than this"),
    "overload_priorities": (1, 10_000, "a team with more open priorities than this"),
    "participation_floor": (0, 100, "check-in participation below this percentage over two weeks"),
    "escalation_days": (1, 365, "a blocker or blocked dependency open this many days is escalated"),
}
"""Each threshold's name -> (lowest, highest, what it means); participation_floor is typed in percent
and stored as a fraction."""
PERCENT_THRESHOLDS = frozenset({"participation_floor"})


def typed_ok(name: str, number: int) -> bool:
    """Whether a threshold as people type it (a whole number; a percentage for the floor) is allowed."""
    low, high, _ = LIMITS[name]
    return low <= number <= high


def stored_ok(name: str, value: Any) -> bool:
    """Whether a threshold as stored (the floor as a fraction 0-1) is one `risks thresholds` could set."""
    if name in PERCENT_THRESHOLDS:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            return False
        hundredths = round(value * 100)
        return abs(value * 100 - hundredths) < 1e-6 and typed_ok(name, hundredths)
    return isinstance(value, int) and not isinstance(value, bool) and typed_ok(name, value)


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
        """Read the workspace's `risk` setting. `risks thresholds` and import let only valid values
        in (core.rules.stored_threshold); anything else (a database edited by hand) is read as the
        default, so one bad value never stops `risks` or `summary`."""
        if not isinstance(value, dict):
            return cls()
        return cls(**{k: v for k, v in value.items() if k in LIMITS and stored_ok(k, v)})

    def to_settings(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("extra")
        return data
