"""Check-in runs: what each step of a run does, and what an answer does to it.

A step (prompt, reminder, digest, close) runs inside the caller's unit of work after its claim
was won, and returns the notices to queue in the same transaction. Answers (`standup`,
`checkin`) go through the same records, so early, on-time, edited and late answers all meet
the same rules: one response per (run, person), editable until the run closes, late answers
added under the digest.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from core import rules
from core.context import new_number
from core.model import Blocker, BlockerState, Event, Kind, Person, Priority, Team
from core.offers import Offer, checkin_offer, standup_offer
from core.ports import UnitOfWork
from core.reply import Line, Notice, Quote, Segment, line
from core.rhythm import (
    DueStep,
    Response,
    Rhythm,
    Run,
    RunKind,
    Step,
    Tally,
    answered_people,
    blocker_question,
    is_away,
    kind_label,
    new_run,
    period_of,
    runs_on,
    says_nothing,
    tallies,
    zone_steps,
)

BOT = "flotilla"
"""The actor the audit trail names for what the rhythm does by itself."""


def run_key(run: Run) -> str:
    return f"{run.kind.value}:{run.team}:{run.period}"


def digest_key(run: Run) -> str:
    return f"{run_key(run)}:digest"


def when(run: Run) -> str:
    """`Mon 2026-11-23` or `2026-W48`."""
    return f"{run.day.strftime('%a')} {run.day.isoformat()}" if run.kind is RunKind.STANDUP else run.period


def local_hm(instant: datetime, tz: str) -> str:
    return instant.astimezone(rules.zone_info(tz)).strftime("%a %H:%M")


def people_of(team: Team) -> list[str]:
    return list(dict.fromkeys([*team.members, *team.leads]))


# --- each member in their own zone (`rhythm set ... --tz member`) --------------------------------


def zone_of(person: Person | None, rhythm: Rhythm) -> str:
    """Where a person is asked: their own zone, or the team's when they have none."""
    return person.tz if person is not None and person.tz else rhythm.tz


def per_member(rhythm: Rhythm | None, kind: RunKind) -> bool:
    schedule = rhythm.schedule(kind) if rhythm is not None else None
    return schedule is not None and schedule.per_member


def asked_zones(uow: UnitOfWork, rhythms: Sequence[Rhythm]) -> dict[str, tuple[str, ...]]:
    """For each rhythm with a per-member schedule: the zones of the people it asks (members, leads
    and owners of the team's open priorities), for `due` to put one prompt and reminder in each."""
    wanted = [r for r in rhythms if per_member(r, RunKind.STANDUP) or per_member(r, RunKind.WEEKLY)]
    if not wanted:
        return {}
    people = {p.handle: p for p in uow.people.list()}
    teams = {t.handle: t for t in uow.teams.list()}
    owners: dict[str, set[str]] = {}
    for p in uow.priorities.list():
        if p.team is not None and p.owner is not None and p.is_open:
            owners.setdefault(p.team, set()).add(p.owner)
    out: dict[str, tuple[str, ...]] = {}
    for r in wanted:
        team = teams.get(r.team)
        handles = {*(people_of(team) if team else ()), *owners.get(r.team, ())}
        out[r.team] = tuple(sorted({zone_of(people.get(h), r) for h in handles} or {r.tz}))
    return out


def zones_of(uow: UnitOfWork, handles: Sequence[str], rhythm: Rhythm) -> dict[str, str]:
    """Where each of these people is asked, in one read of just them: a step concerns one team's
    people, and reading the whole organisation's for every step would cost what the organisation weighs."""
    people = {p.handle: p for p in uow.people.some(handles)}
    return {h: zone_of(people.get(h), rhythm) for h in dict.fromkeys(handles)}


def own_steps(uow: UnitOfWork, run: Run, person: str) -> tuple[datetime, datetime]:
    """When `person` is (or was) asked and reminded in this run: at their own local time for a
    per-member schedule, else the team's."""
    rhythm = uow.rhythms.get(run.team)
    schedule = rhythm.schedule(run.kind) if rhythm is not None else None
    if rhythm is None or schedule is None or not schedule.per_member:
        return run.opens_at, run.opens_at + timedelta(minutes=schedule.remind_after if schedule else 0)
    return zone_steps(schedule, run.day, zone_of(uow.people.get(person), rhythm))


def _in_zone(uow: UnitOfWork, rhythm: Rhythm, run: Run, zone: str, at: datetime, step: Step) -> set[str]:
    """Who a zone's prompt or reminder is for: the people living in that zone, and anyone whose own
    time has passed without it (they moved zones, or joined a zone nobody else was in yet).
    The outbox keys make sure that nobody hears it twice."""
    schedule = rhythm.schedule(run.kind)
    assert schedule is not None
    found = set()
    for handle, own in zones_of(uow, run.expected, rhythm).items():
        prompt, reminder = zone_steps(schedule, run.day, own)
        if own == zone or (prompt if step is Step.PROMPT else reminder) <= at:
            found.add(handle)
    return found


def owned(uow: UnitOfWork, team: str) -> dict[str, str]:
    """Open priorities of a team that have an owner: `P-n` -> owner."""
    return {p.id: p.owner for p in uow.priorities.list() if p.team == team and p.is_open and p.owner}


def run_for_day(uow: UnitOfWork, rhythm: Rhythm, kind: RunKind, day: date) -> Run:
    """The run of `kind` opening on `day`, as stored, or a new one (not saved)."""
    stored = uow.checkins.run(rhythm.team, kind, period_of(kind, day))
    if stored is not None:
        return stored
    zones: tuple[str, ...] = ()
    team = uow.teams.get(rhythm.team) if per_member(rhythm, kind) else None
    if team is not None:  # a per-member run stays open until the day is over where each of its people is
        asked = people_of(team) if kind is RunKind.STANDUP else list(owned(uow, team.handle).values())
        zones = tuple(sorted(set(zones_of(uow, asked, rhythm).values()) or {rhythm.tz}))
    return new_run(rhythm, kind, day, zones)


def name(uow: UnitOfWork, handle: str) -> str:
    """A person named, not pinged (digests list who is missing without notifying them)."""
    p = uow.people.get(handle)
    return p.name if p is not None else handle


# --- steps ---------------------------------------------------------------------------------------


def perform(uow: UnitOfWork, step: DueStep) -> list[Notice]:
    """Do one claimed step at its instant `step.at`. Returns the notices to queue."""
    rhythm, team = uow.rhythms.get(step.team), uow.teams.get(step.team)
    if rhythm is None or team is None or team.archived:
        return []
    if step.step is Step.PROMPT:
        if rhythm.paused or not runs_on(rhythm, step.kind, step.day):
            return []
        return _prompt(uow, rhythm, team, run_for_day(uow, rhythm, step.kind, step.day), step.at, step.zone)
    run = uow.checkins.run(step.team, step.kind, step.period)
    if run is None or run.prompted_at is None or run.closed:
        return []
    if step.step is Step.REMINDER:
        return _remind(uow, rhythm, run, step.at, step.zone)
    if step.step is Step.DIGEST:
        return _digest(uow, team, run, step.at)
    run.closed = True
    uow.checkins.save_run(run)
    return []


def _prompt(uow: UnitOfWork, rhythm: Rhythm, team: Team, run: Run, at: datetime, zone: str = "") -> list[Notice]:
    """Open the run (at its first prompt: who is asked, who is away), then ask the people of this
    step: everyone, or for a per-member schedule the people of `zone`."""
    if run.prompted_at is None:
        aways = list(uow.rhythms.aways())
        if run.kind is RunKind.STANDUP:
            people = people_of(team)
        else:
            run.priorities = owned(uow, team.handle)
            people = list(dict.fromkeys(run.priorities.values()))
        run.expected = [p for p in people if not is_away(aways, p, run.day)]
        run.away = [p for p in people if is_away(aways, p, run.day)]
        run.prompted_at = at
        uow.checkins.save_run(run)
    elif not zone:
        return []
    done = answered_people(run, list(uow.checkins.responses(run.team, run.kind, run.period)))
    asked = _in_zone(uow, rhythm, run, zone, at, Step.PROMPT) if zone else set(run.expected)
    key = run_key(run)
    return [
        Notice(lines=prompt_lines(uow, run, person), person=person, key=f"{key}:prompt:@{person}",
               offers=answer_offers(run))
        for person in run.expected
        if person not in done and person in asked
    ]  # fmt: skip


def answer_offers(run: Run) -> tuple[Offer, ...]:
    """A prompt or a reminder opens the form that answers it."""
    return (standup_offer(run.team),) if run.kind is RunKind.STANDUP else (checkin_offer(),)


def prompt_lines(uow: UnitOfWork, run: Run, person: str) -> tuple[Line, ...]:
    if run.kind is RunKind.STANDUP:
        return standup_form(run)
    mine = [p for p in uow.priorities.list() if run.priorities.get(p.id) == person]
    return weekly_form(run, mine)


def standup_form(run: Run, answers: list[str] | None = None) -> tuple[Line, ...]:
    lines: list[Line] = [line(f"Stand-up for {run.team}, {when(run)}. Answer inline, in order:")]
    for i, q in enumerate(run.questions, 1):
        said: list[Segment] = [" — you said: ", Quote(answers[i - 1])] if answers and i <= len(answers) else []
        lines.append(line(f"  {i}. ", Quote(q), *said))
    slots = " ".join(f'"<{i}>"' for i in range(1, len(run.questions) + 1))
    lines.append(line(f"  standup {slots}"))
    return tuple(lines)


def weekly_form(run: Run, priorities: list[Priority]) -> tuple[Line, ...]:
    lines: list[Line] = [line(f"Weekly check-in for {run.team} ({run.period}): how are your priorities?")]
    for p in priorities:
        conf = f", confidence {p.confidence}" if p.confidence is not None else ""
        lines.append(line(f"  {p.id} ", Quote(p.title), f": {p.status.value}{conf}, {p.progress}% done"))
    lines.append(line('  checkin P-n [--status S] [--confidence 0-100] [--progress 0-100] [--note "..."]'
                      " (no options: unchanged)"))  # fmt: skip
    return tuple(lines)


def _remind(uow: UnitOfWork, rhythm: Rhythm, run: Run, at: datetime, zone: str = "") -> list[Notice]:
    aways = list(uow.rhythms.aways())
    done = answered_people(run, list(uow.checkins.responses(run.team, run.kind, run.period)))
    mine = _in_zone(uow, rhythm, run, zone, at, Step.REMINDER) if zone else set(run.expected)
    due = [p for p in run.expected if p not in done and not is_away(aways, p, run.day) and p in mine]
    run.reminded = list(dict.fromkeys([*run.reminded, *due])) if zone else due
    uow.checkins.save_run(run)
    key = run_key(run)
    notices = []
    for person in due:
        if run.kind is RunKind.STANDUP:
            slots = " ".join(f'"<{i}>"' for i in range(1, len(run.questions) + 1))
            tz = zone_of(uow.people.get(person), rhythm) if zone else run.tz
            yours = " your time" if zone and tz != run.tz else ""
            digest = ("your answer goes under the digest" if run.digested_at is not None else
                      f"the digest goes out {local_hm(run.digest_at, tz)}{yours}")  # fmt: skip
            text = (f"Reminder: your stand-up for {run.team} ({when(run)}) is still open; {digest}. Answer with "
                    f"`standup {slots}`.")  # fmt: skip
        else:
            left = [p for p, who in run.priorities.items() if who == person and not _updated(uow, run, p)]
            text = (f"Reminder: the weekly check-in for {run.team} ({run.period}) still waits for "
                    f"{', '.join(left)}. Answer with `checkin P-n ...` (`checkin` shows the form).")  # fmt: skip
        notices.append(Notice(lines=(line(text),), person=person, key=f"{key}:reminder:@{person}",
                              offers=answer_offers(run)))  # fmt: skip
    return notices


def _updated(uow: UnitOfWork, run: Run, pid: str) -> bool:
    return any(pid in r.updates for r in uow.checkins.responses(run.team, run.kind, run.period))


def _digest(uow: UnitOfWork, team: Team, run: Run, at: datetime) -> list[Notice]:
    responses = list(uow.checkins.responses(run.team, run.kind, run.period))
    if not (run.expected or run.away or responses):
        return []  # nobody was asked (a weekly check-in of a team without owned priorities)
    done = answered_people(run, responses)
    asked_at = _asked_after(uow, run, at, done)
    later = list(asked_at)
    expected = [p for p in run.expected if p not in asked_at]
    asked = len(expected)
    answered = len([p for p in expected if p in done])
    lines: list[Line] = [
        line(f"{kind_label(run.kind).capitalize()} digest for {run.team}, {when(run)}: {answered} of {asked} answered.")
    ]
    if run.kind is RunKind.STANDUP:
        for r in responses:
            lines += answer_lines(uow, run, r)
    else:
        prios = {p.id: p for p in uow.priorities.list()}
        for r in responses:
            for pid, update in r.updates.items():
                lines.append(weekly_update_line(prios.get(pid), pid, update, name(uow, r.person)))
    missing = [p for p in expected if p not in done]
    if missing:
        if run.kind is RunKind.WEEKLY:
            left = [f"{pid} ({name(uow, who)})" for pid, who in run.priorities.items()
                    if who in missing and not _updated(uow, run, pid)]  # fmt: skip
            lines.append(line("Missing: ", ", ".join(left)))
        else:
            lines.append(line("Missing: ", ", ".join(name(uow, p) for p in missing)))
    if later:
        said = ", ".join(f"{name(uow, p)} ({asked_at[p].astimezone(rules.zone_info(run.tz)):%H:%M})" for p in later)
        lines.append(line(f"Asked after this digest, in their own time zones (times in {run.tz}): ", said))
    if run.away:
        lines.append(line("Away: ", ", ".join(name(uow, p) for p in run.away)))
    run.digested_at = at
    uow.checkins.save_run(run)
    return _to_team(team, tuple(lines), digest_key(run))


def _asked_after(uow: UnitOfWork, run: Run, at: datetime, done: set[str]) -> dict[str, datetime]:
    """People of a per-member run whose own prompt comes after `at` (west of the team), and when."""
    rhythm = uow.rhythms.get(run.team)
    if rhythm is None or not per_member(rhythm, run.kind):
        return {}
    schedule = rhythm.schedule(run.kind)
    assert schedule is not None
    waiting = [h for h in run.expected if h not in done]
    found = {h: zone_steps(schedule, run.day, zone)[0] for h, zone in zones_of(uow, waiting, rhythm).items()}
    return {h: when_ for h, when_ in found.items() if when_ > at}


def _to_team(team: Team, lines: tuple[Line, ...], key: str, thread: str | None = None) -> list[Notice]:
    """A team's channel, or its leads when it has none."""
    if team.channel:
        return [Notice(lines=lines, channel=team.channel, key=key, thread=thread)]
    return [Notice(lines=lines, person=h, key=f"{key}:@{h}") for h in team.leads]


def answer_lines(uow: UnitOfWork, run: Run, r: Response, header: str | None = None) -> list[Line]:
    lines: list[Line] = [line(header or name(uow, r.person))]
    for q, a in zip(run.questions, r.answers, strict=False):
        lines.append(line("  ", Quote(q), " ", Quote(a)))
    if r.blocker is not None:
        b = uow.blockers.get(r.blocker)
        state = "" if b is None or b.state is BlockerState.OPEN else f", {b.state.value}"
        lines[-1] = (*lines[-1], f" ({Kind.BLOCKER.value}-{r.blocker}{state})")
    return lines


def weekly_update_line(p: Priority | None, pid: str, update: dict[str, Any], who: str) -> Line:
    title: list[Segment] = [" ", Quote(p.title)] if p else []
    said = [f"{k} {update[k]}" for k in ("status", "confidence", "progress") if update.get(k) is not None]
    parts: list[Segment] = [pid, *title, " — ", ", ".join(said) or "unchanged"]
    if update.get("note"):
        parts += [" — ", Quote(str(update["note"]))]
    return (*parts, f" ({who})")


# --- answers -------------------------------------------------------------------------------------


def answer_standup(
    uow: UnitOfWork, run: Run, person: str, answers: list[str], now: datetime
) -> tuple[Response, bool, list[Line], list[Notice]]:
    """Store (or replace) a stand-up answer. Returns the response, whether it was an edit, lines
    for the reply (a blocker raised or resolved) and notices (a late answer under the digest)."""
    if run.prompted_at is None and uow.checkins.run(run.team, run.kind, run.period) is None:
        uow.checkins.save_run(run)  # answered before the prompt: the run starts now
    old = uow.checkins.response(run.team, run.kind, run.period, person)
    late = run.digested_at is not None and own_steps(uow, run, person)[0] <= run.digested_at
    r = old or Response(team=run.team, kind=run.kind, period=run.period, person=person, answered_at=now,
                        updated_at=now, late=late)  # fmt: skip
    r.answers, r.updated_at = list(answers), now
    said: list[Line] = []
    bq = blocker_question(run.questions)
    if bq is not None and bq < len(answers):
        said = _blocker(uow, run, r, answers[bq], now)
    uow.checkins.save_response(r)
    uow.events.append(Event(at=now, actor=person, kind="checkin.answered", subject=run.team,
                            data={"kind": run.kind.value, "period": run.period, "edit": old is not None,
                                  "late": run.digested_at is not None}))  # fmt: skip
    notices: list[Notice] = []
    if run.digested_at is not None:
        team = uow.teams.get(run.team)
        verb = "edited their answer" if old is not None else "answered late" if late else "answered"
        header = f"{name(uow, person)} {verb}:"
        key = f"{digest_key(run)}:late:@{person}:{_fingerprint(now, answers)}"
        if team is not None:
            notices = _to_team(team, tuple(answer_lines(uow, run, r, header)), key, thread=digest_key(run))
    return r, old is not None, said, notices


def _blocker(uow: UnitOfWork, run: Run, r: Response, answer: str, now: datetime) -> list[Line]:
    existing = uow.blockers.get(r.blocker) if r.blocker is not None else None
    is_open = existing is not None and existing.state is BlockerState.OPEN
    if says_nothing(answer):
        if existing is not None and is_open:
            existing.state, existing.resolved_by, existing.resolved_at = BlockerState.RESOLVED, r.person, now
            uow.blockers.save(existing)
            uow.events.append(Event(at=now, actor=r.person, kind="blocker.resolved", subject=existing.id,
                                    data={"age_days": (now - existing.raised_at).days, "via": "standup"}))  # fmt: skip
            return [line(f"{existing.id} resolved: your blocker answer now says there is none.")]
        return []
    text = answer.strip()
    if existing is not None and is_open:
        if existing.text != text:
            existing.text = text
            uow.blockers.save(existing)
            uow.events.append(Event(at=now, actor=r.person, kind="blocker.edited", subject=existing.id,
                                    data={"text": text, "team": run.team}))  # fmt: skip
            return [line(f"{existing.id} updated: ", Quote(text))]
        return []
    b = Blocker(number=new_number(uow, Kind.BLOCKER), text=text, raised_by=r.person, raised_at=now, team=run.team)
    uow.blockers.save(b)
    uow.events.append(Event(at=now, actor=r.person, kind="blocker.raised", subject=b.id,
                            data={"text": text, "team": run.team, "on": None, "via": "standup"}))  # fmt: skip
    r.blocker = b.number
    return [line(f"{b.id} raised for {run.team}: ", Quote(text))]


def record_weekly(
    uow: UnitOfWork, run: Run, person: str, pid: str, update: dict[str, Any], now: datetime
) -> list[Notice]:
    """Count a priority's check-in answer in its team's open weekly run."""
    old = uow.checkins.response(run.team, run.kind, run.period, person)
    r = old or Response(team=run.team, kind=run.kind, period=run.period, person=person, answered_at=now,
                        updated_at=now, late=run.digested_at is not None)  # fmt: skip
    r.updates[pid], r.updated_at = update, now
    uow.checkins.save_response(r)
    uow.events.append(Event(at=now, actor=person, kind="checkin.answered", subject=run.team,
                            data={"kind": run.kind.value, "period": run.period, "priority": pid}))  # fmt: skip
    if run.digested_at is None:
        return []
    team = uow.teams.get(run.team)
    p = uow.priorities.get(int(pid.split("-")[1]))
    late = (line(f"{name(uow, person)} checked in late:"), weekly_update_line(p, pid, update, name(uow, person)))
    key = f"{digest_key(run)}:late:{pid}:{_fingerprint(now, update)}"
    return _to_team(team, late, key, thread=digest_key(run)) if team is not None else []


def _fingerprint(now: datetime, said: object) -> str:
    """Tells one late post from another: the same answer at the same instant is the same post."""
    return f"{now.isoformat()}:{hashlib.sha256(repr(said).encode()).hexdigest()[:12]}"


def open_weekly_run(uow: UnitOfWork, team: str, now: datetime) -> Run | None:
    runs = [r for r in uow.checkins.runs() if r.team == team and r.kind is RunKind.WEEKLY and r.is_open(now)]
    return runs[-1] if runs else None


# --- participation -------------------------------------------------------------------------------


def team_tallies(uow: UnitOfWork, team: str, since: datetime, until: datetime) -> dict[str, dict[str, Tally]]:
    """Per kind, per person: asked and answered over the runs of `team` that opened in [since, until)."""
    runs = [r for r in uow.checkins.runs(since) if r.team == team and r.opens_at < until]
    out: dict[str, dict[str, Tally]] = {}
    for kind in RunKind:
        mine = [r for r in runs if r.kind is kind]
        if mine:
            out[kind.value] = tallies(mine, list(uow.checkins.responses(team, kind)))
    return out


def pending(uow: UnitOfWork, person: str, now: datetime) -> list[Run]:
    """Open, prompted runs that still wait for `person` (`me` lists them)."""
    from datetime import timedelta

    runs = [r for r in uow.checkins.runs(now - timedelta(days=8)) if r.is_open(now) and r.prompted_at is not None]
    return [r for r in runs if person in r.expected and person not in _answered(uow, r)]


def _answered(uow: UnitOfWork, run: Run) -> set[str]:
    return answered_people(run, list(uow.checkins.responses(run.team, run.kind, run.period)))


def week_bounds(uow: UnitOfWork, team: str, now: datetime, weeks_back: int = 0) -> tuple[date, datetime, datetime]:
    """Monday of the team's week (`weeks_back` weeks ago) and that week's instants [start, end)."""
    from datetime import time, timedelta

    from core.rhythm import local_date, local_instant

    r = uow.rhythms.get(team)
    tz = r.tz if r else "UTC"
    today = local_date(now, tz)
    monday = today - timedelta(days=today.weekday() + 7 * weeks_back)
    start = local_instant(monday, time(0, 0), tz)
    return monday, start, local_instant(monday + timedelta(days=7), time(0, 0), tz)


def participation(uow: UnitOfWork, team: str, now: datetime) -> tuple[list[Line], dict[str, Any]]:
    """`team show`'s participation: this week and last, per kind, and per person this week."""
    lines: list[Line] = []
    data: dict[str, Any] = {}
    for back, label in ((0, "this week"), (1, "last week")):
        monday, start, end = week_bounds(uow, team, now, back)
        per_kind = team_tallies(uow, team, start, end)
        totals = {k: sum(per_kind[k].values(), Tally()) for k in per_kind}
        data[label.replace(" ", "_")] = {
            "from": monday.isoformat(),
            **{k: {"asked": t.expected, "answered": t.answered} for k, t in totals.items()},
            "people": {
                p: {"asked": t.expected, "answered": t.answered} for p, t in sorted(_sum_people(per_kind).items())
            },
        }
        said = "; ".join(
            f"{kind_label(RunKind(k))}s {t.answered} of {t.expected} ({round(100 * t.rate)}%)"
            for k, t in totals.items()
        )
        lines.append(line(f"Check-ins {label} (from {monday.isoformat()}): {said or 'none'}"))
        if back == 0 and per_kind:
            people = _sum_people(per_kind)
            lines.append(
                line("  " + " · ".join(f"{name(uow, p)} {t.answered}/{t.expected}" for p, t in people.items()))
            )
    return lines, data


def _sum_people(per_kind: dict[str, dict[str, Tally]]) -> dict[str, Tally]:
    out: dict[str, Tally] = {}
    for tallies_ in per_kind.values():
        for p, t in tallies_.items():
            out[p] = out.get(p, Tally()) + t
    return out
