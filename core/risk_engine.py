"""The risk engine: every kind of SPEC.md's "Risks", found in one pass over a snapshot.

Pure and deterministic: the same snapshot, time and thresholds give the same ranked list.
Each check reads indexes built once by core.graph, so the engine stays linear in the size
of the organisation. `why` and `action` are built from ids, handles, dates and numbers only:
text that people typed never reaches them (summaries quote it separately, as data).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime

from core import rules
from core.graph import (
    Graph,
    Reliability,
    blocked_since,
    days_since,
    decline_unhandled,
    last_touches,
    promised,
    reliability_by_team,
    team_cycles,
)
from core.model import Blocker, Dependency, DepState, Priority, Status
from core.risks import Risk, RiskKind, Thresholds
from core.snapshot import Snapshot
from core.workdays import NO_SKIPS, working_days_between

K = RiskKind
REQUESTED, BLOCKED, DECLINED, PROPOSED = DepState.REQUESTED, DepState.BLOCKED, DepState.DECLINED, DepState.PROPOSED
ON_TRACK, AT_RISK, OFF_TRACK = Status.ON_TRACK, Status.AT_RISK, Status.OFF_TRACK


def clamp(value: float) -> int:
    return max(0, min(100, round(value)))


def _natural(ref: str) -> tuple[str, int, str]:
    prefix, _, number = ref.partition("-")
    if number.isdigit() and len(prefix) == 1:
        return (prefix, int(number), "")
    return ("~", 0, ref)


def rank_key(r: Risk) -> tuple[int, str, tuple[str, int, str]]:
    """Score first (highest first), then kind, then subject (P-2 before P-10)."""
    return (-r.score, r.kind, _natural(r.subject))  # a StrEnum member sorts as its value


def _ids(records: Iterable[Dependency | Priority]) -> str:
    return ", ".join(r.id for r in records)


def _days(n: int) -> str:
    return f"{n} day{'s' if n != 1 else ''}"


class _Engine:
    def __init__(self, snapshot: Snapshot, now: datetime, th: Thresholds) -> None:
        self.s = snapshot
        self.now = now
        self.th = th
        self.tz = rules.zone_info(snapshot.workspace.tz)
        self.today: date = now.astimezone(self.tz).date()
        self.g = Graph(snapshot)
        self.deps = sorted(snapshot.dependencies, key=lambda d: d.number)
        self.reliability: dict[str, Reliability] = reliability_by_team(snapshot.dependencies, self.today)
        self.out: list[Risk] = []
        self.confidence: dict[str, list[tuple[object, object]]] = defaultdict(list)
        self.last_touch = last_touches(snapshot.events)
        self.blocked_at = blocked_since(snapshot.events)
        for e in snapshot.events:
            after = e.data.get("after")
            if e.kind == "priority.updated" and isinstance(after, dict) and "confidence" in after:
                before = e.data.get("before")
                was = before.get("confidence") if isinstance(before, dict) else None
                self.confidence[e.subject].append((was, after["confidence"]))

    # --- helpers ------------------------------------------------------------------------------

    def add(
        self,
        kind: RiskKind,
        score: float,
        subject: str,
        evidence: tuple[str | None, ...],
        owner: str | None,
        action: str,
        why: str,
    ) -> None:
        found = tuple(dict.fromkeys((subject, *evidence)))
        if None in found:
            found = tuple(i for i in found if i)
        self.out.append(Risk(kind, clamp(score), subject, found, owner, action, why))  # type: ignore[arg-type]

    def skips(self, team: str | None) -> frozenset[str]:
        return self.s.skip_dates.get(team, NO_SKIPS) if team else NO_SKIPS

    def unreliability(self, team: str) -> float:
        """0 for a team that keeps every commitment (or has no record yet), 1 for one that keeps none."""
        r = self.reliability.get(team)
        rate = r.rate if r else None
        return 0.0 if rate is None else 1.0 - rate

    def provider_owner(self, d: Dependency) -> str | None:
        return self.g.provider_side(d)

    def requester_side(self, d: Dependency) -> str | None:
        """Who answers for the asking team: the requester's owner, else that team's lead."""
        return d.requester_owner or self.g.responsible(d.from_team)

    def priority_owner(self, p: Priority) -> str | None:
        return p.owner or self.g.responsible(p.team)

    def importance(self, p: Priority) -> int:
        """0-37: org priorities first, then team priorities that serve one; rank 1 counts most."""
        if p.team is None:
            level = 25
        else:
            level = 12 if self.g.org_priority(p.number) is not None else 8
        return level + max(0, 5 - p.rank) * 3

    def blocked_days(self, d: Dependency) -> int:
        return days_since(self.now, self.blocked_at.get(d.id, d.updated_at))

    def is_overdue(self, d: Dependency) -> bool:
        return d.is_open and promised(d) < self.today

    # --- the checks ---------------------------------------------------------------------------

    def run(self) -> list[Risk]:
        for d in self.s.dependencies:
            if d.is_open:
                self.dependency(d)
        for b in self.g.open_blockers():
            self.blocker(b)
        self.endangered()
        open_priorities = [p for p in self.s.priorities if p.is_open]
        for p in open_priorities:
            self.priority(p)
        self.overload(open_priorities)
        self.participation()
        self.cycles()
        self.out.sort(key=rank_key)
        return self.out

    def dependency(self, d: Dependency) -> None:
        did = d.id
        th, today = self.th, self.today
        flaky = self.unreliability(d.to_team)
        chain = self.g.dependents(d)
        serves = 8 if chain else 0
        due = promised(d)
        ev = (d.to_team, d.from_team, f"P-{d.for_priority}" if d.for_priority else None)
        owner = self.provider_owner(d)
        if due < today:
            late = (today - due).days
            if d.state is REQUESTED:
                action = (
                    f"Answer {did} now: accept it with a new date (`dep accept {did} --commit <date>`), propose one "
                    f"(`dep propose {did} <date>`) or decline it."
                )
            elif d.state is DepState.PROPOSED:
                action = f"{d.from_team}: agree to the proposed {d.proposed} (`dep agree {did}`) or reject it."
            else:
                action = (f"Deliver {did} (`dep done {did}`) or re-plan it with {d.from_team} told "
                          f'(`dep commit {did} <date> "<why>"`).')  # fmt: skip
            self.add(
                K.OVERDUE_DEPENDENCY,
                55 + min(late, 30) + 15 * flaky + serves,
                did,
                ev,
                owner,
                action,
                f"{did} ({d.from_team} → {d.to_team}) was due {due}, {_days(late)} ago, and is still {d.state.value}.",
            )
        elif d.state in (REQUESTED, BLOCKED, PROPOSED):
            left = working_days_between(today, due, self.skips(d.to_team))
            if left <= th.due_soon_working_days:
                who = owner
                if d.state is REQUESTED:
                    action = (
                        f"Accept {did} with a date you can keep, or decline it so {d.from_team} can plan around it."  # noqa: E501
                    )
                    state = "not accepted yet"
                elif d.state is PROPOSED:  # the requesting side owes the answer now
                    action = (f"{d.from_team}: agree to the proposed {d.proposed} (`dep agree {did}`) or reject it "
                              f'saying why (`dep reject {did} "<why>"`).')  # fmt: skip
                    state = f"waiting for {d.from_team} to answer {d.to_team}'s proposed {d.proposed}"
                    who = self.requester_side(d)
                else:
                    action = f"Unblock {did} before {due}, or tell {d.from_team} the new date."
                    state = "blocked"
                self.add(
                    K.DUE_SOON_UNACCEPTED,
                    45 + 6 * (th.due_soon_working_days - left) + 10 * flaky + serves,
                    did,
                    ev,
                    who,
                    action,
                    f"{did} ({d.from_team} → {d.to_team}) is due {due}, in {left} working "
                    f"day{'s' if left != 1 else ''}, and is {state}.",
                )
        if d.state is REQUESTED:
            waited = working_days_between(d.created_at.astimezone(self.tz).date(), today, self.skips(d.to_team))
            if waited > th.unanswered_working_days:
                extra = min(waited - th.unanswered_working_days, 5)
                self.add(
                    K.UNANSWERED_REQUEST,
                    40 + 4 * extra + 10 * flaky + serves,
                    did,
                    ev,
                    self.g.responsible(d.to_team),
                    f'Accept or decline {did}: `dep accept {did} --commit <date>` or `dep decline {did} "<why>"`.',
                    f"{d.to_team} has not answered {did} from {d.from_team} for {waited} working days.",
                )
        if d.state is PROPOSED and d.answered_at is not None:
            waited = working_days_between(d.answered_at.astimezone(self.tz).date(), today, self.skips(d.from_team))
            if waited > th.unanswered_working_days:
                extra = min(waited - th.unanswered_working_days, 5)
                self.add(
                    K.UNANSWERED_REQUEST,
                    40 + 4 * extra + serves,
                    did,
                    ev,
                    self.requester_side(d),
                    f'Agree to {d.proposed} or reject it: `dep agree {did}` or `dep reject {did} "<why>"`.',
                    f"{d.from_team} has not answered {d.to_team}'s proposed {d.proposed} for {did} for {waited} "
                    f"working days.",
                )
        if d.state is BLOCKED:
            age = self.blocked_days(d)
            if age >= th.stale_blocker_days:
                other = d.from_team
                self.add(
                    K.BLOCKED_DEPENDENCY,
                    50 + 1.5 * min(age - th.stale_blocker_days, 20) + 10 * flaky + serves,
                    did,
                    ev,
                    owner,
                    f"Get {did} moving: settle what blocks it with {other}, then `dep unblock {did}`.",
                    f"{did} ({d.from_team} → {d.to_team}) has been blocked for {_days(age)}.",
                )
        found = self.g.slack(d, chain)
        if found is not None and found[0] < 0:
            days, tight = -found[0], self.g.priorities[found[1]]
            served = f"P-{d.for_priority}" if d.for_priority else None
            late_commit = (
                d.committed is not None
                and d.committed > d.needed_by
                and tight.due is not None
                and d.needed_by <= tight.due
            )
            if late_commit:
                who = owner
                action = f"Commit {did} by {tight.due} or agree with {d.from_team} to move {tight.id}."
            else:
                who = d.requester_owner or self.g.responsible(d.from_team)
                action = f"Get {did} sooner than {due} or move {tight.id}'s due date."
            self.add(
                K.SCHEDULE_CONFLICT,
                45 + min(days, 30) + 10 * flaky,
                did,
                (tight.id, served, d.to_team, d.from_team),
                who,
                action,
                f"{did} arrives {due}, {_days(days)} after {tight.id} is due ({tight.due}).",
            )

    def blocker(self, b: Blocker) -> None:
        bid = b.id
        age = max(0, (self.now - b.raised_at).days)
        if age < self.th.stale_blocker_days:
            return
        team = self.g.blocker_provider(b)
        owner = self.g.lifts(b)
        on = b.on if b.on and b.on[:2] in ("D-", "P-") else None
        where = f" on {b.on}" if b.on else ""
        self.add(
            K.STALE_BLOCKER,
            40 + min(age - self.th.stale_blocker_days, 30) + (10 if on else 0),
            bid,
            (on, team, b.team),
            owner,
            f"Lift {bid} or escalate it; `blocker resolve {bid}` once it is gone.",
            f"{bid}{where} has been open for {_days(age)}.",
        )

    def endangered(self) -> None:
        """Impact propagation: a troubled dependency endangers what it serves, up to org level."""
        troubles: dict[int, list[tuple[Dependency, str]]] = defaultdict(list)
        for d in self.deps:  # by number, so each list below is too
            if d.for_priority is None:
                continue
            if d.state is BLOCKED:
                trouble = "blocked"
            elif self.is_overdue(d):
                trouble = "overdue"
            elif d.state is DECLINED and self._decline_unhandled(d):
                trouble = "declined"
            else:
                continue
            for n in self.g.dependents(d):
                troubles[n].append((d, trouble))
        for n, found in troubles.items():
            p = self.g.priorities[n]
            deps = [d for d, _ in found]
            served = sorted({d.for_priority for d in deps if d.for_priority and d.for_priority != n})
            soon = 8 if p.due is not None and (p.due - self.today).days <= 30 else 0
            severity = max(10 if t == "declined" else 8 if t == "blocked" else 6 for _, t in found)
            said = ", ".join(f"{d.id} ({t})" for d, t in found[:3]) + (
                f" and {len(found) - 3} more" if len(found) > 3 else ""
            )  # noqa: E501
            via = f" through {', '.join(f'P-{x}' for x in served[:3])}" if served else ""
            self.add(
                K.ENDANGERED_PRIORITY,
                30 + self.importance(p) + 5 * min(len(found), 3) + soon + severity,
                p.id,
                (*(d.id for d in deps), *(f"P-{x}" for x in served), p.team),
                self.priority_owner(p),
                f"Ask the providers of {_ids(deps[:3])} for a firm date, or re-plan {p.id}.",
                f"{p.id} depends on {said}{via}.",
            )

    def _decline_unhandled(self, d: Dependency) -> bool:
        p = self.g.priorities.get(d.for_priority or 0)
        return decline_unhandled(d, p, self.last_touch.get(p.id) if p else None)

    def priority(self, p: Priority) -> None:
        pid = p.id
        th, g = self.th, self.g
        owner = self.priority_owner(p)
        weight = self.importance(p)
        if p.owner is None:
            self.add(
                K.UNOWNED_PRIORITY,
                35 + weight / 2,
                pid,
                (p.team,),
                owner,
                f"Name an owner: `priority update {pid} --owner @name`.",
                f"{pid} ({p.team or 'org'}) has no owner.",
            )
        if p.team is not None:
            parent = g.priorities.get(p.parent) if p.parent is not None else None
            if parent is None or not parent.is_open:
                why = f"{pid} ({p.team}) is not aligned to any parent priority."
                if parent is not None:
                    why = f"{pid} ({p.team}) is aligned to {parent.id}, which is {parent.status.value}."
                self.add(
                    K.UNALIGNED_PRIORITY,
                    25 + weight / 4,
                    pid,
                    (parent.id if parent else None, p.team),
                    owner,
                    f"Align {pid} to an org priority or a parent team's: `priority align {pid} --to P-m`.",
                    why,
                )
            elif p.due is not None and parent.due is not None and p.due > parent.due:
                late = (p.due - parent.due).days
                self.add(
                    K.SCHEDULE_CONFLICT,
                    40 + min(late, 30) / 2,
                    pid,
                    (parent.id, p.team),
                    owner,
                    f"Bring {pid} forward or agree a later date for {parent.id}.",
                    f"{pid} is due {p.due}, {_days(late)} after {parent.id} which it serves ({parent.due}).",
                )
        elif not g.children.get(p.number):
            self.add(
                K.UNSUPPORTED_PRIORITY,
                35 + weight / 2,
                pid,
                (),
                p.owner or g.first_admin(),
                f"Ask team leads to align a priority to {pid} (`priority align P-n --to {pid}`), or drop it.",
                f"No team priority supports the org priority {pid}.",
            )
        last = max(p.updated_at, self.last_touch.get(pid, p.updated_at))
        quiet = (self.now - last).days
        if quiet >= th.stale_priority_days:
            self.add(
                K.STALE_PRIORITY,
                30 + min(quiet - th.stale_priority_days, 30) + weight / 4,
                pid,
                (p.team,),
                owner,
                f'Post an update: `priority update {pid} --confidence N --note "<what changed>"`.',
                f"{pid} has had no update for {_days(quiet)}.",
            )
        changes = self.confidence.get(pid, [])[-2:]
        start = next((c for c, _ in changes if isinstance(c, int)), None)
        if start is not None and p.confidence is not None and start - p.confidence >= th.confidence_drop:
            self.add(
                K.FALLING_CONFIDENCE,
                45 + min(start - p.confidence, 50) / 2 + weight / 2,
                pid,
                (p.team,),
                owner,
                f"Find out what changed on {pid} and what would restore confidence; say it in a note.",
                f"Confidence in {pid} fell from {start} to {p.confidence} over its last "
                f"{'two updates' if len(changes) == 2 else 'update'}.",
            )
        if p.due is not None and p.due < self.today:
            late = (self.today - p.due).days
            self.add(
                K.OVERDUE_PRIORITY,
                50 + min(late, 30) + weight / 2,
                pid,
                (p.team,),
                owner,
                f'Finish {pid}, or set the date you can keep: `priority update {pid} --due <date> --note "<why>"`.',
                f"{pid} was due {p.due}, {_days(late)} ago, and is still open ({p.status.value}).",
            )
        if p.status is ON_TRACK:
            off = [c for n in g.children.get(p.number, ()) if (c := g.priorities[n]).status is OFF_TRACK]
            if off:
                off.sort(key=lambda c: c.number)
                said = _ids(off[:3]) + (f" and {len(off) - 3} more" if len(off) > 3 else "")
                self.add(
                    K.ROLLUP_MISMATCH,
                    45 + weight / 2 + 5 * min(len(off), 3),
                    pid,
                    (*(c.id for c in off), p.team),
                    owner,
                    f"Check {pid} against what is aligned to it: update its status, or say in a note why it is "
                    "still on track.",
                    f"{pid} is reported on-track while {said}, aligned to it, "
                    f"{'is' if len(off) == 1 else 'are'} off-track.",
                )
        if p.status in (AT_RISK, OFF_TRACK):
            base = 60 if p.status is OFF_TRACK else 45
            doubt = (100 - p.confidence) / 10 if p.confidence is not None else 0
            self.add(
                K.AT_RISK_PRIORITY,
                base + weight / 2 + doubt,
                pid,
                (p.team,),
                owner,
                f"Share a recovery plan for {pid} and ask for what it needs (a date, a decision, people).",
                f"{pid} is {p.status.value}"
                + (f" with confidence {p.confidence}." if p.confidence is not None else "."),
            )

    def overload(self, open_priorities: list[Priority]) -> None:
        th, g = self.th, self.g
        mine: dict[str, list[Priority]] = defaultdict(list)
        for p in open_priorities:
            if p.team is not None:
                mine[p.team].append(p)
        for team in sorted(set(mine) | set(g.incoming)):
            incoming, prios = g.incoming.get(team, []), mine.get(team, [])
            over_in = len(incoming) - th.overload_incoming_dependencies
            over_p = len(prios) - th.overload_priorities
            if over_in <= 0 and over_p <= 0:
                continue
            parts = []
            if over_in > 0:
                parts.append(
                    f"{len(incoming)} open incoming dependencies (threshold {th.overload_incoming_dependencies})"
                )  # noqa: E501
            if over_p > 0:
                parts.append(f"{len(prios)} open priorities (threshold {th.overload_priorities})")
            parent = g.teams[team].parent if team in g.teams else None
            helper = f"; ask the leads of {parent} for help" if parent else ""
            ev = (*(d.id for d in (incoming if over_in > 0 else [])), *(p.id for p in (prios if over_p > 0 else [])))
            self.add(
                K.TEAM_OVERLOAD,
                35 + 3 * max(over_in, 0) + 3 * max(over_p, 0),
                team,
                ev,
                g.responsible(team),
                f"Decline or reschedule requests and cut priorities until {team} can carry them{helper}.",
                f"{team} has {' and '.join(parts)}.",
            )

    def participation(self) -> None:
        floor = self.th.participation_floor
        for part in sorted(self.s.participation, key=lambda x: x.team):
            if part.expected <= 0 or part.rate >= floor:
                continue
            self.add(
                K.LOW_PARTICIPATION,
                30 + (floor - part.rate) * 60,
                part.team,
                (),
                self.g.responsible(part.team),
                f"Ask {part.team} why check-ins go unanswered, and change the rhythm's time or questions if they do not fit.",  # noqa: E501
                f"{part.team} answered {part.answered} of {part.expected} check-ins over two weeks "
                f"({round(part.rate * 100)}%, floor {round(floor * 100)}%).",
            )

    def cycles(self) -> None:
        edges = ((d.from_team, d.to_team, d.id) for d in self.s.dependencies if d.is_open)
        for teams, deps in team_cycles(edges):
            above = self.g.common_ancestor(teams)
            owner = self.g.responsible(above or teams[0])
            loop = " → ".join((*teams, teams[0])) if len(teams) == 2 else ", ".join(teams)
            self.add(
                K.DEPENDENCY_CYCLE,
                50 + 5 * min(len(teams), 6),
                teams[0],
                (*teams[1:], *deps),
                owner,
                f"Bring {', '.join(teams)} together to break the cycle: decide which request waits or is done in-team.",  # noqa: E501
                f"{len(teams)} teams depend on each other in a cycle ({loop}) through {', '.join(deps[:6])}"
                + (f" and {len(deps) - 6} more." if len(deps) > 6 else "."),
            )


def assess(snapshot: Snapshot, now: datetime, thresholds: Thresholds | None = None) -> list[Risk]:
    """Every risk in the workspace, ranked: score (highest first), then kind, then subject."""
    return _Engine(snapshot, now, thresholds or Thresholds()).run()


def touching(risks: Iterable[Risk], snapshot: Snapshot, teams: set[str]) -> list[Risk]:
    """The risks whose evidence touches any of `teams`: their priorities, dependencies (either way),
    blockers, or the team handles themselves."""
    prio_team = {p.id: p.team for p in snapshot.priorities}
    dep_teams = {d.id: (d.from_team, d.to_team) for d in snapshot.dependencies}
    blocker_teams: dict[str, set[str | None]] = {}
    for b in snapshot.blockers:
        found: set[str | None] = {b.team, b.on}
        if b.on in prio_team:
            found.add(prio_team[b.on])
        found.update(dep_teams.get(b.on or "", ()))
        blocker_teams[b.id] = found

    def hit(ref: str) -> bool:
        if ref in teams:
            return True
        if ref in prio_team:
            return prio_team[ref] in teams
        if ref in dep_teams:
            return not teams.isdisjoint(dep_teams[ref])
        if ref in blocker_teams:
            return any(t in teams for t in blocker_teams[ref] if t)
        return False

    return [r for r in risks if any(hit(ref) for ref in r.evidence)]
