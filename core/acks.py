"""Acknowledged risks: "we own this, we are on it, until the 15th".

The same risks coming back every day teach people to ignore the bot. An acknowledgement says a
risk is owned, accepted or being mitigated: it stays in `risks --all` (marked with who, until when
and why) but leaves the top list, the escalation ladder and the briefings' attention list, until
its date passes or its score rises by RISE or more since it was acknowledged. A rise that large
means the situation changed, and whoever acknowledged it has not seen that yet.

An acknowledgement is of one subject (an id or a team handle) and either one kind of risk or every
kind the subject had when it was acknowledged: a new kind of trouble on the same record is news.
Pure: the rules here take the risks the engine found and the acknowledgements stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from core.offers import Offer, review_offers
from core.risks import Risk, RiskKind

RISE = 15
"""Points an acknowledged risk's score may rise before the acknowledgement lapses."""
MAX_DAYS = 92
"""The longest an acknowledgement may last: a quarter, then somebody looks again."""
REVIEW_DAYS = 7
"""How long an acknowledgement that ran out stays on the briefing's review list (one weekly briefing)."""


@dataclass(frozen=True)
class Ack:
    subject: str
    kind: RiskKind | None
    """None: every kind of risk the subject had when it was acknowledged."""
    by: str
    until: date
    """The last day it holds (in the workspace's time zone)."""
    note: str
    at: datetime
    scores: dict[str, int] = field(default_factory=dict)
    """Kind -> the risk's score when acknowledged: what a rise is measured from."""

    @property
    def key(self) -> tuple[str, str]:
        return (self.subject, self.kind.value if self.kind else "")

    def covers(self, risk: Risk) -> bool:
        if risk.subject != self.subject:
            return False
        if self.kind is not None:
            return risk.kind is self.kind
        return risk.kind.value in self.scores

    def baseline(self, risk: Risk) -> int:
        return self.scores.get(risk.kind.value, risk.score)

    def to_json(self) -> dict[str, Any]:
        """The export's `acknowledgements[]` entry (SPEC: subject, kind, by, until, note), with when it
        was given and the scores it was given at, so that an import judges rises the same way."""
        return {
            "subject": self.subject,
            "kind": self.kind.value if self.kind else None,
            "by": self.by,
            "until": self.until.isoformat(),
            "note": self.note,
            "at": self.at.isoformat(),
            "scores": dict(sorted(self.scores.items())),
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Ack:
        scores = d.get("scores") or {}
        if not isinstance(scores, dict):
            raise ValueError("scores must be an object")
        return cls(
            subject=str(d["subject"]),
            kind=RiskKind(d["kind"]) if d.get("kind") else None,
            by=str(d["by"]),
            until=date.fromisoformat(d["until"]),
            note=str(d["note"]),
            at=datetime.fromisoformat(d["at"]),
            scores={str(RiskKind(k)): _score(v) for k, v in scores.items()},
        )


def _score(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        raise ValueError(f"a score must be a whole number 0-100, not {value!r}")
    return value


@dataclass(frozen=True)
class Judged:
    """One risk, with the acknowledgement that concerns it (if any) and whether it holds today."""

    risk: Risk
    ack: Ack | None = None
    lapsed: str | None = None
    """Why an acknowledgement no longer holds: "its date passed (2026-12-15)", "its score rose from 60 to 78"."""

    @property
    def quiet(self) -> bool:
        """Acknowledged and holding: left out of the top list, the ladder and the briefings."""
        return self.ack is not None and self.lapsed is None

    def acknowledged_json(self) -> dict[str, Any] | None:
        """SPEC's `acknowledged`: null, or who, until when and why (only while it holds)."""
        if not self.quiet or self.ack is None:
            return None
        return {"by": self.ack.by, "until": self.ack.until.isoformat(), "note": self.ack.note}

    def to_json(self) -> dict[str, Any]:
        return self.risk.to_json() | {"acknowledged": self.acknowledged_json()}


def applicable(acks: Iterable[Ack]) -> dict[str, list[Ack]]:
    """Acknowledgements by subject, one of a single kind before one of every kind."""
    out: dict[str, list[Ack]] = {}
    for a in acks:
        out.setdefault(a.subject, []).append(a)
    for found in out.values():
        found.sort(key=lambda a: a.kind is None)
    return out


def why_lapsed(ack: Ack, risk: Risk, today: date) -> str | None:
    if today > ack.until:
        return f"its date passed ({ack.until.isoformat()})"
    then = ack.baseline(risk)
    if risk.score >= then + RISE:
        return f"its score rose from {then} to {risk.score}"
    return None


def judge(risks: Sequence[Risk], acks: Iterable[Ack], today: date) -> list[Judged]:
    """Every risk in the order given, each with the acknowledgement covering it and whether it holds."""
    by_subject = applicable(acks)
    out: list[Judged] = []
    for r in risks:
        ack = next((a for a in by_subject.get(r.subject, ()) if a.covers(r)), None)
        out.append(Judged(r, ack, why_lapsed(ack, r, today) if ack is not None else None))
    return out


def loud(judged: Iterable[Judged]) -> list[Risk]:
    """The risks that still call for attention: not acknowledged, or acknowledged but come back."""
    return [j.risk for j in judged if not j.quiet]


def quiets(risks: Sequence[Risk], acks: Iterable[Ack], today: date) -> frozenset[tuple[str, RiskKind]]:
    """(subject, kind) of every acknowledged risk that holds today."""
    return frozenset((j.risk.subject, j.risk.kind) for j in judge(risks, acks, today) if j.quiet)


@dataclass(frozen=True)
class Review:
    """An acknowledgement due for review: its date has come, or the risk has come back."""

    ack: Ack
    why: str
    score: int | None
    """The risk's score now (None: the subject has no such risk any more)."""

    def commands(self, today: date) -> dict[str, str]:
        """What each button of the review would run: renew for a week, or end it now."""
        kind = f" --kind {self.ack.kind.value}" if self.ack.kind else ""
        until = (today + timedelta(days=7)).isoformat()
        note = self.ack.note.replace('"', "'")
        return {
            "renew": f'risks ack {self.ack.subject}{kind} --until {until} "{note}"',
            "end": f"risks unack {self.ack.subject}{kind}",
        }

    def offers(self, today: date) -> tuple[Offer, ...]:
        """The review's two buttons: renew for a week (its note kept), or end it now."""
        a, cmds = self.ack, self.commands(today)
        what = f"{a.subject} ({a.kind.value.replace('_', ' ')})" if a.kind else a.subject
        return review_offers(a.subject, a.kind.value if a.kind else None, what, cmds["renew"], cmds["end"])


def reviews(risks: Sequence[Risk], acks: Iterable[Ack], today: date) -> list[Review]:
    """Acknowledgements whose date has come (it ends today or ended in the last REVIEW_DAYS days) or whose
    risk rose by RISE or more, worst first. An acknowledgement whose risk is gone needs no review."""
    out: list[Review] = []
    by_subject: dict[str, list[Risk]] = {}
    for r in risks:
        by_subject.setdefault(r.subject, []).append(r)
    for a in acks:
        covered = [r for r in by_subject.get(a.subject, ()) if a.covers(r)]
        if not covered:
            continue
        worst = max(covered, key=lambda r: r.score)
        rose = next((r for r in covered if r.score >= a.baseline(r) + RISE), None)
        if rose is not None and today <= a.until:
            out.append(Review(a, f"its score rose from {a.baseline(rose)} to {rose.score}", worst.score))
        elif a.until == today:
            out.append(Review(a, "it ends today", worst.score))
        elif today - timedelta(days=REVIEW_DAYS) <= a.until < today:
            out.append(Review(a, f"it ended {a.until.isoformat()}", worst.score))
    out.sort(key=lambda v: (-(v.score or 0), v.ack.subject))
    return out
