"""`standup` and `checkin`: answering the team's stand-up and the weekly check-in in chat."""

from __future__ import annotations

from core import access, commands, offers, rules
from core.checkins import (
    answer_standup,
    open_weekly_run,
    record_weekly,
    run_for_day,
    standup_form,
    when,
    zone_of,
)
from core.context import Call
from core.errors import Conflict, InvalidInput, NotFound
from core.handlers.checks import MAX_TEXT, text
from core.handlers.priorities import update as update_priority
from core.json_shapes import priority_json
from core.reply import Line, Notice, Quote, Reply, line, reply
from core.rhythm import Rhythm, Run, RunKind, local_date, next_run, response_json, run_json, runs_on


def _closing(run: Run, tz: str | None = None) -> str:
    """When a run closes, in the team's zone (or in `tz`, named, for someone asked in their own)."""
    local = run.closes_at.astimezone(rules.zone_info(tz or run.tz)).strftime("%a %Y-%m-%d %H:%M")
    return f"{local} {tz}" if tz and tz != run.tz else local


def _open_standup(call: Call, r: Rhythm) -> Run | None:
    if r.paused or r.standup is None:
        return None
    # A stand-up that asks each member in their own zone is the one of the day where the caller is.
    day = local_date(call.now, zone_of(call.uow.people.get(call.actor), r) if r.standup.per_member else r.tz)
    if not runs_on(r, RunKind.STANDUP, day):
        return None
    run = run_for_day(call.uow, r, RunKind.STANDUP, day)
    return run if run.is_open(call.now) else None


def _standup_run(call: Call, handle: str | None) -> Run:
    if handle is not None:
        t = access.active_team(call, handle)
        access.require_member(call, t, f"answer the stand-up of {t.handle}")
        teams = [t]
    else:
        teams = access.my_teams(call)
    rhythms = [r for t in teams if (r := call.uow.rhythms.get(t.handle)) is not None and r.standup is not None]
    runs = [run for r in rhythms if (run := _open_standup(call, r)) is not None]
    if len(runs) == 1:
        return runs[0]
    if len(runs) > 1:
        names = ", ".join(r.team for r in runs)
        raise NotFound(f"You have stand-ups open in several teams ({names}): say which one with --team.")
    if not rhythms:
        where = teams[0].handle if len(teams) == 1 else "your teams"
        raise NotFound(f"No stand-up is set up for {where} (a lead sets one with `rhythm set standup`)." if teams
                       else "You are in no team, so there is no stand-up for you.")  # fmt: skip
    nexts = [(n, r) for r in rhythms if (n := next_run(r, RunKind.STANDUP, call.now)) is not None]
    hint = ""
    if nexts:
        n, r = min(nexts, key=lambda x: x[0])
        hint = f" Next: {r.team}, {n.astimezone(rules.zone_info(r.tz)).strftime('%a %Y-%m-%d %H:%M')} {r.tz}."
    raise Conflict(f"No stand-up is open for you today.{hint}")


def standup(call: Call, cmd: commands.Standup) -> Reply:
    run = _standup_run(call, cmd.team)
    existing = call.uow.checkins.response(run.team, run.kind, run.period, call.actor)
    if not cmd.answers:
        before = existing.answers if existing else None
        rhythm = call.uow.rhythms.get(run.team)
        mine = (
            zone_of(call.uow.people.get(call.actor), rhythm)
            if rhythm is not None and rhythm.standup and rhythm.standup.per_member
            else None
        )
        closing = f"Open until {_closing(run, mine)}; answering again before then replaces your answer."
        form = offers.standup_form(run.team, when(run), run.questions, before or (), intro=closing)
        return reply(*standup_form(run, before), line(closing), data=run_json(run, [existing] if existing else []),
                     form=form)  # fmt: skip
    n = len(run.questions)
    if len(cmd.answers) != n:
        raise InvalidInput(f"The stand-up of {run.team} asks {n} question{'s' if n != 1 else ''}: give {n} "
                           f"answer{'s' if n != 1 else ''} in quotes, in order (got {len(cmd.answers)}).")  # fmt: skip
    answers = [text(a, f"answer {i}", MAX_TEXT, field=f"a{i}") for i, a in enumerate(cmd.answers, 1)]
    r, edit, said, notices = answer_standup(call.uow, run, call.actor, answers, call.now)
    lines: list[Line] = [line(f"Thanks: your stand-up for {run.team} ({when(run)}) is {'updated' if edit else 'in'}.")]
    if run.digested_at is not None:
        lines.append(line("The digest has gone out; your answer was added under it."))
    lines += said
    return reply(*lines, data=response_json(r), public=True, notices=tuple(notices))


def _form(call: Call) -> Reply:
    mine = [p for p in call.uow.priorities.list() if p.owner == call.actor and p.is_open]
    if not mine:
        return reply(line("You own no open priorities: there is nothing for you to check in."), data=[])
    lines: list[Line] = [line("Your weekly check-in: for each priority, say how it is going.")]
    for team in dict.fromkeys(p.team for p in mine):
        run = open_weekly_run(call.uow, team, call.now) if team else None
        answered = set()
        if run is not None:
            answered = {pid for r in call.uow.checkins.responses(team, RunKind.WEEKLY, run.period) for pid in r.updates}
        head = f"{team or 'org'}" + (f" (check-in {run.period} open until {_closing(run)})" if run else "")
        lines.append(line(head + ":"))
        for p in (p for p in mine if p.team == team):
            conf = f", confidence {p.confidence}" if p.confidence is not None else ""
            done = " ✓ checked in" if p.id in answered else ""
            lines.append(line(f"  {p.id} ", Quote(p.title), f": {p.status.value}{conf}, {p.progress}% done{done}"))
    lines.append(line('Answer: checkin P-n [--status on-track|at-risk|off-track|done] [--confidence 0-100] '
                      '[--progress 0-100] [--note "..."]; with no options it confirms nothing changed.'))  # fmt: skip
    form = offers.checkin_form(mine, intro="For each priority, say how it is going.")
    return reply(*lines, data=[priority_json(p) for p in mine], form=form)


def checkin(call: Call, cmd: commands.Checkin) -> Reply:
    if cmd.number is None:
        return _form(call)
    p = access.priority(call, cmd.number)
    changed = (
        (cmd.status is not None and cmd.status != p.status)
        or (cmd.confidence is not None and cmd.confidence != p.confidence)
        or (cmd.progress is not None and cmd.progress != p.progress)
        or cmd.note is not None
    )
    if changed:
        update = commands.PriorityUpdate(number=p.number, status=cmd.status, confidence=cmd.confidence,
                                         progress=cmd.progress, note=cmd.note)  # fmt: skip
        lines = list(update_priority(call, update).lines)
        p = access.priority(call, cmd.number)
    else:
        access.require_priority_editor(call, p, f"check in {p.id}")
        if not p.is_open:
            raise Conflict(f"{p.id} is {p.status.value}: there is nothing to check in.")
        p.updated_at = call.now
        call.uow.priorities.save(p)
        call.record("priority.confirmed", p.id, status=p.status.value, confidence=p.confidence, progress=p.progress)
        conf = f", confidence {p.confidence}" if p.confidence is not None else ""
        lines = [line(f"{p.id} ", Quote(p.title), f" confirmed unchanged: {p.status.value}{conf}, {p.progress}% done.")]
    notices: tuple[Notice, ...] = ()
    run = open_weekly_run(call.uow, p.team, call.now) if p.team else None
    if run is not None:
        update_data = {"status": p.status.value, "confidence": p.confidence, "progress": p.progress, "note": cmd.note}
        notices = tuple(record_weekly(call.uow, run, call.actor, p.id, update_data, call.now))
        answered = {pid for r in call.uow.checkins.responses(run.team, run.kind, run.period) for pid in r.updates}
        left = [x for x, who in run.priorities.items() if who == call.actor and x not in answered]
        lines.append(line(f"Counted in the weekly check-in of {run.team} ({run.period})."
                          + (f" Still to check in: {', '.join(left)}." if left else "")))  # fmt: skip
    return reply(*lines, data=priority_json(p), public=True, notices=notices)
