"""What an import must satisfy for what leaders set (acknowledgements, briefing schedules): only what
`risks ack` and `rhythm set briefing` themselves could have stored. Anything else refuses the file,
naming the record, before anything is written."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from core.acks import MAX_DAYS, Ack
from core.briefing import MEMBER, ORG, BriefingSchedule
from core.errors import InvalidInput
from core.model import Blocker, Dependency, Person, Priority, Team
from core.rules import MAX_TEXT, text, zone

T = TypeVar("T")


def leader_records(
    data: dict[str, Any],
    people: Sequence[Person],
    teams: Sequence[Team],
    priorities: Sequence[Priority],
    dependencies: Sequence[Dependency],
    blockers: Sequence[Blocker],
) -> tuple[list[Ack], list[BriefingSchedule]]:
    """The export's `acknowledgements[]` and `briefings[]`, checked against the records being imported."""
    subjects = {t.handle for t in teams} | {p.id for p in priorities} | {d.id for d in dependencies}
    subjects |= {b.id for b in blockers}
    handles = {p.handle for p in people}
    acks: list[Ack] = []
    for a in _read(data, "acknowledgements", Ack.from_json):
        where = f"acknowledgement of {a.subject!r}"
        if a.subject not in subjects:
            _bad(where, "its subject is not an id or team in the file")
        if a.by not in handles:
            _bad(where, f"unknown person {a.by!r}")
        if a.at.utcoffset() is None:
            _bad(where, "its time needs a UTC offset")
        if not a.scores or (a.kind is not None and set(a.scores) != {a.kind.value}):
            _bad(where, "its scores do not match its kind")
        if (a.until - a.at.date()).days > MAX_DAYS + 1:
            _bad(where, f"it lasts longer than {MAX_DAYS} days")
        try:
            text(a.note, "note", MAX_TEXT)
        except InvalidInput as err:
            _bad(where, err.message.rstrip("."))
        acks.append(a)
    if len({a.key for a in acks}) != len(acks):
        _bad("acknowledgements", "one subject and kind appear twice")
    briefings: list[BriefingSchedule] = []
    parents = {t.parent for t in teams if t.parent}
    for b in _read(data, "briefings", BriefingSchedule.from_json):
        where = f"briefing of {b.scope!r}"
        if b.scope != ORG and b.scope not in parents:
            _bad(where, "it is neither org nor a team with teams beneath it")
        if b.tz not in (None, MEMBER):
            try:
                if not isinstance(b.tz, str):
                    raise InvalidInput("a time zone is text")
                zone(b.tz)
            except InvalidInput:
                _bad(where, f"unknown time zone {b.tz!r:.60}")
        briefings.append(b)
    if len({b.scope for b in briefings}) != len(briefings):
        _bad("briefings", "one scope appears twice")
    return acks, briefings


def _read(data: dict[str, Any], key: str, parse: Callable[[dict[str, Any]], T]) -> list[T]:
    """The records of one list of the export, each read with `parse`; a malformed one names its place."""
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(x, dict) for x in value):
        raise InvalidInput(f"The export file is malformed: {key} must be a list of objects. Nothing was imported.")
    out = []
    for i, raw in enumerate(value):
        try:
            out.append(parse(raw))
        except (KeyError, TypeError, ValueError) as err:
            raise InvalidInput(f"The export file is malformed: {key} {i + 1}: {err}. Nothing was imported.") from None
    return out


def _bad(where: str, why: str) -> None:
    raise InvalidInput(f"The export file is malformed: {where}: {why}. Nothing was imported.")
