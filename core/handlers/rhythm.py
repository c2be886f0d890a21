"""`rhythm set|show|pause|resume|skip`, `away`, `back`: when a team checks in, and who is out."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from core import access, commands
from core.errors import Conflict, InvalidInput
from core.handlers.briefings import schedule_lines as briefing_lines
from core.handlers.checks import future_date
from core.model import Team
from core.reply import ChannelRef, Line, Quote, Reply, Segment, line, reply
from core.rhythm import (
    Away,
    Rhythm,
    RunKind,
    check_tz,
    day_names,
    kind_label,
    local_date,
    make_schedule,
    next_run,
    rhythm_json,
)
from core.service import Call


def _team(call: Call, handle: str | None, doing: str) -> tuple[Team, Rhythm]:
    t = access.team_or_mine(call, handle, what="the rhythm is for")
    access.require_lead_or_admin(call, t, f"{doing} of {t.handle}")
    return t, call.uow.rhythms.get(t.handle) or Rhythm(team=t.handle, tz=call.uow.workspace.get().tz)


def _when(r: Rhythm, instant: Any) -> str:
    from zoneinfo import ZoneInfo

    local = instant.astimezone(ZoneInfo(r.tz))
    return f"{local.strftime('%a %Y-%m-%d %H:%M')} {r.tz}"


def schedule_lines(r: Rhythm, kind: RunKind, t: Team, call: Call) -> list[Line]:
    s = r.schedule(kind)
    label = kind_label(kind).capitalize()
    if s is None:
        how = "rhythm set standup --days mon-fri --at 09:30" if kind is RunKind.STANDUP else \
            "rhythm set weekly --day fri --at 14:00"  # fmt: skip
        return [line(f"{label}: not set (a lead sets it with `{how}`).")]
    days = day_names(s.days) if kind is RunKind.STANDUP else f"every {day_names(s.days)}"
    where: Segment = ChannelRef(t.channel) if t.channel else "the leads (no home channel)"
    lines: list[Line] = [
        line(f"{label}: {days} at {s.at.strftime('%H:%M')} {r.tz}, reminder {s.remind_after} minutes later, "
             f"digest at {s.digest_at.strftime('%H:%M')} to ", where, "."),
    ]  # fmt: skip
    for i, q in enumerate(s.questions, 1):
        lines.append(line(f"  {i}. ", Quote(q)))
    nxt = next_run(r, kind, call.now)
    if nxt is not None:
        lines.append(line(f"  Next: {_when(r, nxt)}."))
    return lines


def _set(call: Call, cmd: commands.RhythmSetStandup | commands.RhythmSetWeekly, kind: RunKind) -> Reply:
    t, r = _team(call, cmd.team, "set the rhythm")
    if cmd.tz is not None:
        r.tz = check_tz(cmd.tz)
    if isinstance(cmd, commands.RhythmSetStandup):
        old = r.standup.questions if r.standup else None
        r.standup = make_schedule(kind, cmd.days, cmd.at, remind_after=cmd.remind, digest_at=cmd.digest,
                                  questions=cmd.questions or old)  # fmt: skip
    else:
        r.weekly = make_schedule(kind, (cmd.day,), cmd.at, remind_after=cmd.remind, digest_at=cmd.digest)
    call.uow.rhythms.save(r)
    call.record("rhythm.set", t.handle, schedule=kind.value, tz=r.tz, **rhythm_json(r)[kind.value])
    lines = [line(f"Rhythm of {t.handle} set."), *schedule_lines(r, kind, t, call)]
    if r.paused:
        lines.append(line(f"{t.handle}'s rhythm is paused: `rhythm resume --team {t.handle}` to start it."))
    return reply(*lines, data=rhythm_json(r), public=True)


def set_standup(call: Call, cmd: commands.RhythmSetStandup) -> Reply:
    return _set(call, cmd, RunKind.STANDUP)


def set_weekly(call: Call, cmd: commands.RhythmSetWeekly) -> Reply:
    return _set(call, cmd, RunKind.WEEKLY)


def show(call: Call, cmd: commands.RhythmShow) -> Reply:
    t = access.team_or_mine(call, cmd.team, what="to show", how="--team")
    r = call.uow.rhythms.get(t.handle) or Rhythm(team=t.handle, tz=call.uow.workspace.get().tz)
    lines: list[Line] = [line(f"Rhythm of {t.handle}" + (" (paused)" if r.paused else "") + ":")]
    for kind in RunKind:
        lines += schedule_lines(r, kind, t, call)
    lines += briefing_lines(call, t)
    today = local_date(call.now, r.tz)
    upcoming = [d for d in r.skip if d >= today]
    lines.append(line("Skipped dates: ", ", ".join(d.isoformat() for d in upcoming) or "none"))
    away = [a for a in call.uow.rhythms.aways() if t.has_member(a.person) and a.end >= today]
    if away:
        said = ", ".join(f"{a.person} {a.start.isoformat()} to {a.end.isoformat()}" for a in away)
        lines.append(line("Away: ", said))
    return reply(*lines, data=rhythm_json(r))


def pause(call: Call, cmd: commands.RhythmPause) -> Reply:
    t, r = _team(call, cmd.team, "pause the rhythm")
    if r.paused:
        raise Conflict(f"The rhythm of {t.handle} is already paused.")
    r.paused = True
    call.uow.rhythms.save(r)
    call.record("rhythm.paused", t.handle)
    return reply(line(f"Rhythm of {t.handle} paused: no stand-ups or weekly check-ins until `rhythm resume`."),
                 data=rhythm_json(r), public=True)  # fmt: skip


def resume(call: Call, cmd: commands.RhythmResume) -> Reply:
    t, r = _team(call, cmd.team, "resume the rhythm")
    if not r.paused:
        raise Conflict(f"The rhythm of {t.handle} is not paused.")
    r.paused = False
    call.uow.rhythms.save(r)
    call.record("rhythm.resumed", t.handle)
    lines = [line(f"Rhythm of {t.handle} resumed.")]
    for kind in RunKind:
        nxt = next_run(r, kind, call.now)
        if nxt is not None:
            lines.append(line(f"Next {kind_label(kind)}: {_when(r, nxt)}."))
    return reply(*lines, data=rhythm_json(r), public=True)


def skip(call: Call, cmd: commands.RhythmSkip) -> Reply:
    t, r = _team(call, cmd.team, "skip a date in the rhythm")
    today = local_date(call.now, r.tz)
    day = cmd.day.resolve(today)
    if day < today:
        raise InvalidInput(f"The date {day.isoformat()} is in the past (today is {today.isoformat()}).")
    if day in r.skip:
        raise Conflict(f"{t.handle} already skips {day.isoformat()}.")
    r.skip = sorted({*r.skip, day})
    call.uow.rhythms.save(r)
    call.record("rhythm.skipped", t.handle, date=day.isoformat())
    return reply(line(f"{t.handle} skips {day.strftime('%a')} {day.isoformat()}: no stand-up and no weekly "
                      "check-in that day."), data=rhythm_json(r), public=True)  # fmt: skip


def away(call: Call, cmd: commands.Away) -> Reply:
    start = cmd.start.resolve(call.today)
    end = future_date(call, cmd.end, "end of your time away")
    if end < start:
        raise InvalidInput(f"You come back before you leave: {start.isoformat()} is after {end.isoformat()}.")
    if (end - start).days > 366:
        raise InvalidInput("Time away is at most a year; set another range later.")
    ranges = list(call.uow.rhythms.aways(call.actor))
    merged = Away(call.actor, start, end)
    keep: list[Away] = []
    for a in ranges:
        if a.start <= merged.end + timedelta(days=1) and merged.start <= a.end + timedelta(days=1):
            merged = Away(call.actor, min(a.start, merged.start), max(a.end, merged.end))
        else:
            keep.append(a)
    call.uow.rhythms.set_aways(call.actor, [*keep, merged])
    call.record("person.away", call.actor, start=merged.start.isoformat(), end=merged.end.isoformat())
    return reply(
        line(f"You are away from {merged.start.isoformat()} to {merged.end.isoformat()}: no stand-up or check-in "
             "prompts, and you are not counted as missing. Say `back` when you return early."),
        data={"person": call.actor, "start": merged.start.isoformat(), "end": merged.end.isoformat()},
    )  # fmt: skip


def back(call: Call, _: commands.Back) -> Reply:
    today = call.today
    ranges = list(call.uow.rhythms.aways(call.actor))
    now = [a for a in ranges if a.covers(today)]
    if not now:
        later = [a for a in ranges if a.start > today]
        planned = f" (planned: {later[0].start.isoformat()} to {later[0].end.isoformat()})" if later else ""
        raise Conflict(f"You are not away today{planned}.")
    yesterday = today - timedelta(days=1)
    kept = [a for a in ranges if not a.covers(today)]
    kept += [Away(a.person, a.start, yesterday) for a in now if a.start <= yesterday]
    call.uow.rhythms.set_aways(call.actor, kept)
    call.record("person.back", call.actor, date=today.isoformat())
    return reply(line("Welcome back: prompts resume with the next stand-up and check-in."),
                 data={"person": call.actor, "back": today.isoformat()})  # fmt: skip
