"""The operating rhythm: each team's stand-up and weekly check-in, and what falls due when.

Everything here is pure. `due(rhythms, t0, t1)` is the one answer to "what should happen between
these two instants": the scheduler asks it over (last tick, now], the console's `!time` over the
jump, tests over whatever they like. Schedules are wall-clock times in the team's time zone, so a
step is found by walking the team's local dates and turning each local time into an instant:

- a local time inside a spring-forward gap fires once, at the shifted time (02:30 -> 03:30);
- a local time that happens twice in the autumn fires once, at its first occurrence;

each (team, kind, period, step) has exactly one instant, so nothing is doubled or skipped.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from core import rules
from core.dates import WEEKDAYS
from core.errors import InvalidInput


class RunKind(enum.StrEnum):
    STANDUP = "standup"
    WEEKLY = "weekly"


class Step(enum.StrEnum):
    PROMPT = "prompt"
    REMINDER = "reminder"
    DIGEST = "digest"
    CLOSE = "close"


STEP_ORDER = {Step.CLOSE: 0, Step.PROMPT: 1, Step.REMINDER: 2, Step.DIGEST: 3}
"""At one instant a run closes before the next one opens."""

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_QUESTIONS = (
    "What did you get done since last time?",
    "What will you do next?",
    "Anything blocking you?",
)
NOTHING = frozenset({"", "none", "no", "nope", "nothing", "-", "--", "n/a", "na", "no blockers", "nothing blocking"})
"""Blocker answers that say nothing (compared lower-case, trimmed, trailing dot dropped)."""

STANDUP_REMIND, STANDUP_DIGEST = 60, timedelta(hours=2)
WEEKLY_REMIND, WEEKLY_DIGEST = 120, timedelta(hours=4)


@dataclass(frozen=True)
class Schedule:
    """When one kind of check-in happens: on `days` at `at`, a reminder `remind_after` minutes
    later to whoever has not answered, and a digest to the team's channel at `digest_at`."""

    days: tuple[int, ...]
    """Weekdays, Monday = 0 (a weekly check-in has exactly one)."""
    at: time
    remind_after: int
    digest_at: time
    questions: tuple[str, ...] = ()
    """Stand-up questions in order (the weekly check-in asks about priorities instead)."""
    per_member: bool = False
    """`--tz member`: each person is asked (and reminded) at `at` in their own zone (the team's
    when they have none); the digest stays at `digest_at` in the team's zone."""


@dataclass
class Rhythm:
    team: str
    tz: str = "UTC"
    """The team's IANA time zone: both schedules are wall-clock times there."""
    standup: Schedule | None = None
    weekly: Schedule | None = None
    paused: bool = False
    skip: list[date] = field(default_factory=list)
    """Dates (in the team's time zone) on which nothing runs: holidays."""

    def schedule(self, kind: RunKind) -> Schedule | None:
        return self.standup if kind is RunKind.STANDUP else self.weekly


@dataclass(frozen=True)
class Away:
    """A person out of office from `start` to `end`, both included."""

    person: str
    start: date
    end: date

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True)
class DueStep:
    team: str
    kind: RunKind
    period: str
    """`2026-11-23` for a stand-up, `2026-W48` for a weekly check-in."""
    step: Step
    at: datetime
    """The instant it falls due (UTC)."""
    day: date
    """The local date the run opens on."""
    zone: str = ""
    """For a per-member schedule's prompt and reminder: the zone whose people it is for. "" for a
    step of the whole team."""

    @property
    def key(self) -> str:
        """What the claim is on: one row per (team, kind, period, step[, zone]), across all processes."""
        key = f"{self.team}:{self.kind.value}:{self.period}:{self.step.value}"
        return f"{key}@{self.zone}" if self.zone else key


@dataclass
class Run:
    """One check-in: a team's stand-up on one day, or its weekly check-in of one week."""

    team: str
    kind: RunKind
    period: str
    day: date
    """The local date it opens on."""
    opens_at: datetime
    closes_at: datetime
    digest_at: datetime
    tz: str = "UTC"
    prompted_at: datetime | None = None
    digested_at: datetime | None = None
    closed: bool = False
    expected: list[str] = field(default_factory=list)
    """Who was asked (members, or for a weekly check-in the owners), away people excluded."""
    away: list[str] = field(default_factory=list)
    reminded: list[str] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)
    priorities: dict[str, str] = field(default_factory=dict)
    """Weekly: each open priority of the team (`P-n`) -> its owner, when the run opened."""

    def is_open(self, now: datetime) -> bool:
        return not self.closed and now < self.closes_at

    @property
    def label(self) -> str:
        if self.kind is RunKind.STANDUP:
            return f"stand-up of {self.day.strftime('%a')} {self.day.isoformat()}"
        return f"weekly check-in of {self.period}"


@dataclass
class Response:
    """One person's answer to one run; editing replaces it until the run closes."""

    team: str
    kind: RunKind
    period: str
    person: str
    answered_at: datetime
    updated_at: datetime
    answers: list[str] = field(default_factory=list)
    """Stand-up: one answer per question, in order."""
    updates: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Weekly: `P-n` -> what was reported (status, confidence, progress, note)."""
    late: bool = False
    """First answered after the digest went out."""
    blocker: int | None = None
    """The B-n its blocker answer raised."""


# --- parsing what leads type -------------------------------------------------------------------

_CLOCK = re.compile(r"^([01]?[0-9]|2[0-3])[:.h]?([0-5][0-9])$")
_DURATION = re.compile(r"^(?:(\d{1,3})h)?(?:(\d{1,4})m?)?$")


def parse_days(text: str) -> tuple[int, ...]:
    """`mon-fri`, `mon,wed,fri`, `weekdays`, `daily`, `tue-thu,sat` -> sorted weekday numbers."""
    t = text.strip().lower()
    if t in ("weekdays", "workdays"):
        return (0, 1, 2, 3, 4)
    if t in ("daily", "everyday", "every-day", "all"):
        return tuple(range(7))
    days: set[int] = set()
    for part in t.replace(" ", "").split(","):
        first, dash, last = part.partition("-")
        if first not in WEEKDAYS or (dash and last not in WEEKDAYS):
            raise InvalidInput(f"'{text}' is not a list of days: use mon-fri, mon,wed,fri, weekdays or daily.")
        a, b = WEEKDAYS[first], WEEKDAYS[last] if dash else WEEKDAYS[first]
        days.update(range(a, b + 1) if a <= b else (*range(a, 7), *range(0, b + 1)))
    return tuple(sorted(days))


def parse_day(text: str) -> int:
    t = text.strip().lower()
    if t not in WEEKDAYS:
        raise InvalidInput(f"'{text}' is not a weekday: use mon, tue, wed, thu, fri, sat or sun.")
    return WEEKDAYS[t]


def parse_clock(text: str) -> time:
    m = _CLOCK.match(text.strip().lower())
    if not m:
        raise InvalidInput(f"'{text}' is not a time of day: use 24-hour HH:MM, like 09:30.")
    return time(int(m.group(1)), int(m.group(2)))


def parse_minutes(text: str) -> int:
    """`60m`, `90`, `1h`, `1h30m` -> minutes (at least 1)."""
    t = text.strip().lower().replace(" ", "")
    m = _DURATION.match(t)
    if not t or not m or (m.group(1) is None and m.group(2) is None):
        raise InvalidInput(f"'{text}' is not a delay: use minutes or hours, like 60m, 90m or 2h.")
    minutes = int(m.group(1) or 0) * 60 + int(m.group(2) or 0)
    if minutes < 1:
        raise InvalidInput("The reminder delay must be at least one minute.")
    return minutes


check_tz = rules.zone
"""An IANA zone name as the tz database spells it (the rule lives in core.rules)."""


def parse_questions(text: str) -> tuple[str, ...]:
    return rules.questions(tuple(q.strip() for q in text.split("|") if q.strip()))


def says_nothing(answer: str) -> bool:
    return answer.strip().lower().rstrip(".!").strip() in NOTHING


def blocker_question(questions: list[str] | tuple[str, ...]) -> int | None:
    """Which question asks about blockers (its answer may raise a blocker): the last that says so."""
    found = [i for i, q in enumerate(questions) if "block" in q.lower()]
    return found[-1] if found else None


def day_names(days: tuple[int, ...]) -> str:
    """(0, 1, 2, 3, 4) -> `mon-fri`; (0, 2, 4) -> `mon,wed,fri`."""
    runs: list[list[int]] = []
    for d in sorted(days):
        if runs and runs[-1][-1] == d - 1:
            runs[-1].append(d)
        else:
            runs.append([d])
    return ",".join(
        DAY_NAMES[r[0]] if len(r) == 1 else f"{DAY_NAMES[r[0]]}-{DAY_NAMES[r[-1]]}" if len(r) > 2 else
        f"{DAY_NAMES[r[0]]},{DAY_NAMES[r[1]]}" for r in runs
    )  # fmt: skip


def make_schedule(
    kind: RunKind,
    days: tuple[int, ...],
    at: time,
    *,
    remind_after: int | None = None,
    digest_at: time | None = None,
    questions: tuple[str, ...] | None = None,
    per_member: bool = False,
) -> Schedule:
    """A schedule with the defaults filled in, refusing one whose steps would not fit in the day."""
    start = datetime.combine(date(2000, 1, 3), at)
    last = datetime.combine(date(2000, 1, 3), time(23, 59))
    gap = STANDUP_DIGEST if kind is RunKind.STANDUP else WEEKLY_DIGEST
    digest = digest_at if digest_at is not None else min(start + gap, last).time()
    if digest <= at:
        raise InvalidInput(
            f"The digest ({digest.strftime('%H:%M')}) must come after the {kind_label(kind)} "
            f"({at.strftime('%H:%M')}) on the same day."
        )
    window = int((datetime.combine(start.date(), digest) - start).total_seconds() // 60)
    default_remind = STANDUP_REMIND if kind is RunKind.STANDUP else WEEKLY_REMIND
    remind = remind_after if remind_after is not None else max(1, min(default_remind, window // 2))
    if remind >= window:
        raise InvalidInput(
            f"The reminder ({remind} minutes after {at.strftime('%H:%M')}) must come before the digest "
            f"at {digest.strftime('%H:%M')}."
        )
    if remind < 1:
        raise InvalidInput("The reminder delay must be at least one minute.")
    if not days or any(d not in range(7) for d in days) or (kind is RunKind.WEEKLY and len(days) != 1):
        raise InvalidInput("A stand-up runs on some weekdays and a weekly check-in on exactly one.")
    qs = rules.questions(questions or DEFAULT_QUESTIONS) if kind is RunKind.STANDUP else ()
    return Schedule(days=tuple(sorted(set(days))), at=at, remind_after=remind, digest_at=digest, questions=qs,
                    per_member=per_member)  # fmt: skip


def kind_label(kind: RunKind) -> str:
    return "stand-up" if kind is RunKind.STANDUP else "weekly check-in"


# --- when things happen ------------------------------------------------------------------------


def local_instant(day: date, at: time, tz: str) -> datetime:
    """`at` on `day` in `tz`, as a UTC instant. fold=0: a time in the spring gap lands after it
    (shifted by the gap), a repeated autumn time is its first occurrence."""
    return datetime.combine(day, at, tzinfo=rules.zone_info(tz)).astimezone(UTC)


def local_date(instant: datetime, tz: str) -> date:
    return instant.astimezone(rules.zone_info(tz)).date()


def period_of(kind: RunKind, day: date) -> str:
    if kind is RunKind.STANDUP:
        return day.isoformat()
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def zone_steps(schedule: Schedule, day: date, zone: str) -> tuple[datetime, datetime]:
    """Prompt and reminder of the run of local `day` for the people in `zone` (a per-member schedule)."""
    prompt = local_instant(day, schedule.at, zone)
    return prompt, prompt + timedelta(minutes=schedule.remind_after)


def _close(kind: RunKind, schedule: Schedule, day: date, tz: str) -> datetime:
    """A stand-up stays open until local midnight, a weekly check-in until the next one opens."""
    if kind is RunKind.STANDUP:
        return local_instant(day + timedelta(days=1), time(0, 0), tz)
    return local_instant(day + timedelta(days=7), schedule.at, tz)


def steps_of(kind: RunKind, schedule: Schedule, day: date, tz: str, zones: Sequence[str] = ()) -> dict[Step, datetime]:
    """The instants of one run that opens on local `day`. For a per-member schedule, `zones` are its
    people's zones: the run opens with the earliest of their prompts, and closes when it has closed
    in every one of them (each person has their whole day to answer)."""
    prompt = local_instant(day, schedule.at, tz)
    close = _close(kind, schedule, day, tz)
    reminder = prompt + timedelta(minutes=schedule.remind_after)
    digest = local_instant(day, schedule.digest_at, tz)
    if digest <= reminder:  # a prompt pushed past the digest by a spring-forward gap keeps its spacing
        nominal = datetime.combine(day, schedule.digest_at) - datetime.combine(day, schedule.at)
        digest = prompt + nominal
    if schedule.per_member and zones:
        prompts = [zone_steps(schedule, day, z) for z in zones]
        prompt = min(p for p, _ in prompts)
        close = max(close, *(_close(kind, schedule, day, z) for z in zones), *(r for _, r in prompts))
    return {Step.PROMPT: prompt, Step.REMINDER: reminder, Step.DIGEST: digest, Step.CLOSE: max(close, digest)}


def runs_on(rhythm: Rhythm, kind: RunKind, day: date) -> bool:
    """Whether a run of `kind` opens on local `day` (paused teams still have a calendar)."""
    schedule = rhythm.schedule(kind)
    return schedule is not None and day.weekday() in schedule.days and day not in rhythm.skip


def new_run(rhythm: Rhythm, kind: RunKind, day: date, zones: Sequence[str] = ()) -> Run:
    schedule = rhythm.schedule(kind)
    assert schedule is not None
    at = steps_of(kind, schedule, day, rhythm.tz, zones)
    return Run(team=rhythm.team, kind=kind, period=period_of(kind, day), day=day, opens_at=at[Step.PROMPT],
               closes_at=at[Step.CLOSE], digest_at=at[Step.DIGEST], tz=rhythm.tz,
               questions=list(schedule.questions))  # fmt: skip


def due(
    rhythms: list[Rhythm] | tuple[Rhythm, ...],
    t0: datetime,
    t1: datetime,
    zones: Mapping[str, Sequence[str]] | None = None,
) -> list[DueStep]:
    """Every step that falls due in (t0, t1], in order of time. Paused teams have none; skip dates
    have none (a weekly check-in whose day is skipped does not run that week).

    A per-member schedule has one prompt and one reminder per zone its people live in
    (`zones[team]`; the team's zone when not given), each at the schedule's local time there; its
    digest and close stay the team's. So each person is asked once, at their own 09:30, however
    the clocks change in any of the zones."""
    found: list[DueStep] = []
    if t1 <= t0:
        return found
    for rhythm in rhythms:
        if rhythm.paused:
            continue
        for kind in RunKind:
            schedule = rhythm.schedule(kind)
            if schedule is None:
                continue
            people_zones = tuple((zones or {}).get(rhythm.team) or (rhythm.tz,)) if schedule.per_member else ()
            first = local_date(t0, rhythm.tz) - timedelta(days=9)  # a weekly run closes 7 days on
            last = local_date(t1, rhythm.tz) + timedelta(days=2)  # another zone's day can start earlier
            day = first
            while day <= last:
                if runs_on(rhythm, kind, day):
                    found += _due_on(rhythm, kind, schedule, day, people_zones, t0, t1)
                day += timedelta(days=1)
    found.sort(key=lambda s: (s.at, s.team, s.kind.value, STEP_ORDER[s.step], s.zone))
    return found


def _due_on(
    rhythm: Rhythm, kind: RunKind, schedule: Schedule, day: date, zones: tuple[str, ...], t0: datetime, t1: datetime
) -> list[DueStep]:
    period = period_of(kind, day)
    found = []
    for step, at in steps_of(kind, schedule, day, rhythm.tz, zones).items():
        if t0 < at <= t1 and not (zones and step in (Step.PROMPT, Step.REMINDER)):
            found.append(DueStep(rhythm.team, kind, period, step, at, day))
    for zone in zones:
        prompt, reminder = zone_steps(schedule, day, zone)
        found += [DueStep(rhythm.team, kind, period, step, at, day, zone)
                  for step, at in ((Step.PROMPT, prompt), (Step.REMINDER, reminder)) if t0 < at <= t1]  # fmt: skip
    return found


def next_run(rhythm: Rhythm, kind: RunKind, after: datetime, horizon: int = 60) -> datetime | None:
    """When the next run of `kind` opens after `after` (for `rhythm show`), within `horizon` days."""
    schedule = rhythm.schedule(kind)
    if schedule is None or rhythm.paused:
        return None
    day = local_date(after, rhythm.tz)
    for _ in range(horizon):
        if runs_on(rhythm, kind, day):
            at = local_instant(day, schedule.at, rhythm.tz)
            if at > after:
                return at
        day += timedelta(days=1)
    return None


def is_away(aways: list[Away] | tuple[Away, ...], person: str, day: date) -> bool:
    return any(a.person == person and a.covers(day) for a in aways)


# --- participation -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    """How many check-ins someone (or a team) was asked, and answered."""

    expected: int = 0
    answered: int = 0

    def __add__(self, other: Tally) -> Tally:
        return Tally(self.expected + other.expected, self.answered + other.answered)

    @property
    def rate(self) -> float:
        return self.answered / self.expected if self.expected else 1.0


def answered_people(run: Run, responses: list[Response]) -> set[str]:
    """Who answered a run: for a weekly check-in, owners whose every priority got an update."""
    mine = [r for r in responses if (r.team, r.kind, r.period) == (run.team, run.kind, run.period)]
    if run.kind is RunKind.STANDUP:
        return {r.person for r in mine}
    done = {p for r in mine for p in r.updates}
    owners = set(run.priorities.values())
    return {o for o in owners if all(p in done for p, who in run.priorities.items() if who == o)}


def tallies(runs: list[Run], responses: list[Response]) -> dict[str, Tally]:
    """Per person: check-ins asked (away people are not asked) and answered, over `runs`."""
    out: dict[str, Tally] = {}
    for run in runs:
        if run.prompted_at is None:
            continue
        answered = answered_people(run, responses)
        for person in dict.fromkeys([*run.expected, *sorted(answered - set(run.expected))]):
            out[person] = out.get(person, Tally()) + Tally(1, int(person in answered))
    return out


# --- the machine-readable shapes (export, `rhythm show --json`) -------------------------------


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def schedule_json(kind: RunKind, s: Schedule | None) -> dict[str, Any] | None:
    if s is None:
        return None
    out: dict[str, Any] = {"days": [DAY_NAMES[d] for d in s.days]} if kind is RunKind.STANDUP else {
        "day": DAY_NAMES[s.days[0]]}  # fmt: skip
    out |= {"at": s.at.strftime("%H:%M"), "remind_minutes": s.remind_after, "digest": s.digest_at.strftime("%H:%M")}
    if kind is RunKind.STANDUP:
        out["questions"] = list(s.questions)
    out["per_member"] = s.per_member
    return out


def schedule_from_json(kind: RunKind, d: dict[str, Any] | None) -> Schedule | None:
    if d is None:
        return None
    days = tuple(DAY_NAMES.index(x) for x in d["days"]) if kind is RunKind.STANDUP else (DAY_NAMES.index(d["day"]),)
    return Schedule(days=days, at=time.fromisoformat(d["at"]), remind_after=int(d["remind_minutes"]),
                    digest_at=time.fromisoformat(d["digest"]), questions=tuple(d.get("questions") or ()),
                    per_member=bool(d.get("per_member")))  # fmt: skip


def rhythm_json(r: Rhythm) -> dict[str, Any]:
    return {
        "team": r.team,
        "tz": r.tz,
        "paused": r.paused,
        "standup": schedule_json(RunKind.STANDUP, r.standup),
        "weekly": schedule_json(RunKind.WEEKLY, r.weekly),
        "skip": [d.isoformat() for d in sorted(r.skip)],
    }


def rhythm_from_json(d: dict[str, Any]) -> Rhythm:
    return Rhythm(team=d["team"], tz=d.get("tz") or "UTC", paused=bool(d.get("paused")),
                  standup=schedule_from_json(RunKind.STANDUP, d.get("standup")),
                  weekly=schedule_from_json(RunKind.WEEKLY, d.get("weekly")),
                  skip=[date.fromisoformat(x) for x in d.get("skip") or ()])  # fmt: skip


def away_json(a: Away) -> dict[str, Any]:
    return {"person": a.person, "start": a.start.isoformat(), "end": a.end.isoformat()}


def response_json(r: Response) -> dict[str, Any]:
    return {"person": r.person, "answered_at": _iso(r.answered_at), "updated_at": _iso(r.updated_at),
            "answers": list(r.answers), "updates": dict(r.updates), "late": r.late,
            "blocker": f"B-{r.blocker}" if r.blocker is not None else None}  # fmt: skip


def run_json(run: Run, responses: Sequence[Response] = ()) -> dict[str, Any]:
    return {
        "team": run.team, "kind": run.kind.value, "period": run.period, "day": run.day.isoformat(), "tz": run.tz,
        "opens_at": _iso(run.opens_at), "closes_at": _iso(run.closes_at), "digest_at": _iso(run.digest_at),
        "prompted_at": _iso(run.prompted_at), "digested_at": _iso(run.digested_at), "closed": run.closed,
        "questions": list(run.questions), "expected": list(run.expected), "away": list(run.away),
        "reminded": list(run.reminded), "priorities": dict(run.priorities),
        "responses": [response_json(r) for r in responses],
    }  # fmt: skip
