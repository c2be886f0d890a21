"""What the weekly leader briefing says: what changed beneath a team (or the organisation) in the
last 7 days, the risks that still call for attention, and the acknowledgements due for review,
grouped by the org priority each thing serves. Every line cites ids.

Deterministic and bounded (groups, changes and risks are capped, text clipped), so it reads the
same for three teams or a thousand. A language model may write the opening paragraph from
`extract`, under the summary's grounding rules (core.narrative.check): otherwise the deterministic
opening is used.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from core.acks import Review
from core.model import OPEN_DEP_STATES, Dependency, DepState, Event
from core.offers import Offer
from core.orgindex import OrgIndex
from core.record_lines import change_segments
from core.reply import Line, Mention, Quote, Segment, line
from core.risks import HIGH, Risk, is_high
from core.snapshot import Participation, Snapshot
from core.summary import Scope, build_extract, in_scope, status_line

WINDOW = timedelta(days=7)
MAX_GROUPS = 6
MAX_CHANGES_PER_GROUP = 6
MAX_RISKS = 8
"""Risks needing attention shown in the whole briefing (the worst, in their groups)."""
MAX_REVIEWS = 6
MAX_EXTRACT_CHANGES = 20
TEXT = 70
LOOSE = "-"
"""The group of what serves no org priority."""


@dataclass(frozen=True)
class ChangeItem:
    """One thing that changed in the window, about one record."""

    id: str
    what: str
    """A short kind: status, confidence, delivered, blocked, declined, slipped, opened, resolved."""
    line: Line
    at: datetime


@dataclass
class _Group:
    changes: list[ChangeItem] = field(default_factory=list)
    risks: list[Risk] = field(default_factory=list)


@dataclass(frozen=True)
class Report:
    title: Line
    opening: Line
    """The deterministic opening paragraph (a language model may replace it)."""
    body: tuple[Line, ...]
    data: dict[str, Any]
    reviews: tuple[Review, ...]
    offers: tuple[Offer, ...] = ()
    """The reviews' buttons: renew each acknowledgement for a week, or end it."""
    make_extract: Callable[[], dict[str, Any]] = field(compare=False, repr=False, default=dict)
    """What a language model is sent (built only when one is configured: it costs an index of the org)."""

    def extract(self) -> dict[str, Any]:
        return self.make_extract()


def _clip(text: str | None, limit: int = TEXT) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _n(count: int, singular: str, plural: str | None = None) -> str:
    return f"{count} {singular if count == 1 else (plural or singular + 's')}"


_COUNTED = {  # in the order the opening says them
    "status": ("status change", "status changes"), "confidence": ("confidence change", "confidence changes"),
    "slipped": ("dependency slipped", "dependencies slipped"),
    "blocked": ("dependency blocked", "dependencies blocked"),
    "declined": ("dependency declined", "dependencies declined"),
    "delivered": ("dependency delivered", "dependencies delivered"),
    "opened": ("blocker opened", "blockers opened"), "resolved": ("blocker resolved", "blockers resolved"),
}  # fmt: skip


def _counted(n: int, what: str) -> str:
    one, many = _COUNTED.get(what, (what, what))
    return f"{n} {one if n == 1 else many}"


def _day(at: datetime, tz: Any) -> str:
    return at.astimezone(tz).strftime("%a")


def changes_in_window(
    index: OrgIndex, scope: Scope, events: Sequence[Event], start: datetime, now: datetime, today: date, tz: Any
) -> list[ChangeItem]:
    """Status and confidence changes (first before to last after, per priority), dependencies delivered,
    blocked, declined and slipped, blockers opened and resolved, in the window and the scope."""
    out: list[ChangeItem] = []
    moved: dict[str, tuple[dict[str, object], dict[str, object], Event]] = {}
    for e in events:
        if not start < e.at <= now or not scope.holds(index, (e.subject,)):
            continue
        if e.kind == "priority.updated":
            after = {k: v for k, v in (e.data.get("after") or {}).items() if k in ("status", "confidence")}
            if not after:
                continue
            was = e.data.get("before") or {}
            earliest, latest, _ = moved.get(e.subject, ({}, {}, e))
            moved[e.subject] = ({**{k: was.get(k) for k in after}, **earliest}, {**latest, **after}, e)
        elif e.kind == "dependency.delivered" and (d := index.dependencies.get(e.subject)) is not None:
            out.append(ChangeItem(d.id, "delivered", line(f"{d.id} delivered by {d.to_team} to {d.from_team} "
                                                          f"({_day(e.at, tz)})"), e.at))  # fmt: skip
        elif e.kind == "dependency.blocked" and (d := index.dependencies.get(e.subject)) is not None:
            still = " and still is" if d.state is DepState.BLOCKED else f", now {d.state.value}"
            head = f"{d.id} ({d.from_team} → {d.to_team}) blocked{still}"
            out.append(ChangeItem(d.id, "blocked", line(head, *_reason(e)), e.at))
        elif e.kind == "dependency.declined" and (d := index.dependencies.get(e.subject)) is not None:
            head = f"{d.id} declined by {d.to_team} ({d.from_team} asked)"
            out.append(ChangeItem(d.id, "declined", line(head, *_reason(e)), e.at))
        elif e.kind == "blocker.raised" and (b := index.blockers.get(e.subject)) is not None:
            on = f" on {b.on}" if b.on else ""
            out.append(ChangeItem(b.id, "opened", line(f"{b.id} opened{on} by ", Mention(b.raised_by), ": “",
                                                       Quote(_clip(b.text)), "”"), e.at))  # fmt: skip
        elif e.kind == "blocker.resolved" and (b := index.blockers.get(e.subject)) is not None:
            out.append(ChangeItem(b.id, "resolved", line(f"{b.id} resolved ({_day(e.at, tz)})"), e.at))
    for pid, (first, final, last) in moved.items():
        changed = {k: v for k, v in final.items() if first.get(k) != v}
        if changed:
            what = "status" if "status" in changed else "confidence"
            said = change_segments({k: first.get(k) for k in changed}, changed)
            out.append(ChangeItem(pid, what, line(f"{pid} ", *said, " (", Mention(last.actor), ")"), last.at))
    first_day = start.date()
    for d in index.snapshot.dependencies:  # 20,000 at the largest size: the cheap tests first
        if d.state not in OPEN_DEP_STATES:
            continue
        slipped = _slipped(d, start, first_day, today)
        if slipped is not None and scope.holds(index, (d.id,)):
            out.append(ChangeItem(d.id, "slipped", line(slipped), now))
    out.sort(key=lambda c: (c.at, c.id))
    return out


def _reason(e: Event) -> tuple[Segment, ...]:
    said = e.data.get("reason")
    return (": “", Quote(_clip(str(said))), "”") if said else ()


def _slipped(d: Dependency, start: datetime, first_day: date, today: date) -> str | None:
    """An open dependency that became overdue in the window, or was accepted for later than it was needed."""
    due = d.committed or d.needed_by
    if first_day <= due < today:
        return f"{d.id} ({d.from_team} → {d.to_team}) slipped: due {due.isoformat()}, still {d.state.value}"
    answered = d.answered_at
    if d.committed and d.committed > d.needed_by and answered is not None and answered > start:
        late = (d.committed - d.needed_by).days
        return f"{d.id} ({d.from_team} → {d.to_team}) accepted for {d.committed.isoformat()}, {_n(late, 'day')} late"
    return None


def _group_of(index: OrgIndex, record: str) -> str:
    top = index.org_priority(record)
    return top.id if top is not None else LOOSE


def _risk_line(r: Risk) -> list[Line]:
    who: tuple[Segment, ...] = (Mention(r.owner), ": ") if r.owner else ("nobody owns this yet: ",)
    return [line(f"    • {r.score} · {r.why}"), line("        → ", *who, r.action)]


def _participation(found: Sequence[Participation], teams: frozenset[str] | None) -> Line | None:
    shown = [p for p in found if p.expected > 0 and (teams is None or p.team in teams)]
    if not shown:
        return None
    shown.sort(key=lambda p: (p.rate, p.team))
    said = ", ".join(f"{p.team} {p.answered} of {p.expected} ({round(p.rate * 100)}%)" for p in shown[:8])
    more = f" and {len(shown) - 8} more teams" if len(shown) > 8 else ""
    return line(f"Check-ins answered this week, lowest first: {said}{more}.")


def build(
    snapshot: Snapshot,
    attention: Sequence[Risk],
    reviews: Sequence[Review],
    participation: Sequence[Participation],
    now: datetime,
    today: date,
    tz: Any,
    team: str | None = None,
) -> Report:
    """The briefing of `team` and every team beneath it (the organisation when None), at `now`.
    `attention`: the risks that still call for attention (acknowledged ones that hold left out)."""
    index = OrgIndex(snapshot)
    scope = Scope.of(index, team)
    start = now - WINDOW
    changed = changes_in_window(index, scope, snapshot.events, start, now, today, tz)
    risks = in_scope(index, attention, scope)
    top = risks[:MAX_RISKS]
    reviews = [v for v in reviews if scope.holds(index, (v.ack.subject,))][:MAX_REVIEWS]
    groups: dict[str, _Group] = {}
    for c in changed:
        groups.setdefault(_group_of(index, c.id), _Group()).changes.append(c)
    for r in top:
        groups.setdefault(_group_of(index, r.subject), _Group()).risks.append(r)

    def order(key: str) -> tuple[int, int, int, int]:
        g = groups[key]
        p = index.priorities.get(key)
        worst = max((r.score for r in g.risks), default=0)
        return (key == LOOSE, -worst, -len(g.changes), p.rank if p else 0)

    title = line(f"Leader briefing for {scope.label()}, the week to {today.isoformat()} (since "
                 f"{start.astimezone(tz).strftime('%a %Y-%m-%d')}):")  # fmt: skip
    high = sum(1 for r in risks if is_high(r.score))
    if changed:
        kinds: dict[str, int] = {}
        for c in changed:
            kinds[c.what] = kinds.get(c.what, 0) + 1
        said = ", ".join(_counted(kinds[what], what) for what in _COUNTED if what in kinds)
        first = f"This week: {said}."
    else:
        first = "Nothing changed in the last 7 days."
    if risks:
        verb = "calls" if len(risks) == 1 else "call"
        highs = f" ({high} high: score {HIGH} or more)" if high else ""
        attention_said = f" {_n(len(risks), 'risk')} {verb} for attention{highs}."
    else:
        attention_said = " No risk calls for attention."
    due = f" {_n(len(reviews), 'acknowledgement')} due for review." if reviews else ""
    opening = line(first + attention_said + due)

    body: list[Line] = []
    keys = sorted(groups, key=order)
    for key in keys[:MAX_GROUPS]:
        g = groups[key]
        body.append(line(""))
        p = index.priorities.get(key)
        if p is not None:
            body.append(status_line(p, index.rollups.get(p.number)))
        else:
            body.append(line("Under no org priority:"))
        if g.changes:
            body.append(line("  Changed:"))
            body += [line("    • ", *c.line) for c in g.changes[:MAX_CHANGES_PER_GROUP]]
            if len(g.changes) > MAX_CHANGES_PER_GROUP:
                where = f" --team {scope.team}" if scope.team else ""
                body.append(line(f"    • …and {len(g.changes) - MAX_CHANGES_PER_GROUP} more: "
                                 f"`history{where} --since {start.date().isoformat()}`"))  # fmt: skip
        if g.risks:
            body.append(line("  Needs attention:"))
            for r in g.risks:
                body += _risk_line(r)
    if len(keys) > MAX_GROUPS:
        body.append(line(f"…and {len(keys) - MAX_GROUPS} more org priorities with news: `summary`, `risks`."))
    if len(risks) > len(top):
        where = f" --team {scope.team}" if scope.team else ""
        body.append(line(f"{_n(len(risks) - len(top), 'more risk')} beneath it: `risks{where}`."))
    part = _participation(participation, scope.teams)
    if part is not None:
        body += [line(""), part]
    if reviews:
        body += [line(""), line("Acknowledged risks due for review:")]
        for v in reviews:
            a = v.ack
            what = f"{a.subject} ({a.kind.value.replace('_', ' ')})" if a.kind else a.subject
            now_said = f", now {v.score}" if v.score is not None else ""
            body.append(line(f"  • {what}: acknowledged by ", Mention(a.by), f" until {a.until.isoformat()} — {v.why}"
                             f"{now_said}: “", Quote(_clip(a.note)), "”"))  # fmt: skip

    def make_extract() -> dict[str, Any]:
        extract = build_extract(snapshot, top, MAX_RISKS, today=today, team=team)
        extract["window"] = {"from": start.date().isoformat(), "to": today.isoformat()}
        extract["changes"] = [{"id": c.id, "what": c.what,
                               "org_priority": _group_of(index, c.id).replace(LOOSE, "") or None}
                              for c in changed[-MAX_EXTRACT_CHANGES:]]  # fmt: skip
        extract["reviews"] = [{"subject": v.ack.subject, "why": v.why} for v in reviews]
        return extract

    data = {
        "scope": scope.team,
        "from": start.date().isoformat(),
        "to": today.isoformat(),
        "changes": [{"id": c.id, "what": c.what, "at": c.at.isoformat()} for c in changed],
        "risks": [r.to_json() for r in top],
        "reviews": [v.ack.to_json() | {"why": v.why, "score": v.score, "commands": v.commands(today)} for v in reviews],
        "narrative": None,
        "note": None,
    }
    offers = tuple(o for v in reviews for o in v.offers(today))
    return Report(title=title, opening=opening, body=tuple(body), data=data, reviews=tuple(reviews), offers=offers,
                  make_extract=make_extract)  # fmt: skip


def as_lines(report: Report, opening: Sequence[Line] | None = None) -> tuple[Line, ...]:
    """The briefing as sent: title, opening (the model's, when it passed the checks), then the body."""
    return (report.title, *(opening or (report.opening,)), *report.body)
