"""The one command grammar every adapter shares: a chat line becomes a core command.

Adapters strip their prefix (`/flotilla`, `@Flotilla`) and hand over the rest with a
MentionSyntax that knows how that platform writes people. Quoting, ids, dates, options and
the one-line refusals are decided here only, so a line means the same in Slack, Teams and
the console. Syntax only: whether P-3 exists or a date is in the past is the core's business.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import time
from typing import Literal, TypeVar

from bot.grammar_help import (
    ENTRIES,
    GROUPS,
    TOP_LEVEL,
    MentionSyntax,
    clip,
    help_text,
    usage,
)
from core import rhythm, rules
from core.commands import (
    MEMBER_TZ,
    AdminAdd,
    AdminRemove,
    Away,
    Back,
    BlockerAdd,
    BlockerList,
    BlockerResolve,
    Briefing,
    Checkin,
    Command,
    DepAccept,
    DepAgree,
    DepBlock,
    DepCancel,
    DepCommit,
    DepDecline,
    DepDone,
    DepList,
    DepOwner,
    DepPropose,
    DepReject,
    DepRequest,
    DepShow,
    DepUnblock,
    History,
    Map,
    Me,
    MeTz,
    PriorityAdd,
    PriorityAlign,
    PriorityDone,
    PriorityDrop,
    PriorityList,
    PriorityShow,
    PriorityUpdate,
    RhythmPause,
    RhythmResume,
    RhythmSetBriefing,
    RhythmSetStandup,
    RhythmSetWeekly,
    RhythmShow,
    RhythmSkip,
    Risks,
    RisksAck,
    RisksAcks,
    RisksThresholds,
    RisksUnack,
    Standup,
    Summary,
    TeamAdd,
    TeamArchive,
    TeamCreate,
    TeamDemote,
    TeamList,
    TeamMove,
    TeamRemove,
    TeamRename,
    TeamShow,
    TeamUnarchive,
)
from core.dates import DATE_HELP, DateSpec, is_two_word, parse_date_spec
from core.errors import InvalidInput
from core.model import Kind, Status
from core.risks import RiskKind

__all__ = [
    "ConsoleMentions",
    "MentionSyntax",
    "ParseError",
    "Parsed",
    "SlackMentions",
    "TeamsMentions",
    "help_text",
    "parse",
    "usage",
]


# --- people, the way each adapter writes them ---------------------------------------------

_CONSOLE_PERSON = re.compile(r"@([a-z0-9._-]{1,64})")
_SLACK_PERSON = re.compile(r"<@([A-Za-z0-9._-]{1,64})(?:\|[^<>]{0,200})?>")
_TEAMS_PERSON = re.compile(r"<at:([^<>\s]{1,200})>|<at>([^<>\s]{1,200})</at>")


class ConsoleMentions:
    """`@alice` -> "alice"; console handles are lowercase."""

    def person(self, token: str) -> str | None:
        m = _CONSOLE_PERSON.fullmatch(token.lower())
        return m.group(1) if m else None

    def show(self, handle: str) -> str:
        return f"@{handle}"


class SlackMentions:
    """Escaped slash-command text: `<@U123ABC>` or `<@U123ABC|alice>` -> "U123ABC"."""

    def person(self, token: str) -> str | None:
        m = _SLACK_PERSON.fullmatch(token)
        return m.group(1) if m else None

    def show(self, handle: str) -> str:
        return f"<@{handle}>"


class TeamsMentions:
    """The Teams adapter rewrites each `<at>Name</at>` mention to `<at:AAD-ID>` before parsing."""

    def person(self, token: str) -> str | None:
        m = _TEAMS_PERSON.fullmatch(token)
        if not m:
            return None
        return m.group(1) or m.group(2)

    def show(self, handle: str) -> str:
        return f"<at>{handle}</at>"


# --- results and refusals ---------------------------------------------------------------------


@dataclass(frozen=True)
class Parsed:
    command: Command | None
    json: bool = False
    help_topic: str | None = None
    is_help: bool = False


class ParseError(InvalidInput):
    """One clear line saying what was wrong, and the usage of the command concerned."""

    def __init__(self, message: str, usage: str | None = None) -> None:
        super().__init__(message)
        self.usage = usage


# --- tokens -------------------------------------------------------------------------------------

_SMART_QUOTES = "“”„‟″＂"
_SMART_CLOSE = re.compile(f'[{_SMART_QUOTES}"]')
_OPTION = re.compile(r"(?:--|[—–])([A-Za-z][A-Za-z0-9_-]{0,40})")
_HELP_FLAGS = frozenset({"--help", "-h", "—help", "–help"})


@dataclass(frozen=True)
class _Token:
    text: str
    quote_at: int | None = None
    """Where the first quoted part starts in text; None when nothing was quoted."""

    @property
    def quoted(self) -> bool:
        return self.quote_at is not None


class _Unterminated(Exception):
    def __init__(self, at: int) -> None:
        super().__init__(at)
        self.at = at


def _tokenize(text: str) -> list[_Token]:
    """Whitespace separates; straight or typographic double quotes group; apostrophes are text."""
    tokens: list[_Token] = []
    parts: list[str] = []
    length = 0
    quote_at: int | None = None
    in_token = False
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            if in_token:
                tokens.append(_Token("".join(parts), quote_at))
                parts, length, quote_at, in_token = [], 0, None, False
            i += 1
            continue
        if c == '"' or c in _SMART_QUOTES:
            close = text.find('"', i + 1) if c == '"' else _search(_SMART_CLOSE, text, i + 1)
            if close < 0:
                raise _Unterminated(i)
            if quote_at is None:
                quote_at = length
            chunk = text[i + 1 : close]
            parts.append(chunk)
            length += len(chunk)
            in_token = True
            i = close + 1
            continue
        parts.append(c)
        length += 1
        in_token = True
        i += 1
    if in_token:
        tokens.append(_Token("".join(parts), quote_at))
    return tokens


def _search(pattern: re.Pattern[str], text: str, start: int) -> int:
    m = pattern.search(text, start)
    return m.start() if m else -1


def _option(token: _Token) -> tuple[str, str | None] | None:
    """(name, inline value) when the token is an option (`--team`, `--team=x`), else None."""
    m = _OPTION.match(token.text)
    if not m or (token.quote_at is not None and token.quote_at < m.end()):
        return None
    rest = token.text[m.end() :]
    if not rest:
        return m.group(1).lower(), None
    if rest.startswith("="):
        return m.group(1).lower(), rest[1:]
    return (m.group(1) + rest).lower()[:40], None


# --- the commands -----------------------------------------------------------------------------

_ID = re.compile(r"([A-Za-z])-([0-9]{1,9})")
_TEAM = rules.TEAM_HANDLE
_PERCENT = re.compile(r"([+-]?[0-9]{1,9})\s*%?")
_KIND_NAMES = {Kind.PRIORITY: "priority", Kind.DEPENDENCY: "dependency", Kind.BLOCKER: "blocker"}
_STATUSES: dict[str, Status] = {}
for _st in Status:
    for _spelling in (_st.value, _st.value.replace("-", ""), _st.value.replace("-", "_")):
        _STATUSES[_spelling] = _st
_READS = (
    "me, team show|list, priority list|show, dep list|show, blocker list, history, risks, risks acks, briefing, "
    "rhythm show"
)

Value = str | int | bool | DateSpec | Status | tuple[str, ...] | time | tuple[int, ...] | None
T = TypeVar("T")


@dataclass(frozen=True)
class _Pos:
    kind: str
    """team, new_team, person, people, text, P, D or B."""
    label: str
    """What is missing, for "`x` needs <label>"."""
    where: str
    """What the value is called in a message about it: "title", "team"..."""
    optional: bool = False


@dataclass(frozen=True)
class _Args:
    pos: tuple[Value, ...]
    opts: dict[str, Value]

    def s(self, i: int) -> str:
        v = self.pos[i]
        assert isinstance(v, str)
        return v

    def n(self, i: int) -> int:
        v = self.pos[i]
        assert isinstance(v, int)
        return v

    def people(self, i: int) -> tuple[str, ...]:
        v = self.pos[i]
        assert isinstance(v, tuple)
        return tuple(str(x) for x in v)

    def opt_s(self, name: str) -> str | None:
        v = self.opts.get(name)
        assert v is None or isinstance(v, str)
        return v

    def opt_n(self, name: str) -> int | None:
        v = self.opts.get(name)
        assert v is None or isinstance(v, int)
        return v

    def opt_date(self, name: str) -> DateSpec | None:
        v = self.opts.get(name)
        assert v is None or isinstance(v, DateSpec)
        return v

    def opt_status(self, name: str) -> Status | None:
        v = self.opts.get(name)
        assert v is None or isinstance(v, Status)
        return v

    def flag(self, name: str) -> bool:
        return self.opts.get(name) is True


@dataclass(frozen=True)
class _Spec:
    name: str
    positionals: tuple[_Pos, ...]
    options: dict[str, str]
    """Option name -> value kind (flag, team, team_or_org, person, P, date, text, status, percent, on)."""
    build: Callable[[_Args], Command]
    read: bool = False
    required: tuple[str, ...] = ()


_TEAM_POS = _Pos("team", "a team", "team")
_PERSON_POS = _Pos("person", "a person (@name)", "person")
_P_ID = _Pos("P", "a priority id (P-n)", "priority id")
_D_ID = _Pos("D", "a dependency id (D-n)", "dependency id")
_B_ID = _Pos("B", "a blocker id (B-n)", "blocker id")
_WHY = _Pos("text", 'a reason ("<why>")', "reason")
_SUBJECT = _Pos("subject", "what the risk is about (an id such as D-7, or a team)", "subject")


def _priority_add(a: _Args) -> Command:
    team = a.opt_s("team")
    org = team == "org"
    return PriorityAdd(
        title=a.s(0),
        team=None if org else team,
        owner=a.opt_s("owner"),
        parent=a.opt_n("parent"),
        due=a.opt_date("due"),
        outcome=a.opt_s("outcome"),
        org=org,
    )


def _priority_update(a: _Args) -> Command:
    changes = ("status", "confidence", "progress", "note", "owner", "due")
    if not any(name in a.opts for name in changes):
        raise ParseError(
            "nothing to update: give --status, --confidence, --progress, --note, --owner or --due",
            usage("priority update"),
        )
    return PriorityUpdate(
        number=a.n(0),
        status=a.opt_status("status"),
        confidence=a.opt_n("confidence"),
        progress=a.opt_n("progress"),
        note=a.opt_s("note"),
        owner=a.opt_s("owner"),
        due=a.opt_date("due"),
    )


def _dep_list(a: _Args) -> Command:
    if a.flag("incoming") and a.flag("outgoing"):
        raise ParseError("--incoming and --outgoing cannot be used together: give one or neither", usage("dep list"))
    direction: Literal["incoming", "outgoing"] | None = None
    if a.flag("incoming"):
        direction = "incoming"
    elif a.flag("outgoing"):
        direction = "outgoing"
    return DepList(team=a.opt_s("team"), direction=direction)


def _dep_request(a: _Args) -> Command:
    by = a.opt_date("by")
    assert by is not None  # required option
    return DepRequest(to_team=a.s(0), what=a.s(1), by=by, for_priority=a.opt_n("for"), team=a.opt_s("team"))


def _pos_date(a: _Args, i: int) -> DateSpec:
    v = a.pos[i]
    assert isinstance(v, DateSpec)
    return v


def _risks(a: _Args) -> Command:
    team = a.opt_s("team")
    return Risks(team=None if team == "org" else team, all=a.flag("all"), org=team == "org")


def _risks_ack(a: _Args) -> Command:
    until = a.opt_date("until")
    assert until is not None  # required option
    return RisksAck(subject=a.s(0), until=until, note=a.s(1), kind=a.opt_s("kind"))


def _briefing(a: _Args) -> Command:
    team = a.opt_s("team")
    return Briefing(team=None if team == "org" else team, org=team == "org")


def _rhythm_set_briefing(a: _Args) -> Command:
    day, at = a.opt_n("day"), _opt(a, "at", time)
    assert day is not None and at is not None  # required options
    team = a.opt_s("team")
    return RhythmSetBriefing(day=day, at=at, team=None if team == "org" else team, org=team == "org",
                             tz=a.opt_s("tz"))  # fmt: skip


def _summary(a: _Args) -> Command:
    team = a.opt_s("team")
    return Summary(team=None if team == "org" else team, org=team == "org")


def _map(a: _Args) -> Command:
    team = a.opt_s("team")
    return Map(team=None if team == "org" else team, org=team == "org")


def _opt(a: _Args, name: str, kind: type[T]) -> T | None:
    v = a.opts.get(name)
    assert v is None or isinstance(v, kind)
    return v


def _standup(a: _Args) -> Command:
    answers = a.pos[0]
    assert isinstance(answers, tuple)
    return Standup(answers=tuple(str(x) for x in answers), team=a.opt_s("team"))


def _checkin(a: _Args) -> Command:
    number = a.pos[0]
    options = ("status", "confidence", "progress", "note")
    if number is None and any(name in a.opts for name in options):
        raise ParseError("say which priority you check in: checkin P-n [--status ...]", usage("checkin"))
    return Checkin(
        number=number if isinstance(number, int) else None,
        status=a.opt_status("status"),
        confidence=a.opt_n("confidence"),
        progress=a.opt_n("progress"),
        note=a.opt_s("note"),
    )


_RHYTHM_SETTINGS = ("days", "day", "at", "tz", "remind", "digest", "questions")


def _something_to_set(a: _Args, name: str) -> None:
    if not any(opt in a.opts for opt in _RHYTHM_SETTINGS):
        given = "--days, --at" if name.endswith("standup") else "--day, --at"
        raise ParseError(f"nothing to set: give {given}, --tz, --remind or --digest", usage(name))


def _rhythm_set_standup(a: _Args) -> Command:
    _something_to_set(a, "rhythm set standup")
    days, questions = _opt(a, "days", tuple), _opt(a, "questions", tuple)
    return RhythmSetStandup(
        days=tuple(int(d) for d in days) if days else None, at=_opt(a, "at", time), team=a.opt_s("team"),
        tz=a.opt_s("tz"), remind=a.opt_n("remind"), digest=_opt(a, "digest", time),
        questions=tuple(str(q) for q in questions) if questions else None,
    )  # fmt: skip


def _rhythm_set_weekly(a: _Args) -> Command:
    _something_to_set(a, "rhythm set weekly")
    return RhythmSetWeekly(day=a.opt_n("day"), at=_opt(a, "at", time), team=a.opt_s("team"), tz=a.opt_s("tz"),
                           remind=a.opt_n("remind"), digest=_opt(a, "digest", time))  # fmt: skip


def _away(a: _Args) -> Command:
    start, end = a.pos
    assert isinstance(start, DateSpec) and isinstance(end, DateSpec)
    return Away(start=start, end=end)


def _rhythm_skip(a: _Args) -> Command:
    day = a.pos[0]
    assert isinstance(day, DateSpec)
    return RhythmSkip(day=day, team=a.opt_s("team"))


def _priority_align(a: _Args) -> Command:
    to = a.opt_n("to")
    assert to is not None  # required option
    return PriorityAlign(number=a.n(0), to=to)


_SPECS: dict[str, _Spec] = {
    s.name: s
    for s in (
        _Spec("me", (), {}, lambda a: Me(), read=True),
        _Spec("me tz", (_Pos("tz", "a time zone (Area/City)", "time zone", optional=True),), {},
              lambda a: MeTz(a.pos[0] if isinstance(a.pos[0], str) else None)),
        _Spec("history", (), {"team": "team", "since": "date"},
              lambda a: History(team=a.opt_s("team"), since=a.opt_date("since")), read=True),
        _Spec("admin add", (_PERSON_POS,), {}, lambda a: AdminAdd(a.s(0))),
        _Spec("admin remove", (_PERSON_POS,), {}, lambda a: AdminRemove(a.s(0))),
        _Spec("team create", (_Pos("new_team", "a team handle", "team"), _Pos("text", 'a name ("<name>")', "name")),
              {"parent": "team"}, lambda a: TeamCreate(a.s(0), a.s(1), a.opt_s("parent"))),
        _Spec("team add", (_TEAM_POS, _Pos("people", "at least one person (@name)", "person")), {"lead": "flag"},
              lambda a: TeamAdd(a.s(0), a.people(1), a.flag("lead"))),
        _Spec("team remove", (_TEAM_POS, _PERSON_POS), {},
              lambda a: TeamRemove(a.s(0), a.s(1))),
        _Spec("team show", (_Pos("team", "a team", "team", optional=True),), {},
              lambda a: TeamShow(a.pos[0] if isinstance(a.pos[0], str) else None), read=True),
        _Spec("team list", (), {}, lambda a: TeamList(), read=True),
        _Spec("team rename", (_TEAM_POS, _Pos("text", 'the new name ("<name>")', "name")), {},
              lambda a: TeamRename(a.s(0), a.s(1))),
        _Spec("team demote", (_TEAM_POS, _PERSON_POS), {}, lambda a: TeamDemote(a.s(0), a.s(1))),
        _Spec("team move", (_TEAM_POS,), {"parent": "team"},
              lambda a: TeamMove(a.s(0), None if a.opt_s("parent") == "none" else a.opt_s("parent")),
              required=("parent",)),
        _Spec("team archive", (_TEAM_POS,), {}, lambda a: TeamArchive(a.s(0))),
        _Spec("team unarchive", (_TEAM_POS,), {}, lambda a: TeamUnarchive(a.s(0))),
        _Spec("priority add", (_Pos("text", 'a title ("<title>")', "title"),),
              {"team": "team_or_org", "owner": "person", "parent": "P", "due": "date", "outcome": "text"},
              _priority_add),
        _Spec("priority update", (_P_ID,),
              {"status": "status", "confidence": "percent", "progress": "percent", "note": "text",
               "owner": "person", "due": "date"}, _priority_update),
        _Spec("priority align", (_P_ID,), {"to": "P"}, _priority_align, required=("to",)),
        _Spec("priority done", (_P_ID,), {}, lambda a: PriorityDone(a.n(0))),
        _Spec("priority drop", (_P_ID, _WHY), {}, lambda a: PriorityDrop(a.n(0), a.s(1))),
        _Spec("priority list", (), {"team": "team", "all": "flag"},
              lambda a: PriorityList(team=a.opt_s("team"), all=a.flag("all")), read=True),
        _Spec("priority show", (_P_ID,), {}, lambda a: PriorityShow(a.n(0)), read=True),
        _Spec("dep request",
              (_Pos("team", "the team you ask", "team"), _Pos("text", 'what you need ("<what>")', "what")),
              {"by": "date", "for": "P", "team": "team"}, _dep_request, required=("by",)),
        _Spec("dep accept", (_D_ID,), {"owner": "person", "commit": "date"},
              lambda a: DepAccept(a.n(0), owner=a.opt_s("owner"), commit=a.opt_date("commit"))),
        _Spec("dep decline", (_D_ID, _WHY), {}, lambda a: DepDecline(a.n(0), a.s(1))),
        _Spec("dep propose", (_D_ID, _Pos("date", "the date you propose", "date"),
                              _Pos("text", 'a reason ("<why>")', "reason", optional=True)), {},
              lambda a: DepPropose(a.n(0), _pos_date(a, 1), a.pos[2] if isinstance(a.pos[2], str) else None)),
        _Spec("dep agree", (_D_ID,), {}, lambda a: DepAgree(a.n(0))),
        _Spec("dep reject", (_D_ID, _WHY), {}, lambda a: DepReject(a.n(0), a.s(1))),
        _Spec("dep commit", (_D_ID, _Pos("date", "the new committed date", "date"), _WHY), {},
              lambda a: DepCommit(a.n(0), _pos_date(a, 1), a.s(2))),
        _Spec("dep owner", (_D_ID, _PERSON_POS), {}, lambda a: DepOwner(a.n(0), a.s(1))),
        _Spec("dep block", (_D_ID, _WHY), {}, lambda a: DepBlock(a.n(0), a.s(1))),
        _Spec("dep unblock", (_D_ID,), {}, lambda a: DepUnblock(a.n(0))),
        _Spec("dep done", (_D_ID,), {}, lambda a: DepDone(a.n(0))),
        _Spec("dep cancel", (_D_ID,), {}, lambda a: DepCancel(a.n(0))),
        _Spec("dep list", (), {"team": "team", "incoming": "flag", "outgoing": "flag"}, _dep_list, read=True),
        _Spec("dep show", (_D_ID,), {}, lambda a: DepShow(a.n(0)), read=True),
        _Spec("blocker add", (_Pos("text", 'the blocker ("<text>")', "text"),), {"team": "team", "on": "on"},
              lambda a: BlockerAdd(a.s(0), team=a.opt_s("team"), on=a.opt_s("on"))),
        _Spec("blocker resolve", (_B_ID,), {}, lambda a: BlockerResolve(a.n(0))),
        _Spec("blocker list", (), {"team": "team"}, lambda a: BlockerList(team=a.opt_s("team")), read=True),
        _Spec("risks", (), {"team": "team_or_org", "all": "flag"}, _risks, read=True),
        _Spec("risks thresholds", (_Pos("settings", "name=number pairs", "threshold"),), {},
              lambda a: RisksThresholds(a.people(0))),
        _Spec("risks ack", (_SUBJECT, _Pos("text", 'a note saying why ("<note>")', "note")),
              {"kind": "risk_kind", "until": "date"}, _risks_ack, required=("until",)),
        _Spec("risks unack", (_SUBJECT,), {"kind": "risk_kind"},
              lambda a: RisksUnack(a.s(0), kind=a.opt_s("kind"))),
        _Spec("risks acks", (), {}, lambda a: RisksAcks(), read=True),
        _Spec("briefing", (), {"team": "team_or_org"}, _briefing, read=True),
        _Spec("summary", (), {"team": "team_or_org"}, _summary),
        _Spec("map", (), {"team": "team_or_org"}, _map),
        _Spec("standup", (_Pos("answers", "answers in quotes", "answer", optional=True),), {"team": "team"},
              _standup),
        _Spec("checkin", (_Pos("P", "a priority id (P-n)", "priority id", optional=True),),
              {"status": "status", "confidence": "percent", "progress": "percent", "note": "text"}, _checkin),
        _Spec("rhythm set standup", (),
              {"team": "team", "days": "days", "at": "clock", "tz": "rhythm_tz", "remind": "minutes",
               "digest": "clock", "questions": "questions"}, _rhythm_set_standup),
        _Spec("rhythm set weekly", (),
              {"team": "team", "day": "day", "at": "clock", "tz": "rhythm_tz", "remind": "minutes",
               "digest": "clock"}, _rhythm_set_weekly),
        _Spec("rhythm set briefing", (), {"team": "team_or_org", "day": "day", "at": "clock", "tz": "tz_or_member"},
              _rhythm_set_briefing, required=("day", "at")),
        _Spec("rhythm show", (), {"team": "team"}, lambda a: RhythmShow(team=a.opt_s("team")), read=True),
        _Spec("rhythm pause", (), {"team": "team"}, lambda a: RhythmPause(team=a.opt_s("team"))),
        _Spec("rhythm resume", (), {"team": "team"}, lambda a: RhythmResume(team=a.opt_s("team"))),
        _Spec("rhythm skip", (_Pos("date", "a date", "date"),), {"team": "team"}, _rhythm_skip),
        _Spec("away", (_Pos("date", "the first day you are away", "from"), _Pos("date", "the last day", "to")), {},
              _away),
        _Spec("back", (), {}, lambda a: Back()),
    )
}  # fmt: skip
_REQUIRED_HINT = {
    "parent": "--parent <team> (or --parent none for the top of the tree)",
    "by": "--by <date>",
    "to": "--to P-m",
    "days": "--days mon-fri",
    "at": "--at HH:MM",
    "day": "--day fri",
    "until": "--until <date>",
}


# --- values -----------------------------------------------------------------------------------


def _fail(message: str, name: str | None) -> ParseError:
    return ParseError(message, usage(name) if name else None)


def _id(raw: str, kind: Kind, where: str, name: str) -> int:
    m = _ID.fullmatch(raw.strip())
    expected = f"{_KIND_NAMES[kind]} id like {kind.value}-3"
    if not m:
        raise _fail(f"{where}: expected a {expected}, got {clip(raw)}", name)
    prefix = m.group(1).upper()
    if prefix != kind.value:
        other = next((k for k in Kind if k.value == prefix), None)
        what = f" (a {_KIND_NAMES[other]} id)" if other else ""
        raise _fail(f"{where}: {kind.value}-… expected, got {clip(raw)}{what}", name)
    number = int(m.group(2))
    if number < 1:
        raise _fail(f"{where}: {clip(raw)} is not an id: numbers start at 1", name)
    return number


def _team(raw: str, where: str, name: str, mentions: MentionSyntax) -> str:
    handle = raw.strip().lower()
    if _TEAM.fullmatch(handle):
        return handle
    if mentions.person(raw.strip()) is not None:
        raise _fail(f"{where}: expected a team handle (like payments), got a person", name)
    if not handle:
        raise _fail(f"{where}: the team handle is empty", name)
    raise _fail(
        f"{where}: {clip(raw)} is not a team handle: use lowercase letters, digits and '-' (like payments)", name
    )


def _person(raw: str, where: str, name: str, mentions: MentionSyntax) -> str:
    handle = mentions.person(raw.strip())
    if handle is None:
        raise _fail(f"{where}: expected a person (@name), got {clip(raw)}", name)
    return handle


def _text(raw: str, where: str, name: str) -> str:
    value = raw.strip()
    if not value:
        raise _fail(f'{where} is empty: write it in quotes, e.g. "..."', name)
    return value


def _date(raw: str, where: str, name: str) -> DateSpec:
    text = raw.strip()
    if not text:
        raise _fail(f"{where} is empty: give a date ({DATE_HELP})", name)
    if len(text) > 40:
        raise _fail(f"{where}: {clip(raw)} is not a date I understand: use {DATE_HELP}", name)
    try:
        return parse_date_spec(text)
    except InvalidInput as e:
        raise _fail(f"{where}: {e.message.rstrip('.')}", name) from None


_SETTING = re.compile(r"([a-z][a-z0-9_]{0,40})=([-+0-9.%]{1,12})")


def _setting(raw: str, name: str) -> str:
    """`stale_blocker_days=7`: the shape only; the core knows the names and their ranges."""
    m = _SETTING.fullmatch(raw.strip().lower())
    if not m:
        raise _fail(f"expected <name>=<number> such as stale_blocker_days=7, got {clip(raw)}", name)
    return f"{m.group(1)}={m.group(2)}"


def _status(raw: str, where: str, name: str) -> Status:
    key = "-".join(raw.strip().lower().replace("_", " ").replace("-", " ").split())
    status = _STATUSES.get(key) or _STATUSES.get(key.replace("-", ""))
    if status is None:
        choices = ", ".join(s.value for s in Status)
        raise _fail(f"{where}: status must be one of {choices} (got {clip(raw)})", name)
    return status


def _percent(raw: str, where: str, name: str) -> int:
    label = where.lstrip("-")
    m = _PERCENT.fullmatch(raw.strip())
    if not m:
        raise _fail(f"{label} must be a whole number between 0 and 100 (got {clip(raw)})", name)
    value = int(m.group(1))
    if not 0 <= value <= 100:
        raise _fail(f"{label} must be between 0 and 100 (got {value})", name)
    return value


def _on(raw: str, where: str, name: str, mentions: MentionSyntax) -> str:
    m = _ID.fullmatch(raw.strip())
    prefix = m.group(1).upper() if m else ""
    if prefix in (Kind.DEPENDENCY.value, Kind.PRIORITY.value):
        return f"{prefix}-{_id(raw, Kind(prefix), where, name)}"
    if prefix == Kind.BLOCKER.value:
        raise _fail(f"{where} takes a team, D-n or P-n, got {clip(raw)}", name)
    return _team(raw, where, name, mentions)


def _subject(raw: str, where: str, name: str, mentions: MentionSyntax) -> str:
    """What a risk is about: a P-n, D-n or B-n id, or a team handle."""
    m = _ID.fullmatch(raw.strip())
    prefix = m.group(1).upper() if m else ""
    if prefix in (Kind.PRIORITY.value, Kind.DEPENDENCY.value, Kind.BLOCKER.value):
        return f"{prefix}-{_id(raw, Kind(prefix), where, name)}"
    if mentions.person(raw.strip()) is not None:
        raise _fail(f"{where}: expected an id such as D-7 or a team handle, got a person", name)
    return _team(raw, where, name, mentions)


def _risk_kind(raw: str, where: str, name: str) -> str:
    key = raw.strip().lower().replace("-", "_")
    if key not in {k.value for k in RiskKind}:
        close = difflib.get_close_matches(key[:40], [k.value for k in RiskKind], n=1, cutoff=0.5)
        hint = f": did you mean {close[0]}?" if close else f" (one of {', '.join(k.value for k in RiskKind)})"
        raise _fail(f"{where}: {clip(raw)} is not a kind of risk{hint}", name)
    return key


def _rhythm_tz(raw: str) -> str:
    return MEMBER_TZ if raw.strip().lower() == MEMBER_TZ else rules.zone(raw)


_RHYTHM_VALUES: dict[str, Callable[[str], Value]] = {
    "days": rhythm.parse_days, "day": rhythm.parse_day, "clock": rhythm.parse_clock, "tz": rules.zone,
    "rhythm_tz": _rhythm_tz, "minutes": rhythm.parse_minutes, "questions": rhythm.parse_questions,
}  # fmt: skip
"""Rhythm values (`--days mon-fri`, `--at 09:30`, `--tz Europe/Berlin`, `--remind 60m`, `--questions "a|b"`)."""


def _convert(kind: str, raw: str, where: str, name: str, mentions: MentionSyntax) -> Value:
    if kind in ("team", "team_or_org"):
        return _team(raw, where, name, mentions)
    if kind == "new_team":
        handle = _team(raw, where, name, mentions)
        try:
            return rules.team_handle(handle)
        except InvalidInput:
            raise _fail(f"{where}: {clip(handle)} is reserved: pick another team handle", name) from None
    if kind == "person":
        return _person(raw, where, name, mentions)
    if kind in ("P", "D", "B"):
        return _id(raw, Kind(kind), where, name)
    if kind == "date":
        return _date(raw, where, name)
    if kind == "text":
        return _text(raw, where, name)
    if kind == "status":
        return _status(raw, where, name)
    if kind == "percent":
        return _percent(raw, where, name)
    if kind == "on":
        return _on(raw, where, name, mentions)
    if kind == "subject":
        return _subject(raw, where, name, mentions)
    if kind == "risk_kind":
        return _risk_kind(raw, where, name)
    if kind == "tz_or_member":
        return "member" if raw.strip().lower() == "member" else _convert("tz", raw, where, name, mentions)
    if kind in _RHYTHM_VALUES:
        try:
            return _RHYTHM_VALUES[kind](raw)
        except InvalidInput as e:
            raise _fail(f"{where}: {e.message.rstrip('.')}", name) from None
    raise AssertionError(f"unknown value kind {kind}")


# --- parsing ----------------------------------------------------------------------------------


def _is_help_flag(token: _Token) -> bool:
    return not token.quoted and token.text.lower() in _HELP_FLAGS


def _help(topic: str | None) -> Parsed:
    return Parsed(command=None, help_topic=topic or None, is_help=True)


def _suggest(word: str, choices: list[str] | tuple[str, ...]) -> str:
    close = difflib.get_close_matches(word[:40], list(choices), n=1, cutoff=0.6)
    return f" Did you mean '{close[0]}'?" if close else ""


def _command_name(tokens: list[_Token]) -> tuple[str, list[_Token]] | Parsed:
    """The command a line names (and the tokens after it), or the help it asks for."""
    head = tokens[0].text.lower()
    if head in ("help", "?") or (_is_help_flag(tokens[0])):
        words = [t.text.lower() for t in tokens[1:] if not _is_help_flag(t)]
        return _help(" ".join(" ".join(words).split()))
    if head in GROUPS and head in ENTRIES:  # `risks [...]` or `risks thresholds [...]`
        rest = tokens[1:]
        if rest and not rest[0].quoted and rest[0].text.lower() == "help":
            return _help(head)
        if rest and not rest[0].quoted and rest[0].text.lower() in GROUPS[head]:
            return f"{head} {rest[0].text.lower()}", rest[1:]
        return head, rest
    if head in GROUPS:
        subs = GROUPS[head]
        rest = tokens[1:]
        if not rest or _is_help_flag(rest[0]) or rest[0].text.lower() == "help":
            if rest:
                return _help(head)
            raise ParseError(f"`{head}` needs a subcommand: {', '.join(subs)}", usage(head))
        sub = rest[0].text.lower()
        deeper = tuple(x.split(" ", 1)[1] for x in subs if x.startswith(sub + " "))  # `rhythm set standup`
        if deeper:
            second = rest[1].text.lower() if len(rest) > 1 else ""
            if second not in deeper:
                raise ParseError(f"`{head} {sub}` needs one of: {', '.join(deeper)}", usage(head))
            return f"{head} {sub} {second}", rest[2:]
        if sub not in subs:
            if _option(rest[0]) is not None:
                raise ParseError(f"`{head}` needs a subcommand first: {', '.join(subs)}", usage(head))
            raise ParseError(
                f"unknown {head} command {clip(rest[0].text)}: use {', '.join(subs)}.{_suggest(sub, subs)}",
                usage(head),
            )
        return f"{head} {sub}", rest[1:]
    if head in ENTRIES:
        return head, tokens[1:]
    commands = ", ".join(TOP_LEVEL)
    raise ParseError(
        f"unknown command {clip(tokens[0].text)}.{_suggest(head, TOP_LEVEL)} Try `help`.",
        f"Commands: {commands}",
    )


def parse(text: str, mentions: MentionSyntax) -> Parsed:
    """One chat line (adapter prefix already stripped) -> a command, the help asked for, or ParseError."""
    try:
        tokens = _tokenize(text)
    except _Unterminated as e:
        raise _unterminated(text, e.at) from None
    if not tokens:
        return _help(None)
    found = _command_name(tokens)
    if isinstance(found, Parsed):
        return found
    name, rest = found
    if any(_is_help_flag(t) for t in rest):
        return _help(name)
    return _parse_args(_SPECS[name], rest, mentions)


def _two_word_date(tokens: list[_Token], i: int) -> bool:
    """Whether tokens i and i+1, neither quoted nor an option, together make one date."""
    if i + 1 >= len(tokens) or tokens[i].quoted or tokens[i + 1].quoted or _option(tokens[i + 1]) is not None:
        return False
    return is_two_word(tokens[i].text, tokens[i + 1].text)


def _unterminated(text: str, at: int) -> ParseError:
    message = 'unterminated quote: close it with another "'
    try:
        tokens = _tokenize(text[:at])
        found = _command_name(tokens) if tokens else None
    except ParseError:
        found = None
    name = found[0] if isinstance(found, tuple) else None
    return ParseError(message, usage(name) if name else None)


def _parse_args(spec: _Spec, rest: list[_Token], mentions: MentionSyntax) -> Parsed:
    name = spec.name
    positionals: list[tuple[int, _Token]] = []
    opts: dict[str, Value] = {}
    value_of: dict[int, str] = {}
    """Token index -> the option that token was the value of (for "quote multi-word values")."""
    i = 0
    while i < len(rest):
        token = rest[i]
        option = _option(token)
        if option is None:
            positionals.append((i, token))
            i += 1
            continue
        opt, inline = option
        if opt == "json" and not spec.read:
            raise _fail(f"`{name}` does not take --json: only reads do ({_READS})", name)
        kind = "flag" if opt == "json" else spec.options.get(opt)
        if kind is None:
            known = [*spec.options, *(["json"] if spec.read else [])]
            close = difflib.get_close_matches(opt, known, n=1)
            hint = f": did you mean --{close[0]}?" if close else ""
            raise _fail(f"`{name}` has no option {clip('--' + opt)}{hint}", name)
        if opt in opts:
            raise _fail(f"--{opt} is given twice", name)
        if kind == "flag":
            if inline is not None:
                raise _fail(f"--{opt} takes no value", name)
            opts[opt] = True
            i += 1
            continue
        if inline is None:
            if i + 1 >= len(rest) or _option(rest[i + 1]) is not None:
                raise _fail(f"--{opt} needs a value", name)
            inline = rest[i + 1].text
            value_of[i + 1] = opt
            i += 1
            if kind == "date" and _two_word_date(rest, i):  # `--by dec 5`: quotes are optional
                inline = f"{inline} {rest[i + 1].text}"
                value_of[i + 1] = opt
                i += 1
        opts[opt] = _convert(kind, inline, f"--{opt}", name, mentions)
        i += 1
    values: list[Value] = []
    k = 0
    for pos in spec.positionals:
        if pos.kind == "settings":
            values.append(tuple(_setting(t.text, name) for _, t in positionals[k:]))
            k = len(positionals)
            continue
        if pos.kind == "answers":  # each quoted token is one answer; unquoted neighbours make one
            answers: list[str] = []
            last = -2
            for index, token in positionals[k:]:
                if answers and not token.quoted and index == last + 1 and not rest[last].quoted:
                    answers[-1] += " " + token.text
                else:
                    answers.append(token.text)
                last = index
            values.append(tuple(answers))
            k = len(positionals)
            continue
        if pos.kind == "people":
            people = [_person(t.text, pos.where, name, mentions) for _, t in positionals[k:]]
            if not people:
                raise _fail(f"`{name}` needs {pos.label}", name)
            values.append(tuple(dict.fromkeys(people)))
            k = len(positionals)
            continue
        if k >= len(positionals):
            if pos.optional:
                values.append(None)
                continue
            raise _fail(f"`{name}` needs {pos.label}", name)
        index, token = positionals[k]
        k += 1
        joined = pos.kind == "date" and k < len(positionals) and positionals[k][0] == index + 1
        if joined and _two_word_date(rest, index):  # `away dec 21 jan 3`: quotes are optional
            token = _Token(f"{token.text} {positionals[k][1].text}")
            k += 1
        if pos.kind != "text":
            values.append(_convert(pos.kind, token.text, pos.where, name, mentions))
            continue
        words = [token.text]
        if not token.quoted:  # forgive a missing pair of quotes around adjacent words
            while k < len(positionals) and positionals[k][0] == index + 1:
                index, token = positionals[k]
                words.append(token.text)
                k += 1
        values.append(_text(" ".join(words), pos.where, name))
    if k < len(positionals):
        index, token = positionals[k]
        after = value_of.get(index - 1)
        hint = f" after --{after}: quote multi-word values" if after else ""
        raise _fail(f"`{name}` got an unexpected {clip(token.text)}{hint}", name)
    for opt in spec.required:
        if opt not in opts:
            raise _fail(f"`{name}` needs {_REQUIRED_HINT.get(opt, '--' + opt)}", name)
    command = spec.build(_Args(tuple(values), opts))
    return Parsed(command=command, json=opts.get("json") is True)
