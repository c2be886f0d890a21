"""`risks [--team T] [--all]` and `risks thresholds [name=value ...]`: where are we at risk, and why."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core import access, commands
from core.acks import Judged, judge
from core.context import Call
from core.errors import Conflict, InvalidInput
from core.model import Team
from core.reply import Line, Mention, Quote, Reply, line, reply
from core.risk_engine import assess, touching
from core.risks import HIGH, LIMITS, PERCENT_THRESHOLDS, Risk, RiskKind, Thresholds, is_high, typed_ok
from core.snapshot import risk_snapshot

TOP = 10

LABELS: dict[RiskKind, str] = {
    RiskKind.OVERDUE_DEPENDENCY: "Overdue dependencies",
    RiskKind.UNANSWERED_REQUEST: "Unanswered requests",
    RiskKind.DUE_SOON_UNACCEPTED: "Due soon and still unaccepted or blocked",
    RiskKind.BLOCKED_DEPENDENCY: "Blocked dependencies",
    RiskKind.STALE_BLOCKER: "Old blockers",
    RiskKind.ENDANGERED_PRIORITY: "Priorities endangered by a dependency",
    RiskKind.SCHEDULE_CONFLICT: "Schedule conflicts",
    RiskKind.STALE_PRIORITY: "Priorities without recent updates",
    RiskKind.FALLING_CONFIDENCE: "Falling confidence",
    RiskKind.AT_RISK_PRIORITY: "Priorities at risk or off track",
    RiskKind.UNOWNED_PRIORITY: "Priorities without an owner",
    RiskKind.UNALIGNED_PRIORITY: "Team priorities not aligned",
    RiskKind.UNSUPPORTED_PRIORITY: "Org priorities no team supports",
    RiskKind.TEAM_OVERLOAD: "Overloaded teams",
    RiskKind.LOW_PARTICIPATION: "Low check-in participation",
    RiskKind.DEPENDENCY_CYCLE: "Dependency cycles between teams",
    RiskKind.OVERDUE_PRIORITY: "Priorities past their due date",
    RiskKind.ROLLUP_MISMATCH: "On track above something off track",
}


def thresholds_of(call: Call) -> Thresholds:
    return Thresholds.from_settings(call.uow.settings.get("risk"))


def render_risk(r: Risk) -> tuple[Line, Line]:
    who = (Mention(r.owner), ": ") if r.owner else ("nobody owns this: ",)
    return line(f"  {r.score:>3} · {r.why}"), line("        → ", *who, r.action)


def render_judged(j: Judged) -> list[Line]:
    """A risk, and under it its acknowledgement: holding (who, until when, why) or come back (and why)."""
    lines = list(render_risk(j.risk))
    a = j.ack
    if a is not None and j.lapsed is None:
        lines.append(
            line("        ✓ acknowledged by ", Mention(a.by), f" until {a.until.isoformat()}: “", Quote(a.note), "”")
        )
    elif a is not None:
        lines.append(
            line("        ! back: acknowledged by ", Mention(a.by), f" until {a.until.isoformat()}, but {j.lapsed}")
        )
    return lines


def headline(n: int, shown: int, scope: str, high: int) -> str:
    """`Top 10 of 16 risks in X, highest score first (5 high: score 70 or more):`"""
    what = f"Top {shown} of {n} risks" if shown < n else f"{n} risk{'s' if n != 1 else ''}"
    said = f"{high} high: score {HIGH} or more" if high else f"none high: every score is below {HIGH}"
    return f"{what} in {scope}, highest score first ({said}). Score · why → who acts:"


def risks(call: Call, cmd: commands.Risks) -> Reply:
    snapshot = risk_snapshot(call.uow, call.now)
    team = None if cmd.org else _scope(call, cmd.team, snapshot.teams)
    found = assess(snapshot, call.now, thresholds_of(call))
    scope = "the whole organisation"
    if team is not None:
        below = {t.handle for t in snapshot.teams if t.parent == team.handle}
        scope = f"{team.handle} and the teams below it" if below else team.handle
        found = touching(found, snapshot, _subtree(snapshot.teams, team.handle))
    judged = judge(found, call.uow.acks.list(), call.today)
    quiet = sum(1 for j in judged if j.quiet)
    listed = judged if cmd.all else [j for j in judged if not j.quiet]
    shown = listed if cmd.all else listed[:TOP]
    data = [j.to_json() for j in listed]
    aside = (f"{quiet} acknowledged risk{'s are' if quiet != 1 else ' is'} left out: `risks --all` shows "
             f"{'them' if quiet != 1 else 'it'}, `risks acks` says until when.")  # fmt: skip
    if not listed:
        return reply(line(f"No risks in {scope}."), *([line(aside)] if quiet else []), data=data)
    n = len(listed)
    lines = [line(headline(n, len(shown), scope, sum(1 for j in listed if is_high(j.risk.score))))]
    for j in shown:
        lines += render_judged(j)
    if len(shown) < n:
        lines.append(line(f"… and {n - len(shown)} more: `risks --all`"))
    if quiet and not cmd.all:
        lines.append(line(aside))
    return reply(*lines, data=data)


def _scope(call: Call, handle: str | None, teams: Sequence[Team]) -> Team | None:
    """`--team`, else the whole organisation for leaders (admins, leads of a team with teams below it),
    else the caller's only team. `teams` are the snapshot's: a large organisation's are not read twice."""
    if handle is not None:
        return access.team(call, handle)
    parents = {t.parent for t in teams}
    if access.is_admin(call) or any(call.actor in t.leads and t.handle in parents for t in teams):
        return None
    return access.optional_team_or_mine(call, None)


def _subtree(teams: Any, root: str) -> set[str]:
    below: dict[str, list[str]] = {}
    for t in teams:
        if t.parent is not None:
            below.setdefault(t.parent, []).append(t.handle)
    out, todo = {root}, [root]
    while todo:
        for child in below.get(todo.pop(), []):
            if child not in out:
                out.add(child)
                todo.append(child)
    return out


def _shown(name: str, value: Any) -> str:
    return f"{round(value * 100)}%" if name == "participation_floor" else str(value)


def thresholds(call: Call, cmd: commands.RisksThresholds) -> Reply:
    current = thresholds_of(call)
    values = current.to_settings()
    if not cmd.settings:
        defaults = Thresholds().to_settings()
        lines = [line("Risk thresholds (admins change them with `risks thresholds <name>=<number> ...`):")]
        for name, (_, _, meaning) in LIMITS.items():
            note = "" if values[name] == defaults[name] else f" (default {_shown(name, defaults[name])})"
            lines.append(line(f"  {name} = {_shown(name, values[name])}{note}: {meaning}"))
        return reply(*lines, data=values)
    access.require_admin(call, "change the risk thresholds")
    changes: dict[str, Any] = {}
    for pair in cmd.settings:
        name, _, raw = pair.partition("=")
        if name not in LIMITS:
            raise InvalidInput(f"There is no risk threshold '{name}': use one of {', '.join(LIMITS)}.")
        low, high, _ = LIMITS[name]
        text = raw.removesuffix("%")
        if not text.lstrip("-").isdigit():
            raise InvalidInput(f"{name} must be a whole number from {low} to {high} (got '{raw}').")
        number = int(text)
        if not typed_ok(name, number):
            raise InvalidInput(f"{name} must be from {low} to {high} (got {number}).")
        changes[name] = number / 100 if name in PERCENT_THRESHOLDS else number
    before = {k: values[k] for k in changes}
    changed = {k: v for k, v in changes.items() if values[k] != v}
    if not changed:
        raise Conflict("Nothing changed: the thresholds already have those values.")
    values.update(changes)
    call.uow.settings.set("risk", values)
    call.record("settings.risk", "risk", before={k: before[k] for k in changed}, after=changed)
    said = ", ".join(f"{k} {_shown(k, before[k])} → {_shown(k, v)}" for k, v in changed.items())
    return reply(line(f"Risk thresholds updated: {said}."), data=values, public=True)
