"""The rules records keep, stated once.

Commands check what people type against these functions, and `import` checks every record of a
file against the same ones (core.import_checks), so a file can only hold what the commands could
have written. Each rule returns the value as it is stored, or raises InvalidInput with one line a
person can act on; import puts the record's name in front of that line.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from datetime import UTC, date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from core.errors import Conflict, InvalidInput
from core.limits import MAX_TEXT as MAX_TEXT
from core.limits import MAX_TITLE as MAX_TITLE

MAX_ID = 999_999_999
"""The largest P-n, D-n or B-n: nine digits, what the grammar reads, far inside every integer column
(2^31 - 1 on PostgreSQL), so a sequence can never overflow its column."""
MAX_QUESTIONS = 6

EARLIEST = date(1970, 1, 1)
LATEST = date(2999, 12, 31)
"""Dates and instants Flotilla keeps: wide enough for any plan, narrow enough that every date
calculation (a week on, 90 days back, working days) stays inside what a date can hold."""
MAX_AHEAD = timedelta(days=5 * 366)
"""How far a relative date (`+3d`, `+2w`, `fri`, `dec 5`) may reach: typing `+1000w` is a slip."""

TEAM_HANDLE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
_ID_LIKE = re.compile(r"^[pdb]-[0-9]+$")
RESERVED_TEAMS = frozenset({"org", "none"})
"""`--team org` means the organisation and `team move --parent none` the top of the tree."""
_PERSON_HANDLE = re.compile(r"^[A-Za-z0-9][^\s<>@|,\"'`]{0,199}$")
"""Console names, Slack user ids, Teams AAD object ids: no spaces, nothing a mention syntax uses."""
_CHANNEL = re.compile(r"^[^\s<>|]{1,200}$")
_WORKSPACE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$")
"""Console names, Slack team or Enterprise ids, Teams tenant ids (GUIDs)."""
_TZ = re.compile(r"^[A-Za-z][A-Za-z0-9_+-]*(?:/[A-Za-z0-9_+-]+){0,2}$")
# C0/C1 controls (but tab and newline), and bidi overrides that make text read differently than stored.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAK = re.compile(r"\r\n?|[\u2028\u2029\x85]")
"""Line breaks as other systems write them (Windows' CR LF from a multi-line card input, old Mac CR,
Unicode's line and paragraph separators): stored as the one newline every renderer understands."""


# --- text -----------------------------------------------------------------------------------------


def text(value: str, what: str, limit: int = MAX_TEXT, *, field: str | None = None) -> str:
    """Text people type, as stored: line breaks as newlines, trimmed, not empty, not too long, no
    invisible controls. `field`: the form field it came from, named in the refusal."""
    value = _LINE_BREAK.sub("\n", value).strip()
    if not value:
        raise InvalidInput(f"The {what} can't be empty.", field=field)
    if len(value) > limit:
        raise InvalidInput(f"The {what} is too long ({len(value)} characters; at most {limit}).", field=field)
    bad = _CONTROL.search(value)
    if bad:
        raise InvalidInput(f"The {what} contains an invisible control character (U+{ord(bad.group()):04X}); "
                           "remove it.", field=field)  # fmt: skip
    return value


def plain(value: str, what: str, limit: int = MAX_TEXT) -> str:
    """Text kept as it is (event data): no longer than `limit`, no invisible controls."""
    if len(value) > limit:
        raise InvalidInput(f"The {what} is too long ({len(value)} characters; at most {limit}).")
    if has_control(value):
        raise InvalidInput(f"The {what} contains an invisible control character; remove it.")
    return value


def has_control(value: str) -> bool:
    return _CONTROL.search(value) is not None


def cleaned(value: str, limit: int = MAX_TITLE) -> str:
    """Text a chat platform gives us (display names): made to keep the text rules, never refused."""
    flat = " ".join(_CONTROL.sub("", value).split())
    return flat[:limit].strip()


# --- names of things ------------------------------------------------------------------------------


def team_handle(handle: str) -> str:
    if not TEAM_HANDLE.match(handle):
        raise InvalidInput(
            f"{handle!r:.60} is not a team handle: use lowercase letters, digits and '-' (like payments)."
        )
    if handle in RESERVED_TEAMS or _ID_LIKE.match(handle):
        raise InvalidInput(f"'{handle}' is reserved: pick another team handle.")
    return handle


def person_handle(handle: str) -> str:
    if not _PERSON_HANDLE.match(handle) or _CONTROL.search(handle):
        raise InvalidInput(f"{handle!r:.60} is not a person's handle (a console name or a chat user id).")
    return handle


def channel(value: str) -> str:
    if not _CHANNEL.match(value) or _CONTROL.search(value):
        raise InvalidInput(f"{value!r:.60} is not a channel.")
    return value


def workspace_name(name: str) -> str:
    if len(name) > 100:
        raise InvalidInput(f"A workspace name of {len(name)} characters is too long: at most 100.")
    if not _WORKSPACE.match(name):
        raise InvalidInput(
            f"{name!r:.60} is not a workspace name: 1 to 100 letters, digits, '.', '_', ':' or '-', starting "
            "with a letter or digit (a console name, a Slack team id or a Teams tenant id)."
        )
    return name


@cache
def _zones() -> dict[str, str]:
    return {z.lower(): z for z in available_timezones()}


def zone(name: str) -> str:
    """An IANA zone name as the tz database spells it (a case-insensitive match is corrected)."""
    name = name.strip()
    if len(name) > 64 or not _TZ.match(name):  # the longest IANA name has 32 characters
        raise InvalidInput(f"{name!r:.60} is not a time zone: use an IANA name like Europe/Berlin or UTC.")
    found = _zones().get(name.lower())
    if found is None:
        try:  # a zone the tz database knows under a name available_timezones() leaves out
            ZoneInfo(name)
            found = name
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name the file system refuses
            raise InvalidInput(
                f"{name!r:.60} is not a time zone I know: use an IANA name like Europe/Berlin or UTC."
            ) from None
    return found


@cache
def zone_info(name: str | None) -> ZoneInfo:
    """The zone to compute with. Stored zones were checked by `zone`; should one still be unknown
    (a database edited by hand), time goes on in UTC rather than every command failing."""
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return ZoneInfo("UTC")


# --- numbers, dates and instants ------------------------------------------------------------------


def whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def percent(value: int, what: str) -> int:
    if not 0 <= value <= 100:
        raise InvalidInput(f"{what} must be between 0 and 100 (got {value}).")
    return value


def id_number(number: int, prefix: str) -> int:
    if not 1 <= number <= MAX_ID:
        raise InvalidInput(f"{prefix}-{number} is not an id: numbers go from 1 to {MAX_ID}.")
    return number


def next_id(number: int, prefix: str) -> int:
    """A number the sequence just handed out; past MAX_ID the workspace has run out of them."""
    if number > MAX_ID:
        raise Conflict(f"This workspace has used every {prefix}- id up to {prefix}-{MAX_ID}; no more can be added.")
    return number


def rank(value: int) -> int:
    if not 1 <= value <= MAX_ID:
        raise InvalidInput(f"rank must be from 1 to {MAX_ID} (got {value}).")
    return value


def day(value: date) -> date:
    if not EARLIEST <= value <= LATEST:
        raise InvalidInput(f"{value.isoformat()} is outside the dates I keep ({EARLIEST.year} to {LATEST.year}).")
    return value


def instant(value: datetime) -> datetime:
    """An aware instant between EARLIEST and LATEST (as UTC)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(f"{value.isoformat()} has no UTC offset.")
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        raise InvalidInput(f"{value.isoformat()} is outside the times I keep.") from None
    day(utc.date())
    return value


# --- relations between records --------------------------------------------------------------------


def not_self_dependency(from_team: str, to_team: str) -> None:
    if from_team == to_team:
        raise InvalidInput("A team can't depend on itself: ask another team.")


def progress_of(status: str, progress: int) -> int:
    """Done means fully done."""
    if status == "done" and progress != 100:
        raise InvalidInput(f"Done means 100% progress, not {progress}%.")
    return progress


def descendants(handle: str, parent_of: Mapping[str, str | None]) -> set[str]:
    """Every team below `handle` (cycle-safe)."""
    below: dict[str, list[str]] = {}
    for child, parent in parent_of.items():
        if parent is not None:
            below.setdefault(parent, []).append(child)
    out: set[str] = set()
    todo = [handle]
    while todo:
        for child in below.get(todo.pop(), []):
            if child not in out and child != handle:
                out.add(child)
                todo.append(child)
    return out


def team_parent(handle: str, parent: str | None, parent_of: Mapping[str, str | None]) -> None:
    """A team sits under any team but itself and its own descendants (the tree has no cycles)."""
    if parent is None:
        return
    if parent == handle:
        raise InvalidInput(f"{handle} can't be its own parent.")
    if parent in descendants(handle, parent_of):
        raise InvalidInput(f"{parent} is below {handle}: a team can't move under its own descendant.")


def archivable(
    handle: str, priorities: Collection[str], dependencies: Collection[str], children: Collection[str]
) -> None:
    """A team is archived only when nothing of it is still open: its open priorities, open
    dependencies (either side) and child teams that are not archived are named."""
    why = []
    if priorities:
        why.append(f"open priorities {', '.join(sorted(priorities, key=_natural))}")
    if dependencies:
        why.append(f"open dependencies {', '.join(sorted(dependencies, key=_natural))}")
    if children:
        why.append(f"child teams {', '.join(sorted(children))} (archive or move them first)")
    if why:
        raise Conflict(f"{handle} still has {'; '.join(why)}.")


def _natural(ident: str) -> tuple[str, int]:
    prefix, _, number = ident.partition("-")
    return prefix, int(number) if number.isdigit() else 0


def aligned(name: str, child_team: str | None, parent_team: str | None, ancestors: Collection[str]) -> None:
    """A team priority aligns to an org priority or to one of an ancestor team's."""
    if child_team is None:
        raise InvalidInput(f"{name} is org-level: org priorities are the top of the tree.")
    if parent_team is not None and parent_team not in ancestors:
        raise InvalidInput(
            f"{name} ({child_team}) can only align to an org priority or one of a parent team's, and the "
            f"priority it aligns to belongs to {parent_team}."
        )


MAX_AWAY_DAYS = 366


def away_range(start: date, end: date) -> None:
    if end < start:
        raise InvalidInput(f"You come back before you leave: {start.isoformat()} is after {end.isoformat()}.")
    if (end - start).days > MAX_AWAY_DAYS:
        raise InvalidInput("Time away is at most a year; set another range later.")


def questions(values: tuple[str, ...]) -> tuple[str, ...]:
    if not values:
        raise InvalidInput('Give at least one question: --questions "q1|q2|q3".')
    if len(values) > MAX_QUESTIONS:
        raise InvalidInput(f"At most {MAX_QUESTIONS} questions (got {len(values)}).")
    return tuple(text(q, "question", MAX_TITLE) for q in values)
