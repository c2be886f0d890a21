"""Leader summaries: the deterministic one, and the bounded extract a language model may narrate.

The deterministic summary always works: grouped by org priority (its status, what is at risk
beneath it and why, who acts), then risks under no org priority, then the cross-team blockers.
Every part is capped, so it reads the same in an org of ten teams or a thousand.

The extract is what leaves the process when an LLM is configured: the top risks and the
essential fields of the records they rest on. Its size is bounded by construction (counts
capped, every text clipped), and text people typed appears only as values of data fields.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, overload

from core.graph import Graph, days_since, promised
from core.model import Blocker, Dependency, DepState, Priority
from core.narrative import Narrative
from core.orgindex import OrgIndex
from core.record_lines import rollup_text
from core.reply import Line, Mention, Quote, Segment, line
from core.risks import HIGH, Risk, RiskKind, is_high
from core.rollup import Rollup
from core.snapshot import Snapshot

MAX_GROUPS = 6
"""Org priorities shown in detail; the rest with risks get one line together."""
MAX_RISKS_PER_GROUP = 4
MAX_LOOSE_RISKS = 5
MAX_CROSS_TEAM = 5
MAX_HEALTHY_LISTED = 6
MAX_WHYS = 2
"""Explanations shown for one record when several risks concern it."""
TITLE_CHARS = 70

EXTRACT_LIMIT = 10
"""Risks in the LLM extract by default."""
MAX_EXTRACT_LIMIT = 25
MAX_EVIDENCE = 8
MAX_RECORDS = 60
MAX_ORG_PRIORITIES = 8
MAX_LEADS = 3
TEXT_CHARS = 160
NAME_CHARS = 60

KIND_LABELS: dict[RiskKind, str] = {
    RiskKind.OVERDUE_DEPENDENCY: "overdue",
    RiskKind.UNANSWERED_REQUEST: "request not answered",
    RiskKind.DUE_SOON_UNACCEPTED: "due soon and not accepted",
    RiskKind.BLOCKED_DEPENDENCY: "blocked",
    RiskKind.STALE_BLOCKER: "blocker open too long",
    RiskKind.ENDANGERED_PRIORITY: "endangered by a slip it depends on",
    RiskKind.SCHEDULE_CONFLICT: "a dependency lands after its due date",
    RiskKind.STALE_PRIORITY: "no update for too long",
    RiskKind.FALLING_CONFIDENCE: "confidence falling",
    RiskKind.AT_RISK_PRIORITY: "reported at risk",
    RiskKind.UNOWNED_PRIORITY: "nobody owns it",
    RiskKind.UNALIGNED_PRIORITY: "not aligned to any parent priority",
    RiskKind.UNSUPPORTED_PRIORITY: "no team priority supports it",
    RiskKind.TEAM_OVERLOAD: "overloaded",
    RiskKind.LOW_PARTICIPATION: "check-in participation is low",
    RiskKind.DEPENDENCY_CYCLE: "dependency cycle between teams",
    RiskKind.OVERDUE_PRIORITY: "past its due date",
    RiskKind.ROLLUP_MISMATCH: "on track while an aligned priority is off track",
}


# --- scope --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """The whole organisation (teams None) or one team and every team beneath it."""

    team: str | None
    teams: frozenset[str] | None

    @classmethod
    def of(cls, index: OrgIndex, team: str | None) -> Scope:
        return cls(team, None) if team is None else cls(team, index.subtree(team))

    def label(self) -> str:
        if self.team is None or self.teams is None:
            return "the whole organisation"
        below = len(self.teams) - 1
        if below == 0:
            return self.team
        return f"{self.team} and the {below} team{'s' if below != 1 else ''} beneath it"

    def holds(self, index: OrgIndex, items: Iterable[str]) -> bool:
        return self.teams is None or index.any_touches(items, self.teams)


def ranked(risks: Iterable[Risk]) -> list[Risk]:
    """Highest score first; ties in a stable, readable order."""
    return sorted(risks, key=lambda r: (-r.score, r.kind.value, r.subject))


def in_scope(index: OrgIndex, risks: Iterable[Risk], scope: Scope) -> list[Risk]:
    return ranked(r for r in risks if scope.holds(index, (r.subject, *r.evidence)))


# --- the deterministic summary ------------------------------------------------------------------


@dataclass(frozen=True)
class CrossTeam:
    """One cross-team problem: a dependency in trouble or a blocker on another team."""

    id: str
    line: Line
    days: int


def summarize(
    snapshot: Snapshot, risks: Sequence[Risk], now: datetime, team: str | None = None, *, today: date | None = None
) -> tuple[Line, ...]:
    """The deterministic leader summary at `now`, as neutral lines (`today`: the workspace's date,
    by default `now`'s)."""
    today = today or now.date()
    index = OrgIndex(snapshot)
    scope = Scope.of(index, team)
    found = in_scope(index, risks, scope)
    groups: dict[str, list[Risk]] = {}
    loose: list[Risk] = []
    for r in found:
        top = _org_priority_of(index, r)
        if top is None:
            loose.append(r)
        else:
            groups.setdefault(top.id, []).append(r)
    cross = cross_team(index, scope, now, today, Graph(snapshot))
    orgs = _org_priorities_in_scope(index, scope, groups)

    lines: list[Line] = [_headline(scope, today, found, groups, cross)]
    if not found and not cross:
        lines.append(line("Nothing is at risk: every dependency is on time and no blocker crosses a team."))
    shown = sorted(groups, key=lambda pid: (-groups[pid][0].score, _rank_key(index.priorities[pid])))
    for pid in shown[:MAX_GROUPS]:
        lines += _group(index, index.priorities[pid], groups[pid])
    if len(shown) > MAX_GROUPS:
        rest = [f"{pid} ({_n(len(groups[pid]), 'risk')})" for pid in shown[MAX_GROUPS:]]
        lines.append(line(f"Also at risk: {', '.join(rest)} — see `risks --all`."))
    healthy = [p for p in orgs if p.id not in groups]
    if healthy:
        lines.append(line(""))
        lines.append(_healthy(healthy))
    if loose:
        subjects = _by_subject(loose)
        lines += [line(""), line(f"Not under any org priority ({_n(len(loose), 'risk')}):")]
        for same in subjects[:MAX_LOOSE_RISKS]:
            lines += _item(index, same)
        if len(subjects) > MAX_LOOSE_RISKS:
            more = sum(len(same) for same in subjects[MAX_LOOSE_RISKS:])
            lines.append(line(f"  • …and {_n(more, 'more risk')}: `risks --all`."))
    if cross:
        lines += [line(""), line("Cross-team blockers:")]
        lines += [item.line for item in cross[:MAX_CROSS_TEAM]]
        if len(cross) > MAX_CROSS_TEAM:
            lines.append(line(f"  …and {len(cross) - MAX_CROSS_TEAM} more (`dep list`, `blocker list`)."))
    if found:
        where = f" --team {scope.team}" if scope.team else ""
        lines += [line(""), line(f"Every risk with its evidence: `risks{where} --all`; the picture: `map{where}`.")]
    return tuple(lines)


def _headline(
    scope: Scope, today: date, found: list[Risk], groups: dict[str, list[Risk]], cross: list[CrossTeam]
) -> Line:
    parts = [f"Summary for {scope.label()}, {today.isoformat()}: "]
    if not found:
        parts.append("no risks")
    else:
        high = sum(1 for r in found if is_high(r.score))
        parts.append(_n(len(found), "risk") + (f" ({high} high: score {HIGH} or more)" if high else ""))
        under = sum(len(g) for g in groups.values())
        if groups:
            most = "all" if under == len(found) else f"{under}"
            parts.append(f", {most} of them under {_n(len(groups), 'org priority', 'org priorities')}")
    parts.append(f"; {_n(len(cross), 'cross-team blocker')}.")
    return line("".join(parts))


def _group(index: OrgIndex, top: Priority, risks: list[Risk]) -> list[Line]:
    lines: list[Line] = [line(""), status_line(top, index.rollups.get(top.number))]
    subjects = _by_subject(risks)
    lines.append(line(f"  At risk beneath it ({_n(len(risks), 'risk')}):"))
    for same in subjects[:MAX_RISKS_PER_GROUP]:
        lines += _item(index, same, top.id)
    if len(subjects) > MAX_RISKS_PER_GROUP:
        more = sum(len(same) for same in subjects[MAX_RISKS_PER_GROUP:])
        lines.append(line(f"  • …and {_n(more, 'more risk')}: `risks --all`."))
    return lines


def _item(index: OrgIndex, same: list[Risk], header: str | None = None) -> list[Line]:
    """One record at risk: what is wrong with it, then the one action its worst risk asks, of whom."""
    worst = same[0]
    who: tuple[Segment, ...] = (Mention(worst.owner), ": ") if worst.owner else ("nobody owns this yet: ",)
    return [_risk_line(index, same, header), line("      → ", *who, worst.action)]


def _by_subject(risks: list[Risk]) -> list[list[Risk]]:
    """Risks about the same record on one line, in the order of their worst score."""
    same: dict[str, list[Risk]] = {}
    for r in risks:
        same.setdefault(r.subject, []).append(r)
    return list(same.values())


def status_line(p: Priority, rollup: Rollup | None) -> Line:
    """An org priority as its owner reports it, and beside it what its aligned priorities say."""
    parts: list[Segment] = [f"{p.id} ", Quote(_clip(p.title, TITLE_CHARS)), f" — {p.status.value}"]
    if p.confidence is not None:
        parts.append(f", confidence {p.confidence}")
    parts.append(f", {p.progress}% done")
    if p.due:
        parts.append(f", due {p.due.isoformat()}")
    parts += [", owner ", Mention(p.owner) if p.owner else "nobody"]
    if rollup is not None:
        parts.append(f" · {rollup_text(rollup)}")
    return tuple(parts)


def _risk_line(index: OrgIndex, same: list[Risk], header: str | None = None) -> Line:
    """`  • D-7 (infra → release) was due … — “Signing keys in the release pipeline”`."""
    first = same[0]
    whys = [r.why for r in same if r.why]
    parts: list[Segment] = ["  • "]
    if whys:
        distinct = list(dict.fromkeys(whys))
        said = " ".join(distinct[:MAX_WHYS]) + (
            f" (+{len(distinct) - MAX_WHYS} more)" if len(distinct) > MAX_WHYS else ""
        )
        title = _title(index, first.subject) if first.subject != header else None
        if title is not None:
            parts += [said.rstrip("."), " — “", Quote(title), "”"]
        else:
            parts.append(said)
        return tuple(parts)
    parts += [*_subject(index, first.subject), ": ", "; ".join(list(dict.fromkeys(_label(r) for r in same))[:MAX_WHYS])]
    others = list(dict.fromkeys(e for r in same for e in r.evidence if e != first.subject))[:5]
    if others:
        parts.append(f" ({', '.join(others)})")
    return tuple(parts)


def _label(r: Risk) -> str:
    return KIND_LABELS.get(r.kind, r.kind.value)


def _title(index: OrgIndex, subject: str) -> str | None:
    if (p := index.priorities.get(subject)) is not None:
        return _clip(p.title, TITLE_CHARS)
    if (d := index.dependencies.get(subject)) is not None:
        return _clip(d.what, TITLE_CHARS)
    if (b := index.blockers.get(subject)) is not None:
        return _clip(b.text, TITLE_CHARS)
    return None


def _subject(index: OrgIndex, subject: str) -> list[Segment]:
    p = index.priorities.get(subject)
    if p is not None:
        return [f"{p.id} “", Quote(_clip(p.title, TITLE_CHARS)), f"” [{p.team or 'org'}]"]
    d = index.dependencies.get(subject)
    if d is not None:
        return [f"{d.id} {d.from_team} → {d.to_team} “", Quote(_clip(d.what, TITLE_CHARS)), "”"]
    b = index.blockers.get(subject)
    if b is not None:
        return [f"{b.id} “", Quote(_clip(b.text, TITLE_CHARS)), "”"]
    if subject in index.teams:
        return [f"team {subject}"]
    return [subject]


def _healthy(priorities: list[Priority]) -> Line:
    parts: list[Segment] = ["No risks found under "]
    for i, p in enumerate(priorities[:MAX_HEALTHY_LISTED]):
        parts += [", " if i else "", f"{p.id} ", Quote(_clip(p.title, 50)), f" ({p.status.value})"]
    if len(priorities) > MAX_HEALTHY_LISTED:
        parts.append(f" and {len(priorities) - MAX_HEALTHY_LISTED} more")
    parts.append(".")
    return tuple(parts)


def _org_priority_of(index: OrgIndex, r: Risk) -> Priority | None:
    """The org priority a risk's subject serves; risks about a whole team stand apart."""
    return index.org_priority(r.subject)


def _org_priorities_in_scope(index: OrgIndex, scope: Scope, groups: dict[str, list[Risk]]) -> list[Priority]:
    """Open org priorities: all of them for the whole org; for a team, those its priorities serve."""
    orgs = [p for p in index.snapshot.priorities if p.team is None and p.is_open]
    if scope.teams is None:
        return sorted(orgs, key=_rank_key)
    served = {
        top.id
        for p in index.snapshot.priorities
        if p.is_open and p.team in scope.teams and (top := index.org_priority(p.id)) is not None
    }
    return sorted((p for p in orgs if p.id in served or p.id in groups), key=_rank_key)


def _rank_key(p: Priority) -> tuple[int, int]:
    return (p.rank, p.number)


# --- cross-team blockers --------------------------------------------------------------------------


def cross_team(index: OrgIndex, scope: Scope, now: datetime, today: date, graph: Graph) -> list[CrossTeam]:
    """Dependencies blocked, declined (while they still matter) or overdue, and blockers on another team,
    each with who should act. Ages and owners are the risk engine's, so one reply never gives two."""
    items: list[CrossTeam] = []
    for d in index.snapshot.dependencies:
        if not scope.holds(index, (d.id,)):
            continue
        item = _dep_problem(index, d, now, today, graph.acts_on(d))
        if item is not None:
            items.append(item)
    for b in index.open_blockers():
        if not _crosses(index, b) or not scope.holds(index, (b.id,)):
            continue
        days = days_since(now, b.raised_at)
        where = f" [{b.team}]" if b.team else ""
        items.append(CrossTeam(b.id, line(f"  • {b.id} “", Quote(_clip(b.text, 90)),
                                          f"”{where} on {b.on}, open {_n(days, 'day')}, raised by ",
                                          Mention(b.raised_by), *_to_act(graph.lifts(b))), days))  # fmt: skip
    order = {"D": 0, "B": 1}
    return sorted(items, key=lambda c: (order.get(c.id[0], 2), -c.days, c.id))


def _to_act(who: str | None) -> tuple[Segment, ...]:
    return ("; to act: ", Mention(who)) if who else ("; nobody named to act",)


def _dep_problem(index: OrgIndex, d: Dependency, now: datetime, today: date, who: str | None) -> CrossTeam | None:
    head: list[Segment] = [f"  • {d.id} {d.from_team} → {d.to_team} “", Quote(_clip(d.what, TITLE_CHARS)), "”: "]
    owner = _to_act(who)
    if d.state is DepState.BLOCKED:
        days = days_since(now, index.blocked_since.get(d.id, d.updated_at))
        why: list[Segment] = [": “", Quote(_clip(d.blocked_reason, 90)), "”"] if d.blocked_reason else []
        return CrossTeam(d.id, (*head, f"blocked for {_n(days, 'day')}", *why, *owner), days)
    if index.declined_still_matters(d):
        days = days_since(now, d.answered_at or d.updated_at)
        why = [": “", Quote(_clip(d.declined_reason, 90)), "”"] if d.declined_reason else []
        serves = f" though P-{d.for_priority} still needs it" if d.for_priority else ""
        return CrossTeam(d.id, (*head, f"declined {_n(days, 'day')} ago{serves}", *why, *owner), days)
    if index.overdue(d, today):
        due = promised(d)
        days = (today - due).days
        return CrossTeam(d.id, (*head, f"{d.state.value}, overdue since {due.isoformat()}", *owner), days)
    return None


def _crosses(index: OrgIndex, b: Blocker) -> bool:
    """A blocker crosses teams when it points at another team, or at a dependency."""
    if b.on is None:
        return False
    if b.on in index.dependencies:
        return True
    if b.on in index.teams:
        return b.on != b.team
    p = index.priorities.get(b.on)
    return p is not None and b.team is not None and p.team != b.team


# --- the extract for a language model -------------------------------------------------------------


def build_extract(
    snapshot: Snapshot,
    risks: Sequence[Risk],
    limit: int = EXTRACT_LIMIT,
    *,
    today: date | None = None,
    team: str | None = None,
) -> dict[str, Any]:
    """The top `limit` risks and the essential fields of what they rest on, bounded in size.

    Counts are capped and each text clipped, so the extract of an org ten times bigger is no
    bigger. Text people typed (titles, requests, blocker texts, reasons) is only ever a value.
    """
    index = OrgIndex(snapshot)
    scope = Scope.of(index, team)
    found = in_scope(index, risks, scope)
    top = found[: max(0, min(limit, MAX_EXTRACT_LIMIT))]
    wanted: list[str] = []
    for r in top:
        for item in (r.subject, *r.evidence[:MAX_EVIDENCE]):
            wanted += _with_context(index, item)
    records = [rec for item in dict.fromkeys(wanted) if (rec := _record(index, item, today)) is not None]
    orgs = [p for p in snapshot.priorities if p.team is None and p.is_open]
    counts: dict[str, int] = {}
    for r in found:
        if (org := _org_priority_of(index, r)) is not None:
            counts[org.id] = counts.get(org.id, 0) + 1
    return {
        "scope": {"team": scope.team, "label": scope.label()},
        "as_of": today.isoformat() if today else None,
        "totals": {
            "risks": len(found),
            "risks_included": len(top),
            "teams": len(snapshot.teams),
            "open_priorities": sum(1 for p in snapshot.priorities if p.is_open),
            "open_dependencies": sum(1 for d in snapshot.dependencies if d.is_open),
            "open_blockers": len(index.open_blockers()),
        },
        "org_priorities": [
            {**_priority_fields(index, p), "risks_beneath": counts.get(p.id, 0)}
            for p in sorted(orgs, key=lambda p: (-counts.get(p.id, 0), _rank_key(p)))[:MAX_ORG_PRIORITIES]
        ],
        "risks": [_risk_fields(index, r, i + 1) for i, r in enumerate(top)],
        "records": records[:MAX_RECORDS],
    }


def known_ids(extract: dict[str, Any]) -> frozenset[str]:
    """Every id and team handle a narrative may cite: what the extract actually contains."""
    found: set[str] = set()
    for rec in extract.get("records", []):
        found.add(rec["id"])
        for key in ("team", "from_team", "to_team", "parent", "aligned_to", "for", "on"):
            if isinstance(rec.get(key), str):
                found.add(rec[key])
    for r in extract.get("risks", []):
        found.add(r["subject"])
        found.update(r["evidence"])
        if r.get("org_priority"):
            found.add(r["org_priority"])
    found.update(p["id"] for p in extract.get("org_priorities", []))
    found.update(c["id"] for c in extract.get("changes", []))  # the briefing's week of changes
    found.update(v["subject"] for v in extract.get("reviews", []))
    return frozenset(found)


def _with_context(index: OrgIndex, item: str) -> list[str]:
    """A record and what explains it: a priority's chain up to org level, a dependency's priority."""
    out = [item]
    d = index.dependencies.get(item)
    if d is not None and d.for_priority:
        item = f"P-{d.for_priority}"
        out.append(item)
    b = index.blockers.get(item)
    if b is not None and b.on is not None:
        out.append(b.on)
        item = b.on
    out += [p.id for p in index.chain(item)[:4]]
    return out


def _risk_fields(index: OrgIndex, r: Risk, rank: int) -> dict[str, Any]:
    org = _org_priority_of(index, r)
    return {
        "rank": rank,
        "kind": r.kind.value,
        "score": r.score,
        "subject": r.subject,
        "evidence": list(r.evidence[:MAX_EVIDENCE]),
        "owner": _clip(index.name(r.owner), NAME_CHARS),
        "why": _clip(r.why, TEXT_CHARS) or KIND_LABELS.get(r.kind, r.kind.value),
        "action": _clip(r.action, TEXT_CHARS),
        "org_priority": org.id if org else None,
    }


def _record(index: OrgIndex, item: str, today: date | None) -> dict[str, Any] | None:
    p = index.priorities.get(item)
    if p is not None:
        return _priority_fields(index, p)
    d = index.dependencies.get(item)
    if d is not None:
        return {
            "id": d.id,
            "type": "dependency",
            "from_team": d.from_team,
            "to_team": d.to_team,
            "what": _clip(d.what, TEXT_CHARS),
            "state": d.state.value,
            "needed_by": d.needed_by.isoformat(),
            "committed": d.committed.isoformat() if d.committed else None,
            "for": f"P-{d.for_priority}" if d.for_priority else None,
            "blocked_reason": _clip(d.blocked_reason, TEXT_CHARS) if d.state is DepState.BLOCKED else None,
            "declined_reason": _clip(d.declined_reason, TEXT_CHARS) if d.state is DepState.DECLINED else None,
            "requester_owner": _clip(index.name(d.requester_owner), NAME_CHARS),
            "provider_owner": _clip(index.name(d.provider_owner), NAME_CHARS),
            "overdue": bool(today and index.overdue(d, today)),
        }
    b = index.blockers.get(item)
    if b is not None:
        return {
            "id": b.id,
            "type": "blocker",
            "text": _clip(b.text, TEXT_CHARS),
            "team": b.team,
            "on": b.on,
            "state": b.state.value,
            "raised_by": _clip(index.name(b.raised_by), NAME_CHARS),
            "raised_on": b.raised_at.date().isoformat(),
            "age_days": (today - b.raised_at.date()).days if today else None,
        }
    t = index.teams.get(item)
    if t is not None:
        return {
            "id": t.handle,
            "type": "team",
            "name": _clip(t.name, NAME_CHARS),
            "parent": t.parent,
            "leads": [_clip(index.name(h), NAME_CHARS) for h in t.leads[:MAX_LEADS]],
        }
    return None


def _priority_fields(index: OrgIndex, p: Priority) -> dict[str, Any]:
    return {
        "id": p.id,
        "type": "priority",
        "title": _clip(p.title, TEXT_CHARS),
        "team": p.team,
        "level": "org" if p.team is None else "team",
        "status": p.status.value,
        "confidence": p.confidence,
        "progress": p.progress,
        "due": p.due.isoformat() if p.due else None,
        "owner": _clip(index.name(p.owner), NAME_CHARS),
        "aligned_to": f"P-{p.parent}" if p.parent else None,
    }


# --- a narrative, shown ---------------------------------------------------------------------------


def narrative_lines(narrative: Narrative, scope_label: str, today: date, included: int) -> tuple[Line, ...]:
    """The narrative, each paragraph with the ids it rests on, then every id it cites."""
    head = (
        f"Summary for {scope_label}, {today.isoformat()} (written by a language model from the top "
        f"{_n(included, 'risk')}; each statement names the records it rests on):"
    )
    lines: list[Line] = [line(head)]
    for claim in narrative.claims:
        lines.append(line(Quote(claim.text), f" [{', '.join(claim.cites)}]"))
    lines.append(line(f"Cited: {', '.join(narrative.cited)} (`priority show`, `dep show`, `risks --all` for more)."))
    return tuple(lines)


def unavailable_note(reason: str) -> Line:
    return line(f"(The narrative summary was unavailable: {reason}; here is the standard one.)")


# --- small helpers --------------------------------------------------------------------------------


@overload
def _clip(text: str, limit: int) -> str: ...


@overload
def _clip(text: str | None, limit: int) -> str | None: ...


def _clip(text: str | None, limit: int) -> str | None:
    """One line, at most `limit` characters (an ellipsis marks the cut)."""
    if text is None:
        return None
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _n(count: int, singular: str, plural: str | None = None) -> str:
    return f"{count} {singular if count == 1 else (plural or singular + 's')}"
