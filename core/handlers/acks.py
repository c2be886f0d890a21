"""`risks ack|unack|acks`: say a risk is owned, accepted or being mitigated, until a date."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from core import access, commands
from core.acks import MAX_DAYS, RISE, Ack, judge
from core.context import Call
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.graph import Graph
from core.handlers.checks import future_date, text
from core.reply import Line, Mention, Quote, Reply, Segment, line, reply
from core.risk_engine import assess
from core.risks import Risk, RiskKind, Thresholds
from core.snapshot import Snapshot, risk_snapshot

KIND_NAMES = {k: k.value.replace("_", " ") for k in RiskKind}


def kind_of(raw: str | None) -> RiskKind | None:
    if raw is None:
        return None
    key = raw.strip().lower().replace("-", "_").replace(" ", "_")
    try:
        return RiskKind(key)
    except ValueError:
        raise InvalidInput(
            f"There is no kind of risk '{raw}': use one of {', '.join(k.value for k in RiskKind)}."
        ) from None


def current_risks(call: Call) -> tuple[Snapshot, list[Risk]]:
    snapshot = risk_snapshot(call.uow, call.now)
    return snapshot, assess(snapshot, call.now, Thresholds.from_settings(call.uow.settings.get("risk")))


def _check_subject(call: Call, subject: str) -> None:
    """The record or team must exist, whatever risks it has."""
    prefix, _, number = subject.partition("-")
    if not number.isdigit():
        access.team(call, subject)
    elif prefix == "P":
        access.priority(call, int(number))
    elif prefix == "D":
        access.dependency(call, int(number))
    else:
        access.blocker(call, int(number))


def teams_concerned(g: Graph, subject: str) -> set[str]:
    """The teams a subject belongs to or involves: their leads (and their parents') may acknowledge it."""
    prefix, _, number = subject.partition("-")
    if not number.isdigit():
        return {subject}
    n = int(number)
    if prefix == "P" and (p := g.priorities.get(n)) is not None:
        return {p.team} if p.team else set()
    if prefix == "D" and (d := g.dependencies.get(n)) is not None:
        return {d.from_team, d.to_team}
    b = next((x for x in g.snapshot.blockers if x.number == n), None) if prefix == "B" else None
    if b is not None:
        return {t for t in (b.team, g.blocker_provider(b)) if t}
    return set()


def _may(call: Call, g: Graph, subject: str, risks: list[Risk], acked_by: str | None = None) -> bool:
    if access.is_admin(call) or call.actor == acked_by or any(r.owner == call.actor for r in risks):
        return True
    for handle in teams_concerned(g, subject):
        if handle in g.teams and any(call.actor in g.leads(t) for t in (handle, *g.team_ancestors(handle))):
            return True
    return False


def _refuse(subject: str, doing: str) -> PermissionDenied:
    return PermissionDenied(
        f"Only the owner of the risk on {subject}, a lead of the team concerned or an admin can {doing}."
    )


def _kinds(risks: list[Risk]) -> str:
    return ", ".join(dict.fromkeys(r.kind.value for r in risks))


def ack(call: Call, cmd: commands.RisksAck) -> Reply:
    _check_subject(call, cmd.subject)
    kind = kind_of(cmd.kind)
    existing = {a.key: a for a in call.uow.acks.list() if a.subject == cmd.subject}
    if cmd.note is not None:
        note = text(cmd.note, "note")
    else:  # a renewal (a briefing's button) keeps the note it has
        kept = next((a for a in existing.values() if a.kind is kind), None)
        if kept is None:
            what = f"{cmd.subject}'s {kind.value} risk" if kind else f"the risks on {cmd.subject}"
            raise NotFound(f"Nothing acknowledges {what} any more, so there is nothing to renew: "
                           f'`risks ack {cmd.subject} --until <date> "<note>"` acknowledges it again.')  # fmt: skip
        note = kept.note
    snapshot, found = current_risks(call)
    on = [r for r in found if r.subject == cmd.subject]
    if not on:
        raise Conflict(f"{cmd.subject} has no risk right now (`risks --all` lists them): nothing to acknowledge.")
    covered = [r for r in on if kind is None or r.kind is kind]
    if not covered:
        raise Conflict(f"{cmd.subject} has no {kind} risk now; its risks: {_kinds(on)}.")
    if not _may(call, Graph(snapshot), cmd.subject, covered):
        raise _refuse(cmd.subject, "acknowledge it")
    until = future_date(call, cmd.until, "end date")
    if until > call.today + timedelta(days=MAX_DAYS):
        raise InvalidInput(
            f"An acknowledgement lasts at most {MAX_DAYS} days (until {call.today + timedelta(days=MAX_DAYS)}): "
            "somebody should look again by then."
        )
    if kind is None:  # one for every kind replaces the ones of a single kind
        for a in existing.values():
            if a.kind is not None:
                call.uow.acks.delete(a.subject, a.kind)
    scores = {r.kind.value: r.score for r in covered}
    new = Ack(subject=cmd.subject, kind=kind, by=call.actor, until=until, note=note, at=call.now, scores=scores)
    renewed = new.key in existing
    call.uow.acks.save(new)
    call.record("risk.acknowledged", cmd.subject, risk_kind=kind.value if kind else None, until=until.isoformat(),
                note=note, scores=scores)  # fmt: skip
    what = f"{cmd.subject}'s {KIND_NAMES[kind]} risk" if kind else f"the risks on {cmd.subject}"
    shown = ", ".join(f"{KIND_NAMES[r.kind]} {r.score}" for r in covered)
    lines: list[Line] = [
        line(f"{'Renewed' if renewed else 'Acknowledged'}: {what} ({shown}), by ", Mention(call.actor),
             f" until {until.isoformat()}: “", Quote(note), "”."),
        line("It stays in `risks --all` but leaves the top list, the escalation ladder and the leader briefings "
             f"until then, unless its score rises by {RISE} or more."),
    ]  # fmt: skip
    return reply(*lines, data=new.to_json(), public=True)


def unack(call: Call, cmd: commands.RisksUnack) -> Reply:
    _check_subject(call, cmd.subject)
    kind = kind_of(cmd.kind)
    mine = [a for a in call.uow.acks.list() if a.subject == cmd.subject]
    if not mine:
        raise NotFound(f"Nothing on {cmd.subject} is acknowledged (`risks acks` lists what is).")
    if kind is not None:
        mine = [a for a in mine if a.kind is kind]
        if not mine:
            raise NotFound(f"{cmd.subject}'s {kind.value} risk is not acknowledged on its own: "
                           f"`risks unack {cmd.subject}` ends what is.")  # fmt: skip
    snapshot, found = current_risks(call)
    on = [r for r in found if r.subject == cmd.subject]
    g = Graph(snapshot)
    if not all(_may(call, g, cmd.subject, on, a.by) for a in mine):
        raise _refuse(cmd.subject, "end its acknowledgement")
    for a in mine:
        call.uow.acks.delete(a.subject, a.kind)
    call.record("risk.unacknowledged", cmd.subject, risk_kind=kind.value if kind else None)
    return reply(line(f"{cmd.subject} is no longer acknowledged: its risks are back in `risks`, the escalation ladder "
                      "and the leader briefings."), data=[a.to_json() for a in mine], public=True)  # fmt: skip


def acks(call: Call, cmd: commands.RisksAcks) -> Reply:
    stored = list(call.uow.acks.list())
    if not stored:
        return reply(line("No risk is acknowledged. A risk's owner, a lead or an admin can: "
                          '`risks ack <id or team> --until <date> "<why>"`.'), data=[])  # fmt: skip
    _, found = current_risks(call)
    judged = [j for j in judge(found, stored, call.today) if j.ack is not None]
    lines: list[Line] = [line(f"{len(stored)} acknowledgement{'s' if len(stored) != 1 else ''}:")]
    data: list[dict[str, Any]] = []
    for a in stored:
        mine = [j for j in judged if j.ack == a]
        what = f"{a.subject} ({KIND_NAMES[a.kind]})" if a.kind else f"{a.subject} (every risk it had)"
        if not mine:
            state, said = "gone", "no longer a risk"
        elif any(j.lapsed for j in mine):
            state, said = "back", "back in the top list: " + next(j.lapsed for j in mine if j.lapsed)
        else:
            now = ", ".join(f"{KIND_NAMES[j.risk.kind]} {j.risk.score}" for j in mine)
            state, said = "holding", f"holding ({now})"
        segs: list[Segment] = [f"  {what} by ", Mention(a.by), f" until {a.until.isoformat()}: “", Quote(a.note),
                               f"” — {said}"]  # fmt: skip
        lines.append(tuple(segs))
        data.append(a.to_json() | {"state": state, "now": {j.risk.kind.value: j.risk.score for j in mine}})
    return reply(*lines, data=data)
