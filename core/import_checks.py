"""Reading an export back: every field's type, then every rule the commands keep (core.rules).

Import accepts only what the commands could have written: each record is read field by field,
each value must have its type and pass the same rule function the commands use, and the records
must agree with each other (references, uniqueness, the team tree, archived teams, the audit
trail). Every problem names its record (`P-7`, `team payments`, `event 12`); one problem refuses
the whole file, before anything is written.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, TypeVar

from core import rules
from core.acks import Ack
from core.briefing import BriefingSchedule
from core.errors import InvalidInput, Refused
from core.leader_checks import leader_records
from core.model import (
    Blocker,
    BlockerState,
    Dependency,
    DepState,
    Event,
    Kind,
    Person,
    Priority,
    Replan,
    SlipAlert,
    Status,
    Team,
)
from core.rhythm import DAY_NAMES, Away, Response, Rhythm, Run, RunKind, Schedule, make_schedule, period_of
from core.risks import LIMITS, stored_ok

FORMAT = "flotilla-export/1"
BOT = "flotilla"
"""The actor the rhythm and the escalation ladder write events as."""
PLATFORMS = frozenset({"slack", "teams"})
SECTIONS = ("format", "workspace", "people", "teams", "priorities", "dependencies", "blockers", "rhythms",
            "checkins", "away", "events", "sequences", "settings", "acknowledgements", "briefings",
            "slip_alerts")  # fmt: skip

EVENT_SUBJECTS: dict[str, str] = {
    "priority": "P", "dependency": "D", "blocker": "B", "team": "team", "rhythm": "team", "checkin": "team",
    "admin": "person", "person": "person", "settings": "any", "escalation": "subject", "risk": "subject",
    "briefing": "scope",
}  # fmt: skip
"""Event families (the part before the dot) and what their subject names. A command that writes a
new family of events adds it here, or its exports cannot be imported."""

_EVENT_KIND = re.compile(r"^([a-z]+)\.[a-z_]{1,40}$")
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_CLOCK = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
_MAX_DEPTH = 6
_MAX_NUMBER = 10**12
_UPDATE_FIELDS = frozenset({"status", "confidence", "progress", "owner", "due", "note"})

E = TypeVar("E", bound=enum.Enum)
T = TypeVar("T")


@dataclass
class Imported:
    """A file's records, each read and checked; nothing of it stored yet."""

    tz: str | None = None
    people: list[Person] = field(default_factory=list)
    teams: list[Team] = field(default_factory=list)
    priorities: list[Priority] = field(default_factory=list)
    dependencies: list[Dependency] = field(default_factory=list)
    blockers: list[Blocker] = field(default_factory=list)
    rhythms: list[Rhythm] = field(default_factory=list)
    runs: list[tuple[Run, list[Response]]] = field(default_factory=list)
    aways: list[Away] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    sequences: dict[Kind, int] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    acks: list[Ack] = field(default_factory=list)
    briefings: list[BriefingSchedule] = field(default_factory=list)
    slips: list[SlipAlert] = field(default_factory=list)


class _Problems:
    def __init__(self) -> None:
        self.found: list[str] = []

    def add(self, where: str, message: str) -> None:
        """One problem, on one line: a name taken from the file (a period, a handle) may hold a line break."""
        said = f"{where}: {message.rstrip('.')}"
        self.found.append("".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in said))

    def refuse(self) -> None:
        if self.found:
            more = f" (and {len(self.found) - 3} more)" if len(self.found) > 3 else ""
            raise InvalidInput(f"The export file is refused: {'; '.join(self.found[:3])}{more}. Nothing was imported.")


class _Record:
    """One record of the file, read field by field: a wrong field is a problem of that record."""

    def __init__(self, raw: Any, where: str, problems: _Problems) -> None:
        self.where, self.problems = where, problems
        self.ok = isinstance(raw, dict)
        self.d: dict[str, Any] = raw if isinstance(raw, dict) else {}
        self.read: set[str] = set()
        if not self.ok:
            problems.add(where, "must be an object")

    def fail(self, message: str) -> None:
        self.problems.add(self.where, message)
        self.ok = False

    def rule(self, check: Callable[[], T], key: str | None = None) -> T | None:
        try:
            return check()
        except InvalidInput as e:
            self.fail(f"{key}: {e.message}" if key else e.message)
            return None

    def raw(self, key: str, optional: bool) -> Any:
        self.read.add(key)
        value = self.d.get(key)
        if value is None and not optional:
            self.fail(f"{key} is missing")
        return value

    def text(self, key: str, limit: int = rules.MAX_TEXT, *, optional: bool = False) -> str | None:
        value = self.raw(key, optional)
        if value is None:
            return None
        if not isinstance(value, str):
            self.fail(f"{key} must be text")
            return None
        stored = self.rule(lambda: rules.text(value, key, limit))
        if stored is not None and stored != value:
            self.fail(f"{key} has spaces around it")
            return None
        return stored

    def name(self, key: str, check: Callable[[str], str], *, optional: bool = False) -> str | None:
        """A handle, zone or channel: text that must pass `check`."""
        value = self.raw(key, optional)
        if value is None:
            return None
        if not isinstance(value, str):
            self.fail(f"{key} must be text")
            return None
        found = self.rule(lambda: check(value), key)
        if found is not None and found != value:
            self.fail(f"{key}: {value!r:.60} is written {found!r}")
            return None
        return found

    def whole(self, key: str, low: int, high: int, *, optional: bool = False) -> int | None:
        value = self.raw(key, optional)
        if value is None:
            return None
        if not rules.whole(value) or not low <= value <= high:
            self.fail(f"{key} must be a whole number from {low} to {high}")
            return None
        return int(value)

    def flag(self, key: str) -> bool:
        value = self.raw(key, True)
        if value is None:
            return False
        if not isinstance(value, bool):
            self.fail(f"{key} must be true or false")
            return False
        return value

    def day(self, key: str, *, optional: bool = False) -> date | None:
        return _day(self, key, self.raw(key, optional))

    def instant(self, key: str, *, optional: bool = False) -> datetime | None:
        value = self.raw(key, optional)
        if value is None:
            return None
        if not isinstance(value, str) or len(value) > 40:
            self.fail(f"{key} must be an ISO date-time with its offset")
            return None
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            self.fail(f"{key}: {value!r:.40} is not an ISO date-time")
            return None
        return self.rule(lambda: rules.instant(parsed), key)

    def choice(self, key: str, kind: type[E], *, optional: bool = False) -> E | None:
        value = self.raw(key, optional)
        if value is None:
            return None
        for member in kind:
            if member.value == value:
                return member
        self.fail(f"{key} must be one of {', '.join(str(m.value) for m in kind)}")
        return None

    def ref(self, key: str, kind: Kind, *, optional: bool = True) -> int | None:
        return _ref(self, key, self.raw(key, optional), kind)

    def names(self, key: str, check: Callable[[str], str]) -> list[str]:
        value = self.raw(key, True)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(f"{key} must be a list of text")
            return []
        found = [self.rule(lambda v=v: check(v), key) for v in value]  # type: ignore[misc]
        for twice in _dupes(value):
            self.fail(f"{key} lists {twice!r:.60} twice")
        return [f for f in found if f is not None]

    def object(self, key: str) -> dict[str, Any]:
        value = self.raw(key, True)
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.fail(f"{key} must be an object")
            return {}
        return value

    def done(self) -> bool:
        """Refuse fields no export has; True when the record was read without a problem."""
        unknown = sorted(str(k) for k in self.d if k not in self.read)
        if unknown:
            self.fail(f"unknown field {unknown[0]!r:.60}")
        return self.ok


def _day(rec: _Record, key: str, value: Any) -> date | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        rec.fail(f"{key} must be a date (YYYY-MM-DD)")
        return None
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        rec.fail(f"{key}: {value!r} is not a real date")
        return None
    return rec.rule(lambda: rules.day(parsed), key)


def _ref(rec: _Record, key: str, value: Any, kind: Kind) -> int | None:
    if value is None:
        return None
    prefix, _, digits = value.partition("-") if isinstance(value, str) else ("", "", "")
    if prefix != kind.value or not digits.isascii() or not digits.isdigit() or len(digits) > 100:
        rec.fail(f"{key} must be an id like {kind.value}-3")
        return None
    return rec.rule(lambda: rules.id_number(int(digits), kind.value), key)


def _read(
    data: dict[str, Any], section: str, reader: Callable[[Any, int, _Problems], T | None], problems: _Problems
) -> list[T]:
    """The records of one section that read without a problem (the others are in `problems`)."""
    value = data.get(section)
    if value is None:
        return []
    if not isinstance(value, list):
        problems.add(section, "must be a list")
        return []
    return [found for i, raw in enumerate(value, 1) if (found := reader(raw, i, problems)) is not None]


def _dupes(values: Iterable[T]) -> list[T]:
    seen: set[T] = set()
    out = []
    for v in values:
        if v in seen:
            out.append(v)
        seen.add(v)
    return out


# --- the whole file -------------------------------------------------------------------------------


def read_export(data: Any) -> Imported:
    """The file's records, checked; InvalidInput naming the first problems when anything is wrong."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise InvalidInput(f"This is not a Flotilla export (expected format {FORMAT!r}).")
    problems = _Problems()
    out = Imported()
    for key in data:
        if key not in SECTIONS:
            problems.add("file", f"unknown section {str(key)!r:.60}")
    ws = _Record(data.get("workspace") or {}, "workspace", problems)
    ws.raw("name", True)
    out.tz = ws.name("tz", rules.zone, optional=True)
    ws.done()
    out.people = _read(data, "people", _person, problems)
    out.teams = _read(data, "teams", _team, problems)
    out.priorities = _read(data, "priorities", _priority, problems)
    out.dependencies = _read(data, "dependencies", _dependency, problems)
    out.blockers = _read(data, "blockers", _blocker, problems)
    out.rhythms = _read(data, "rhythms", _rhythm, problems)
    out.runs = _read(data, "checkins", _run, problems)
    out.aways = _read(data, "away", _away, problems)
    out.events = _read(data, "events", _event, problems)
    out.slips = _read(data, "slip_alerts", _slip, problems)
    out.sequences = _sequences(data.get("sequences"), problems)
    out.settings = _settings(data.get("settings"), problems)
    problems.refuse()
    _agree(out, problems)
    problems.refuse()
    out.acks, out.briefings = leader_records(data, out.people, out.teams, out.priorities, out.dependencies,
                                             out.blockers)  # fmt: skip
    return out


# --- records --------------------------------------------------------------------------------------


def _person(raw: Any, i: int, problems: _Problems) -> Person | None:
    rec = _Record(raw, f"people[{i}]", problems)
    handle = rec.name("handle", rules.person_handle)
    rec.where = f"person {handle}" if handle else rec.where
    name = rec.text("name", rules.MAX_TITLE)
    tz = rec.name("tz", rules.zone, optional=True)
    admin, pinned = rec.flag("admin"), rec.flag("tz_pinned")
    if pinned and tz is None:
        rec.fail("tz_pinned without a time zone")
    if not rec.done() or handle is None or name is None:
        return None
    return Person(handle=handle, name=name, tz=tz, admin=admin, tz_pinned=pinned)


def _team(raw: Any, i: int, problems: _Problems) -> Team | None:
    rec = _Record(raw, f"teams[{i}]", problems)
    handle = rec.name("handle", rules.team_handle)
    rec.where = f"team {handle}" if handle else rec.where
    name = rec.text("name", rules.MAX_TITLE)
    parent = rec.name("parent", rules.team_handle, optional=True)
    leads, members = rec.names("leads", rules.person_handle), rec.names("members", rules.person_handle)
    channel = rec.name("channel", rules.channel, optional=True)
    archived = rec.flag("archived")
    if not rec.done() or handle is None or name is None:
        return None
    return Team(handle=handle, name=name, parent=parent, leads=leads, members=members, channel=channel,
                archived=archived)  # fmt: skip


def _priority(raw: Any, i: int, problems: _Problems) -> Priority | None:
    rec = _Record(raw, f"priorities[{i}]", problems)
    number = rec.ref("id", Kind.PRIORITY, optional=False)
    rec.where = f"P-{number}" if number else rec.where
    title = rec.text("title", rules.MAX_TITLE)
    outcome = rec.text("outcome", optional=True)
    team = rec.name("team", rules.team_handle, optional=True)
    owner = rec.name("owner", rules.person_handle, optional=True)
    parent = rec.ref("parent", Kind.PRIORITY)
    status = rec.choice("status", Status)
    confidence = rec.whole("confidence", 0, 100, optional=True)
    progress = rec.whole("progress", 0, 100)
    due = rec.day("due", optional=True)
    rank = rec.whole("rank", 1, rules.MAX_ID)
    closed_reason = rec.text("closed_reason", optional=True)
    created, updated = rec.instant("created_at"), rec.instant("updated_at")
    if status is not None and progress is not None:
        rec.rule(lambda: rules.progress_of(status.value, progress))
    if status is not None and (status is Status.DROPPED) != (closed_reason is not None):
        rec.fail("closed_reason is given exactly when the priority is dropped")
    if parent is not None and parent == number:
        rec.fail("aligned to itself")
    if parent is not None and team is None:
        rec.rule(lambda: rules.aligned(f"P-{number}", None, None, ()))
    if not rec.done() or None in (number, title, status, progress, rank, created, updated):
        return None
    assert number and title and status and progress is not None and rank and created and updated
    return Priority(number=number, title=title, team=team, created_at=created, updated_at=updated, outcome=outcome,
                    owner=owner, parent=parent, rank=rank, due=due, status=status, confidence=confidence,
                    progress=progress, closed_reason=closed_reason)  # fmt: skip


def _dependency(raw: Any, i: int, problems: _Problems) -> Dependency | None:
    rec = _Record(raw, f"dependencies[{i}]", problems)
    number = rec.ref("id", Kind.DEPENDENCY, optional=False)
    rec.where = f"D-{number}" if number else rec.where
    from_team, to_team = rec.name("from_team", rules.team_handle), rec.name("to_team", rules.team_handle)
    what = rec.text("what")
    needed_by, committed = rec.day("needed_by"), rec.day("committed", optional=True)
    for_priority = rec.ref("for", Kind.PRIORITY)
    state = rec.choice("state", DepState)
    blocked_reason, declined_reason = (
        rec.text("blocked_reason", optional=True),
        rec.text("declined_reason", optional=True),
    )
    blocked_from = rec.choice("blocked_from", DepState, optional=True)
    requester_owner = rec.name("requester_owner", rules.person_handle, optional=True)
    provider_owner = rec.name("provider_owner", rules.person_handle, optional=True)
    created, updated = rec.instant("created_at"), rec.instant("updated_at")
    answered, delivered = rec.instant("answered_at", optional=True), rec.instant("delivered_at", optional=True)
    proposed, proposed_reason = rec.day("proposed", optional=True), rec.text("proposed_reason", optional=True)
    revision = rec.whole("revision", 0, _MAX_NUMBER, optional=True) or 0
    replans = _replans(rec, rec.raw("replans", True))
    waiting = state is DepState.PROPOSED or (state is DepState.BLOCKED and blocked_from is DepState.PROPOSED)
    if waiting != (proposed is not None) or (proposed is None and proposed_reason is not None):
        rec.fail("a proposed date (proposed) is there exactly while the dependency is proposed")
    if from_team is not None and to_team is not None:
        rec.rule(lambda: rules.not_self_dependency(from_team, to_team))
    if state is DepState.BLOCKED and (
        blocked_reason is None or blocked_from not in (DepState.REQUESTED, DepState.PROPOSED, DepState.ACCEPTED)
    ):
        rec.fail("a blocked dependency says why (blocked_reason) and what it was (blocked_from: requested, proposed "
                 "or accepted)")  # fmt: skip
    if state is not DepState.BLOCKED and (blocked_reason is not None or blocked_from is not None):
        rec.fail(
            f"a {state.value if state else 'dependency'} that is not blocked has no blocked_reason or blocked_from"
        )
    if not rec.done() or None in (number, from_team, to_team, what, needed_by, state, created, updated):
        return None
    assert number and from_team and to_team and what and needed_by and state and created and updated
    return Dependency(number=number, from_team=from_team, to_team=to_team, what=what, needed_by=needed_by,
                      created_at=created, updated_at=updated, for_priority=for_priority, state=state,
                      committed=committed, blocked_reason=blocked_reason, blocked_from=blocked_from,
                      declined_reason=declined_reason, requester_owner=requester_owner,
                      provider_owner=provider_owner, answered_at=answered, delivered_at=delivered,
                      proposed=proposed, proposed_reason=proposed_reason, replans=replans,
                      revision=revision)  # fmt: skip


def _replans(rec: _Record, value: Any) -> list[Replan]:
    """A dependency's re-plans as `dep commit` writes them: when, by whom, from, to, why."""
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > 10_000:
        rec.fail("replans must be a list")
        return []
    out: list[Replan] = []
    for i, raw in enumerate(value):
        one = _Record(raw, f"{rec.where} replans[{i}]", rec.problems)
        at, by = one.instant("at"), one.name("by", rules.person_handle)
        before, after, why = one.day("from", optional=True), one.day("to"), one.text("why", optional=True)
        if not one.done() or at is None or by is None or after is None:
            rec.ok = False
            continue
        out.append(Replan(at=at, by=by, before=before, after=after, why=why))
    return out


_SLIP_CHANGE = re.compile(r"^(blocked|declined|replanned):[0-9]{1,12}$|^overdue:[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def _slip(raw: Any, i: int, problems: _Problems) -> SlipAlert | None:
    rec = _Record(raw, f"slip_alerts[{i}]", problems)
    number = rec.ref("dependency", Kind.DEPENDENCY, optional=False)
    change = rec.raw("change", False)
    if not isinstance(change, str) or not _SLIP_CHANGE.match(change):
        rec.fail("change must be blocked:n, declined:n, replanned:n or overdue:YYYY-MM-DD")
    person = rec.name("person", rules.person_handle)
    created, settled = rec.instant("created_at"), rec.instant("settled_at", optional=True)
    state = rec.raw("state", False)
    if state not in ("pending", "sent", "dropped"):
        rec.fail("state must be pending, sent or dropped")
    elif (state == "pending") != (settled is None):
        rec.fail("a settled alert (sent or dropped) says when (settled_at), a pending one does not")
    if not rec.done() or number is None or person is None or created is None:
        return None
    return SlipAlert(dependency=number, change=str(change), person=person, created_at=created, state=str(state),
                     settled_at=settled)  # fmt: skip


def _blocker(raw: Any, i: int, problems: _Problems) -> Blocker | None:
    rec = _Record(raw, f"blockers[{i}]", problems)
    number = rec.ref("id", Kind.BLOCKER, optional=False)
    rec.where = f"B-{number}" if number else rec.where
    text = rec.text("text")
    team = rec.name("team", rules.team_handle, optional=True)
    on = rec.raw("on", True)
    if on is not None and (not isinstance(on, str) or len(on) > 60):
        rec.fail("on must be a team handle, D-n or P-n")
    state = rec.choice("state", BlockerState)
    raised_by = rec.name("raised_by", rules.person_handle)
    resolved_by = rec.name("resolved_by", rules.person_handle, optional=True)
    raised, resolved = rec.instant("raised_at"), rec.instant("resolved_at", optional=True)
    if (state is BlockerState.RESOLVED) != (resolved is not None):
        rec.fail("resolved_at is set exactly when the blocker is resolved")
    if not rec.done() or None in (number, text, state, raised_by, raised):
        return None
    assert number and text and state and raised_by and raised
    return Blocker(number=number, text=text, raised_by=raised_by, raised_at=raised, team=team, on=on, state=state,
                   resolved_by=resolved_by, resolved_at=resolved)  # fmt: skip


def _schedule(rec: _Record, key: str, kind: RunKind) -> Schedule | None:
    raw = rec.raw(key, True)
    if raw is None:
        return None
    sub = _Record(raw, f"{rec.where} {key}", rec.problems)
    if kind is RunKind.STANDUP:
        days_raw = sub.raw("days", False)
        ok = (
            isinstance(days_raw, list)
            and bool(days_raw)
            and all(isinstance(d, str) and d in DAY_NAMES for d in days_raw)
        )
        if not ok:
            sub.fail("days must be a list of mon, tue, wed, thu, fri, sat, sun")
        days = tuple(DAY_NAMES.index(d) for d in days_raw) if ok else ()
        questions = tuple(sub.names("questions", lambda q: rules.text(q, "question", rules.MAX_TITLE)))
    else:
        day = sub.raw("day", False)
        if day not in DAY_NAMES:
            sub.fail("day must be one of mon, tue, wed, thu, fri, sat, sun")
        days, questions = (DAY_NAMES.index(day),) if day in DAY_NAMES else (), ()
    at, digest = _clock(sub, "at"), _clock(sub, "digest")
    remind = sub.whole("remind_minutes", 1, 24 * 60)
    per_member = sub.flag("per_member")
    if not sub.done() or not days or at is None or digest is None or remind is None:
        rec.ok = False
        return None
    made = sub.rule(lambda: make_schedule(kind, days, at, remind_after=remind, digest_at=digest,
                                          questions=questions or None, per_member=per_member))  # fmt: skip
    if made is not None and (made.days != days or (kind is RunKind.STANDUP and made.questions != questions)):
        sub.fail("days or questions are not as `rhythm set` writes them")
        made = None
    if made is None:
        rec.ok = False
    return made


def _clock(rec: _Record, key: str) -> time | None:
    value = rec.raw(key, False)
    if value is None:
        return None
    if not isinstance(value, str) or not _CLOCK.match(value):
        rec.fail(f"{key} must be a time of day (HH:MM)")
        return None
    return time.fromisoformat(value)


def _rhythm(raw: Any, i: int, problems: _Problems) -> Rhythm | None:
    rec = _Record(raw, f"rhythms[{i}]", problems)
    team = rec.name("team", rules.team_handle)
    rec.where = f"rhythm of {team}" if team else rec.where
    tz = rec.name("tz", rules.zone)
    paused = rec.flag("paused")
    standup, weekly = _schedule(rec, "standup", RunKind.STANDUP), _schedule(rec, "weekly", RunKind.WEEKLY)
    skip_raw = rec.raw("skip", True) or []
    skip = [_day(rec, "skip", d) for d in skip_raw] if isinstance(skip_raw, list) else []
    if not isinstance(skip_raw, list):
        rec.fail("skip must be a list of dates")
    if _dupes(skip):
        rec.fail("skip lists a date twice")
    if not rec.done() or team is None or tz is None:
        return None
    return Rhythm(team=team, tz=tz, standup=standup, weekly=weekly, paused=paused, skip=[d for d in skip if d])


def _run(raw: Any, i: int, problems: _Problems) -> tuple[Run, list[Response]] | None:
    rec = _Record(raw, f"checkins[{i}]", problems)
    team, kind = rec.name("team", rules.team_handle), rec.choice("kind", RunKind)
    period, day = rec.raw("period", False), rec.day("day")
    rec.where = f"check-in {team or i} {kind.value if kind else '?'} {str(period):.20}"
    if kind is not None and day is not None and period != period_of(kind, day):
        rec.fail(f"period must be {period_of(kind, day)} (the {kind.value} of {day.isoformat()})")
    tz = rec.name("tz", rules.zone)
    opens, closes, digest = rec.instant("opens_at"), rec.instant("closes_at"), rec.instant("digest_at")
    prompted, digested = rec.instant("prompted_at", optional=True), rec.instant("digested_at", optional=True)
    closed = rec.flag("closed")
    questions = rec.names("questions", lambda q: rules.text(q, "question", rules.MAX_TITLE))
    expected, away = rec.names("expected", rules.person_handle), rec.names("away", rules.person_handle)
    reminded = rec.names("reminded", rules.person_handle)
    priorities: dict[str, str] = {}
    for pid, owner in rec.object("priorities").items():
        number = _ref(rec, "priorities", pid, Kind.PRIORITY)
        if not isinstance(owner, str):
            rec.fail("priorities must map P-n to the owner's handle")
        elif number is not None and rec.rule(lambda o=owner: rules.person_handle(o), "priorities") is not None:  # type: ignore[misc]
            priorities[f"P-{number}"] = owner
    responses_raw = rec.raw("responses", True) or []
    if not isinstance(responses_raw, list):
        rec.fail("responses must be a list")
        responses_raw = []
    if not rec.done() or None in (team, kind, day, tz, opens, closes, digest):
        return None
    assert team and kind and day and tz and opens and closes and digest
    run = Run(team=team, kind=kind, period=str(period), day=day, opens_at=opens, closes_at=closes, digest_at=digest,
              tz=tz, prompted_at=prompted, digested_at=digested, closed=closed, expected=expected, away=away,
              reminded=reminded, questions=questions, priorities=priorities)  # fmt: skip
    responses = [
        r for j, x in enumerate(responses_raw, 1) if (r := _response(x, f"{rec.where} response {j}", run, problems))
    ]
    return (run, responses) if len(responses) == len(responses_raw) else None


def _response(raw: Any, where: str, run: Run, problems: _Problems) -> Response | None:
    rec = _Record(raw, where, problems)
    person = rec.name("person", rules.person_handle)
    answered, updated = rec.instant("answered_at"), rec.instant("updated_at")
    answers = rec.names("answers", lambda a: rules.text(a, "answer"))
    if len(answers) > rules.MAX_QUESTIONS:
        rec.fail(f"at most {rules.MAX_QUESTIONS} answers")
    updates: dict[str, dict[str, Any]] = {}
    for pid, update in rec.object("updates").items():
        number = _ref(rec, "updates", pid, Kind.PRIORITY)
        if number is not None and _update(rec, update, keys=_UPDATE_FIELDS - {"owner", "due"}):
            updates[f"P-{number}"] = update
    late = rec.flag("late")
    blocker = rec.ref("blocker", Kind.BLOCKER)
    if not rec.done() or person is None or answered is None or updated is None:
        return None
    return Response(team=run.team, kind=run.kind, period=run.period, person=person, answered_at=answered,
                    updated_at=updated, answers=answers, updates=updates, late=late, blocker=blocker)  # fmt: skip


def _update(rec: _Record, value: Any, keys: frozenset[str] = _UPDATE_FIELDS) -> bool:
    """A priority change as `priority update` records it (in events and weekly check-ins)."""
    if not isinstance(value, dict) or any(k not in keys for k in value):
        rec.fail(f"a priority update holds only {', '.join(sorted(keys))}")
        return False
    ok = True
    for key, v in value.items():
        if v is None:
            continue
        if key == "status":
            good = isinstance(v, str) and v in {s.value for s in Status}
        elif key in ("confidence", "progress"):
            good = rules.whole(v) and 0 <= v <= 100
        elif key == "due":
            good = isinstance(v, str) and _ISO_DATE.match(v) is not None
        else:
            good = isinstance(v, str) and rec.rule(lambda v=v, k=key: rules.plain(v, k)) is not None  # type: ignore[misc]
        if not good:
            rec.fail(f"{key} {str(v)!r:.40} is not a value `priority update` writes")
            ok = False
    return ok


def _away(raw: Any, i: int, problems: _Problems) -> Away | None:
    rec = _Record(raw, f"away[{i}]", problems)
    person = rec.name("person", rules.person_handle)
    rec.where = f"away of {person}" if person else rec.where
    start, end = rec.day("start"), rec.day("end")
    if start is not None and end is not None:
        rec.rule(lambda: rules.away_range(start, end))
    if not rec.done() or person is None or start is None or end is None:
        return None
    return Away(person=person, start=start, end=end)


def _event(raw: Any, i: int, problems: _Problems) -> Event | None:
    rec = _Record(raw, f"event {i}", problems)
    at = rec.instant("at")
    actor = rec.name("actor", rules.person_handle)
    kind = rec.raw("kind", False)
    subject = rec.raw("subject", False)
    data = rec.object("data")
    m = _EVENT_KIND.match(kind) if isinstance(kind, str) else None
    if m is None or m.group(1) not in EVENT_SUBJECTS:
        rec.fail(f"{str(kind)!r:.60} is not a kind of event Flotilla writes")
    if not isinstance(subject, str) or not subject or len(subject) > 200 or rules.has_control(subject):
        rec.fail("subject must be the id, team or person the event is about")
    rec.rule(lambda: _json(data, "data", 0))
    if kind == "priority.updated":
        for side in ("before", "after"):
            if data.get(side) is not None:
                _update(rec, data[side])
    if not rec.done() or at is None or actor is None:
        return None
    return Event(at=at, actor=actor, kind=str(kind), subject=str(subject), data=data)


def _json(value: Any, where: str, depth: int) -> None:
    """Event data: JSON with text that keeps the text rules and numbers that stay numbers."""
    if depth > _MAX_DEPTH:
        raise InvalidInput(f"{where} is nested too deeply")
    if isinstance(value, str):
        rules.plain(value, where)
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int):
        if abs(value) > _MAX_NUMBER:
            raise InvalidInput(f"{where} holds a number out of range")
    elif isinstance(value, float):
        if not math.isfinite(value) or abs(value) > _MAX_NUMBER:
            raise InvalidInput(f"{where} holds a number out of range")
    elif isinstance(value, list):
        for item in value:
            _json(item, where, depth + 1)
    elif isinstance(value, dict):
        for key, item in value.items():
            rules.plain(key, f"{where} key", 60)
            _json(item, f"{where}.{key}"[:80], depth + 1)
    else:  # pragma: no cover - json.loads gives nothing else
        raise InvalidInput(f"{where} is not JSON")


def _sequences(raw: Any, problems: _Problems) -> dict[Kind, int]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.add("sequences", "must be an object")
        return {}
    out = {}
    for key, value in raw.items():
        kind = next((k for k in Kind if k.value == key), None)
        if kind is None:
            problems.add("sequences", f"unknown id kind {str(key)!r:.20} (P, D or B)")
        elif not rules.whole(value) or not 0 <= value <= rules.MAX_ID:
            problems.add(f"sequences {key}", f"must be a whole number from 0 to {rules.MAX_ID}")
        else:
            out[kind] = int(value)
    return out


def _settings(raw: Any, problems: _Problems) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.add("settings", "must be an object")
        return {}
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key == "platform":
            if not isinstance(value, str) or value not in PLATFORMS:
                problems.add("settings.platform", f"must be one of {', '.join(sorted(PLATFORMS))}")
                continue
        elif key == "risk":
            if not isinstance(value, dict):
                problems.add("settings.risk", "must be an object")
                continue
            bad = [k for k, v in value.items() if k not in LIMITS or not stored_ok(k, v)]
            if bad:
                low, high, _ = LIMITS.get(bad[0], (0, 0, ""))
                said = f"must be from {low} to {high}" if bad[0] in LIMITS else "is not a risk threshold"
                problems.add(f"settings.risk.{bad[0]:.40}", said)
                continue
        else:
            problems.add("settings", f"unknown setting {str(key)!r:.40}")
            continue
        out[key] = value
    return out


# --- what records say of each other ---------------------------------------------------------------


class _Known:
    """The file's records by key, to check what each says of the others."""

    def __init__(self, out: Imported, problems: _Problems) -> None:
        self.out, self.problems = out, problems
        self.people = {p.handle: p for p in out.people}
        self.teams = {t.handle: t for t in out.teams}
        self.ids: dict[str, dict[int, Any]] = {
            "P": {p.number: p for p in out.priorities}, "D": {d.number: d for d in out.dependencies},
            "B": {b.number: b for b in out.blockers},
        }  # fmt: skip

    def person(self, where: str, handle: str | None, role: str) -> None:
        if handle is not None and handle not in self.people:
            self.problems.add(where, f"{role} {handle!r:.60} is not among the people")

    def team(self, where: str, handle: str | None, role: str = "team") -> None:
        if handle is not None and handle not in self.teams:
            self.problems.add(where, f"{role} {handle!r:.60} is not among the teams")

    def ref(self, where: str, number: int | None, prefix: str, what: str) -> None:
        if number is not None and number not in self.ids[prefix]:
            self.problems.add(where, f"{what} {prefix}-{number}, which is not in this file")

    def known(self, ident: str, prefixes: str = "PDB") -> bool:
        """Whether an id (`P-3`) of one of these kinds names a record of the file."""
        prefix, _, digits = ident.partition("-")
        ok = prefix in prefixes and digits.isascii() and digits.isdigit() and len(digits) <= 12
        return ok and int(digits) in self.ids[prefix]


def _agree(out: Imported, problems: _Problems) -> None:
    k = _Known(out, problems)
    for what, dupes in (("person", _dupes(p.handle for p in out.people)), ("team", _dupes(t.handle for t in out.teams)),
                        ("P-", _dupes(p.number for p in out.priorities)),
                        ("D-", _dupes(d.number for d in out.dependencies)),
                        ("B-", _dupes(b.number for b in out.blockers)),
                        ("rhythm of ", _dupes(r.team for r in out.rhythms)),
                        ("channel ", _dupes(t.channel for t in out.teams if t.channel))):  # fmt: skip
        for twice in dupes:
            problems.add(f"{what}{twice}", "appears twice")
    _agree_teams(k)
    for p in out.priorities:
        k.team(p.id, p.team)
        k.person(p.id, p.owner, "owner")
        k.ref(p.id, p.parent, "P", "aligned to")
        seen, up = {p.number}, p.parent
        while up is not None and up in k.ids["P"]:
            if up in seen:
                problems.add(p.id, "its alignment goes round in a circle")
                break
            seen.add(up)
            up = k.ids["P"][up].parent
    for d in out.dependencies:
        k.team(d.id, d.from_team, "from_team")
        k.team(d.id, d.to_team, "to_team")
        k.person(d.id, d.requester_owner, "requester_owner")
        k.person(d.id, d.provider_owner, "provider_owner")
        k.ref(d.id, d.for_priority, "P", "serves")
        for move in d.replans:
            k.person(d.id, move.by, "re-planned by")
    for twice in _dupes(f"D-{a.dependency} {a.change} {a.person}" for a in out.slips):
        problems.add(f"slip alert {twice}", "appears twice")
    for a in out.slips:
        k.ref(f"slip alert D-{a.dependency}", a.dependency, "D", "is about")
        k.person(f"slip alert D-{a.dependency}", a.person, "person")
    for b in out.blockers:
        k.team(b.id, b.team)
        k.person(b.id, b.raised_by, "raised_by")
        k.person(b.id, b.resolved_by, "resolved_by")
        if b.on is not None and not (b.on in k.teams or k.known(b.on, "PD")):
            problems.add(b.id, f"is on {b.on!r:.60}, which is not a team, D-n or P-n of this file")
    for r in out.rhythms:
        k.team(f"rhythm of {r.team}", r.team)
    _agree_runs(k)
    _agree_aways(k)
    _agree_events(k)
    for kind, last in out.sequences.items():
        top = max(k.ids[kind.value], default=0)
        if last < top:
            problems.add(f"sequences {kind.value}", f"is {last}, below {kind.value}-{top} of this file")


def _agree_teams(k: _Known) -> None:
    parent_of = {t.handle: t.parent for t in k.out.teams}
    for t in k.out.teams:
        where = f"team {t.handle}"
        k.team(where, t.parent, "parent")
        for handle in (*t.leads, *t.members):
            k.person(where, handle, "member")
        try:
            rules.team_parent(t.handle, t.parent, parent_of)
        except InvalidInput as e:
            k.problems.add(where, e.message)
        parent = k.teams.get(t.parent) if t.parent else None
        if not t.archived and parent is not None and parent.archived:
            k.problems.add(where, f"is not archived, but its parent {parent.handle} is")
        if t.archived:
            try:
                rules.archivable(
                    t.handle,
                    [p.id for p in k.out.priorities if p.team == t.handle and p.is_open],
                    [d.id for d in k.out.dependencies if d.is_open and t.handle in (d.from_team, d.to_team)],
                    [],
                )
            except Refused as e:
                k.problems.add(where, f"archived, yet {e.message}")


def _agree_runs(k: _Known) -> None:
    for key in _dupes((run.team, run.kind, run.period) for run, _ in k.out.runs):
        k.problems.add(f"check-in {key[0]} {key[1].value} {key[2]}", "appears twice")
    for run, responses in k.out.runs:
        where = f"check-in {run.team} {run.kind.value} {run.period}"
        k.team(where, run.team)
        for handle in (*run.expected, *run.away, *run.reminded, *run.priorities.values()):
            k.person(where, handle, "person")
        for pid in run.priorities:
            k.ref(where, int(pid[2:]), "P", "asks about")
        for handle in _dupes(r.person for r in responses):
            k.problems.add(where, f"{handle!r:.60} answered twice")
        for r in responses:
            k.person(where, r.person, "person")
            k.ref(where, r.blocker, "B", f"the answer of {r.person} raised")
            for pid in r.updates:
                k.ref(where, int(pid[2:]), "P", f"the answer of {r.person} updates")


def _agree_aways(k: _Known) -> None:
    by_person: dict[str, list[Away]] = {}
    for a in k.out.aways:
        k.person(f"away of {a.person}", a.person, "person")
        by_person.setdefault(a.person, []).append(a)
    for handle, ranges in by_person.items():
        ranges.sort(key=lambda a: a.start)
        if any(x.end >= y.start for x, y in zip(ranges, ranges[1:], strict=False)):
            k.problems.add(f"away of {handle}", "two ranges overlap (`away` merges them)")


def _agree_events(k: _Known) -> None:
    """Every event names a real actor and subject; and the audit trail agrees with who is admin, so
    that a forged `admin.removed` cannot make history say what never happened."""
    last_admin: dict[str, str] = {}
    for i, e in enumerate(k.out.events, 1):
        where = f"event {i} ({e.kind})"
        if e.actor != BOT and e.actor not in k.people:
            k.problems.add(where, f"actor {e.actor!r:.60} is not among the people")
        family = EVENT_SUBJECTS[e.kind.split(".", 1)[0]]
        known = {
            "team": e.subject in k.teams, "person": e.subject in k.people, "any": True,
            "subject": e.subject in k.teams or k.known(e.subject),  # an escalation: a risk's subject
            "scope": e.subject in k.teams or e.subject == "org",  # a leader briefing's
        }.get(family, k.known(e.subject, family))  # fmt: skip
        if not known:
            k.problems.add(where, f"is about {e.subject!r:.60}, which is not in this file")
        if e.kind in ("admin.added", "admin.removed"):
            last_admin[e.subject] = e.kind
    for handle, kind in last_admin.items():
        p = k.people.get(handle)
        if p is not None and p.admin != (kind == "admin.added"):
            state = "an admin" if p.admin else "not an admin"
            k.problems.add(f"person {handle}", f"is {state}, but the audit trail's last word is {kind}")
