"""`rhythm set|show|pause|resume|skip`, `away`, `back`: when a team checks in, and who is out."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from core import access, commands, rules
from core.checkins import people_of, zone_of
from core.commands import MEMBER_TZ
from core.context import Call
from core.errors import Conflict, InvalidInput
from core.handlers.briefings import schedule_lines as briefing_lines
from core.handlers.checks import future_date
from core.model import Team
from core.reply import ChannelRef, Line, Quote, Reply, Segment, line, reply
from core.rhythm import (
    Away,
    Rhythm,
    RunKind,
    Schedule,
    away_json,
    day_names,
    kind_label,
    local_date,
    local_instant,
    make_schedule,
    next_run,
    rhythm_json,
    zone_steps,
)


def _team(call: Call, handle: str | None, doing: str) -> tuple[Team, Rhythm]:
    t = access.team_or_mine(call, handle, what="the rhythm is for", active=True)
    access.require_lead_or_admin(call, t, f"{doing} of {t.handle}")
    return t, call.uow.rhythms.get(t.handle) or Rhythm(team=t.handle, tz=call.uow.workspace.get().tz)


def _when(r: Rhythm, instant: Any) -> str:
    local = instant.astimezone(rules.zone_info(r.tz))
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
    at = s.at.strftime("%H:%M")
    zone = f"{at} in each member's own time zone ({r.tz} for those without one)" if s.per_member else f"{at} {r.tz}"
    digest = s.digest_at.strftime("%H:%M") + (f" {r.tz}" if s.per_member else "")
    lines: list[Line] = [
        line(f"{label}: {days} at {zone}, reminder {s.remind_after} minutes later, digest at {digest} to ", where, "."),
    ]
    for i, q in enumerate(s.questions, 1):
        lines.append(line(f"  {i}. ", Quote(q)))
    nxt = next_run(r, kind, call.now)
    if nxt is not None:
        day = nxt.astimezone(rules.zone_info(r.tz)).strftime("%a %Y-%m-%d")
        when = f"{day}, {at} each member's time" if s.per_member else _when(r, nxt)
        lines.append(line(f"  Next: {when}."))
    return lines


def _changed(
    call: Call, t: Team, r: Rhythm, cmd: commands.RhythmSetStandup | commands.RhythmSetWeekly, kind: RunKind
) -> Schedule:
    """The schedule with the options given changed and every other one as it was."""
    old = r.schedule(kind)
    standup = isinstance(cmd, commands.RhythmSetStandup)
    given = cmd.days if isinstance(cmd, commands.RhythmSetStandup) else (None if cmd.day is None else (cmd.day,))
    days, at = given or (old.days if old else None), cmd.at or (old.at if old else None)
    if days is None or at is None:
        need = "--days mon-fri --at 09:30" if standup else "--day fri --at 14:00"
        raise InvalidInput(f"{t.handle} has no {kind_label(kind)} yet: say when, like `{need}`.")
    per_member = cmd.tz == MEMBER_TZ if cmd.tz is not None else bool(old and old.per_member)
    keep = old if old is not None else None
    remind = cmd.remind if cmd.remind is not None else (keep.remind_after if keep else None)
    digest = cmd.digest if cmd.digest is not None else (keep.digest_at if keep else None)
    questions = (cmd.questions if isinstance(cmd, commands.RhythmSetStandup) else None) or (keep.questions if keep
                                                                                           else None)  # fmt: skip
    try:
        return make_schedule(kind, days, at, remind_after=remind, digest_at=digest, questions=questions,
                             per_member=per_member)  # fmt: skip
    except InvalidInput as e:
        about = ("digest",) if e.message.startswith("The digest") else ("remind", "digest")
        kept = [f"--{name}" for name, given_ in (("remind", cmd.remind), ("digest", cmd.digest))
                if given_ is None and keep is not None and name in about]  # fmt: skip
        if not kept:
            raise
        raise InvalidInput(f"{e.message.rstrip('.')} ({' and '.join(kept)} kept from before: give "
                           f"{' or '.join(kept)} too).") from None  # fmt: skip


def _late_members(call: Call, t: Team, r: Rhythm, s: Schedule) -> list[Line]:
    """Members a per-member stand-up asks after the team's digest (they live west of the team)."""
    day = next((local_date(call.now, r.tz) + timedelta(days=i) for i in range(8)
                if (local_date(call.now, r.tz) + timedelta(days=i)).weekday() in s.days), None)  # fmt: skip
    if day is None or not s.per_member:
        return []
    digest = local_instant(day, s.digest_at, r.tz)
    late = []
    for handle in people_of(t):
        zone = zone_of(call.uow.people.get(handle), r)
        asked = zone_steps(s, day, zone)[0]
        if asked > digest:
            late.append(f"@{handle} ({zone}: {asked.astimezone(rules.zone_info(r.tz)):%H:%M} {r.tz})")
    if not late:
        return []
    return [line(f"Asked after the {s.digest_at:%H:%M} digest: {', '.join(late)}; their answers go under it. A "
                 "later --digest includes them.")]  # fmt: skip


def _set(call: Call, cmd: commands.RhythmSetStandup | commands.RhythmSetWeekly, kind: RunKind) -> Reply:
    t, r = _team(call, cmd.team, "set the rhythm")
    before = rhythm_json(r)
    if cmd.tz is not None and cmd.tz != MEMBER_TZ:
        r.tz = rules.zone(cmd.tz)
    schedule = _changed(call, t, r, cmd, kind)
    if kind is RunKind.STANDUP:
        r.standup = schedule
    else:
        r.weekly = schedule
    if rhythm_json(r) == before:
        raise Conflict(f"Nothing changed: the {kind_label(kind)} of {t.handle} is already set that way.")
    call.uow.rhythms.save(r)
    call.record("rhythm.set", t.handle, schedule=kind.value, tz=r.tz, **rhythm_json(r)[kind.value])
    lines = [
        line(f"Rhythm of {t.handle} set."),
        *schedule_lines(r, kind, t, call),
        *_late_members(call, t, r, schedule),
    ]
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
    rules.away_range(start, end)
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
    """Ends the time away you are in; when you are not away, cancels the next one that has not started."""
    today = call.today
    ranges = list(call.uow.rhythms.aways(call.actor))
    now = [a for a in ranges if a.covers(today)]
    if not now:
        later = sorted((a for a in ranges if a.start > today), key=lambda a: a.start)
        if not later:
            raise Conflict("You are not away, and no time away is planned.")
        gone = later[0]
        call.uow.rhythms.set_aways(call.actor, [a for a in ranges if a != gone])
        call.record("person.away_cancelled", call.actor, start=gone.start.isoformat(), end=gone.end.isoformat())
        rest = f" Still planned: {later[1].start.isoformat()} to {later[1].end.isoformat()}." if len(later) > 1 else ""
        return reply(line(f"You were not away today, so I cancelled your next time away ({gone.start.isoformat()} "
                          f"to {gone.end.isoformat()}): you will be asked as usual.{rest}"),
                     data={"person": call.actor, "cancelled": away_json(gone)})  # fmt: skip
    yesterday = today - timedelta(days=1)
    kept = [a for a in ranges if not a.covers(today)]
    kept += [Away(a.person, a.start, yesterday) for a in now if a.start <= yesterday]
    call.uow.rhythms.set_aways(call.actor, kept)
    call.record("person.back", call.actor, date=today.isoformat())
    return reply(line("Welcome back: prompts resume with the next stand-up and check-in."),
                 data={"person": call.actor, "back": today.isoformat()})  # fmt: skip
