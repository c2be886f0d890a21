"""What a reply or a notice offers next: actions one click away, and forms to fill in.

The core says what may follow; adapters only render it (Slack buttons and modals, Teams cards, the
console's typed commands and prompts) and turn a click or a submit back into a command with
`command_for` / `form_commands`. No adapter reads a notice's key or a reply's text to decide what
to show, and every limit a form states (how long an answer may be, which statuses exist) is the
one the command's own checks enforce.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from core import commands
from core.dates import DateSpec
from core.errors import InvalidInput
from core.limits import MAX_TEXT
from core.model import Blocker, BlockerState, Dependency, DepMove, Priority, Status

FORM_STATUSES = (Status.ON_TRACK, Status.AT_RISK, Status.OFF_TRACK, Status.DONE)
"""What a check-in may set a priority to (dropping one takes a reason: `priority drop`)."""


class Act(enum.StrEnum):
    """Everything a button or a card may do. Adding one means rendering it on every adapter
    (tests/adapters/test_offers_everywhere.py fails until then)."""

    DEP_ACCEPT = "dep.accept"
    DEP_DECLINE = "dep.decline"
    DEP_DONE = "dep.done"
    DEP_PROPOSE = "dep.propose"
    DEP_AGREE = "dep.agree"
    DEP_REJECT = "dep.reject"
    DEP_COMMIT = "dep.commit"
    BLOCKER_RESOLVE = "blocker.resolve"
    STANDUP_OPEN = "standup.open"
    CHECKIN_OPEN = "checkin.open"
    RISK_RENEW = "risk.renew"
    RISK_END = "risk.end"


class FieldKind(enum.StrEnum):
    TEXT = "text"
    LONG_TEXT = "long_text"
    PERCENT = "percent"
    CHOICE = "choice"
    DATE = "date"
    """A day: a date picker (Slack datepicker, Teams Input.Date), typed at the console as any date
    the grammar takes (`fri`, `+2w`, `2026-12-04`)."""


@dataclass(frozen=True)
class Field:
    """One input: what it is called, what it takes, what it holds already."""

    id: str
    label: str
    kind: FieldKind = FieldKind.TEXT
    required: bool = False
    max_length: int = MAX_TEXT
    choices: tuple[str, ...] = ()
    initial: str | None = None
    hint: str | None = None


@dataclass(frozen=True)
class Offer:
    """An action one click away. `asks` are fields the person fills first (a reason to decline);
    `typed` is the command a person types to do the same (what the console shows)."""

    act: Act
    subject: str
    """What it acts on: `D-3`, `B-2`, a team handle, or "" (my check-in)."""
    label: str
    typed: str
    style: str | None = None
    """`primary` (the expected answer) or `danger` (a refusal); None for a neutral button."""
    asks: tuple[Field, ...] = ()


@dataclass(frozen=True)
class Section:
    """A part of a form about one thing (a priority of a check-in), with a heading."""

    heading: str
    fields: tuple[Field, ...]
    subject: str = ""


@dataclass(frozen=True)
class Form:
    """A form to fill in and submit at once: the stand-up (one section of answers) or the weekly
    check-in (a section per priority). `left_out` says what did not fit and how to reach it."""

    act: Act
    subject: str
    title: str
    sections: tuple[Section, ...]
    submit: str
    intro: str = ""
    left_out: str = ""


# --- what follows what ---------------------------------------------------------------------------


def reason(label: str) -> Field:
    return Field("reason", label, FieldKind.LONG_TEXT, required=True)


def asks_for(act: Act | str, subject: str) -> tuple[Field, ...]:
    """What an act needs the person to fill in before it runs (a button click carries only the act
    and its subject: the adapter asks these, in a modal or a card, then runs `command_for`)."""
    if act == Act.DEP_DECLINE:
        return (reason(f"Why can't your team take {subject} on?"),)
    if act == Act.DEP_PROPOSE:
        return (Field("date", f"When can your team deliver {subject}?", FieldKind.DATE, required=True),
                Field("reason", "Why that date? (optional)", FieldKind.LONG_TEXT))  # fmt: skip
    if act == Act.DEP_REJECT:
        return (reason(f"Why doesn't the proposed date of {subject} work?"),)
    if act == Act.DEP_COMMIT:
        return (Field("date", f"The new committed date of {subject}", FieldKind.DATE, required=True),
                reason("Why does the date move?"))  # fmt: skip
    return ()


def dependency_offers(d: Dependency, *, requester: bool = False, provider: bool = False) -> tuple[Offer, ...]:
    """What the requesting or the providing side can do next to a dependency in its state (the
    core still decides, when it is clicked, whether that person may)."""
    out: list[Offer] = []
    if provider and d.can(DepMove.ACCEPT):
        out.append(Offer(Act.DEP_ACCEPT, d.id, "Accept", f"dep accept {d.id} [--commit <date>]", "primary"))
    if provider and d.can(DepMove.DECLINE):
        out.append(Offer(Act.DEP_DECLINE, d.id, "Decline…", f'dep decline {d.id} "<why>"', "danger",
                         asks=asks_for(Act.DEP_DECLINE, d.id)))  # fmt: skip
    if provider and d.can(DepMove.PROPOSE):
        out.append(Offer(Act.DEP_PROPOSE, d.id, "Propose a date…", f'dep propose {d.id} <date> ["<why>"]',
                         asks=asks_for(Act.DEP_PROPOSE, d.id)))  # fmt: skip
    if requester and d.can(DepMove.AGREE):
        out.append(Offer(Act.DEP_AGREE, d.id, f"Agree to {d.proposed}" if d.proposed else "Agree",
                         f"dep agree {d.id}", "primary"))  # fmt: skip
    if requester and d.can(DepMove.REJECT):
        out.append(Offer(Act.DEP_REJECT, d.id, "Reject…", f'dep reject {d.id} "<why>"', "danger",
                         asks=asks_for(Act.DEP_REJECT, d.id)))  # fmt: skip
    if (requester or provider) and d.can(DepMove.DELIVER):
        out.append(Offer(Act.DEP_DONE, d.id, "Mark delivered", f"dep done {d.id}", "primary"))
    if provider and d.can(DepMove.COMMIT):
        out.append(Offer(Act.DEP_COMMIT, d.id, "Re-plan…", f'dep commit {d.id} <date> "<why>"',
                         asks=asks_for(Act.DEP_COMMIT, d.id)))  # fmt: skip
    return tuple(out)


def blocker_offers(b: Blocker) -> tuple[Offer, ...]:
    if b.state is BlockerState.OPEN:
        return (Offer(Act.BLOCKER_RESOLVE, b.id, "Resolve", f"blocker resolve {b.id}", "primary"),)
    return ()


def standup_offer(team: str) -> Offer:
    return Offer(Act.STANDUP_OPEN, team, "Open stand-up", f"standup --team {team}", "primary")


def checkin_offer() -> Offer:
    return Offer(Act.CHECKIN_OPEN, "", "Open check-in", "checkin", "primary")


RENEW_FOR = "+1w"
"""How long a renewal from a briefing's button lasts (`risks ack … --until +1w`)."""


def ack_subject(subject: str, kind: str | None) -> str:
    """An acknowledgement as an offer's subject: `D-7`, or `D-7 overdue_dependency` for one kind
    (ids, team handles and kinds never hold a space)."""
    return f"{subject} {kind}" if kind else subject


def _ack_parts(subject: str) -> tuple[str, str | None]:
    head, _, kind = subject.strip().partition(" ")
    if not head or " " in kind:
        raise InvalidInput(f"{subject!r} is not an acknowledged risk.")
    return head, kind or None


def _ack_typed(act: Act, subject: str) -> str:
    head, kind = _ack_parts(subject)
    more = f" --kind {kind}" if kind else ""
    if act is Act.RISK_RENEW:
        return f'risks ack {head}{more} --until {RENEW_FOR} "<note>"'
    return f"risks unack {head}{more}"


def review_offers(subject: str, kind: str | None, what: str, renew: str, end: str) -> tuple[Offer, ...]:
    """An acknowledgement due for review (a leader briefing): renew it for a week with its note, or
    end it now. `renew` and `end` are the typed commands (with the note and the date spelled out)."""
    key = ack_subject(subject, kind)
    return (Offer(Act.RISK_RENEW, key, f"Renew {what} for a week", renew, "primary"),
            Offer(Act.RISK_END, key, f"End {what}", end, "danger"))  # fmt: skip


# --- forms ---------------------------------------------------------------------------------------

MAX_FORM_PRIORITIES = 15
"""Priorities one check-in form shows (a Slack modal holds 100 blocks; a card stays readable)."""


def standup_form(team: str, day: str, questions: Sequence[str], answers: Sequence[str] = (),
                 intro: str = "") -> Form:  # fmt: skip
    fields = tuple(
        Field(f"a{i}", q, FieldKind.LONG_TEXT, required=True, initial=answers[i - 1] if i <= len(answers) else None,
              hint='Answer each question ("none" is fine).')
        for i, q in enumerate(questions, 1)
    )  # fmt: skip
    return Form(Act.STANDUP_OPEN, team, f"Stand-up of {team} ({day})", (Section("", fields, team),),
                "Send my stand-up", intro)  # fmt: skip


def checkin_form(priorities: Sequence[Priority], intro: str = "") -> Form:
    shown = list(priorities)[:MAX_FORM_PRIORITIES]
    sections = tuple(
        Section(f"{p.id} {p.title}", (
            Field(f"status:{p.id}", "Status", FieldKind.CHOICE, choices=tuple(s.value for s in FORM_STATUSES),
                  initial=p.status.value if p.status in FORM_STATUSES else Status.ON_TRACK.value),
            Field(f"confidence:{p.id}", "Confidence (0-100)", FieldKind.PERCENT,
                  initial=str(p.confidence) if p.confidence is not None else None),
            Field(f"progress:{p.id}", "Progress (0-100)", FieldKind.PERCENT, initial=str(p.progress)),
            Field(f"note:{p.id}", "Note", FieldKind.LONG_TEXT),
        ), p.id)
        for p in shown
    )  # fmt: skip
    more = len(priorities) - len(shown)
    left_out = (f"…and {more} more priorit{'ies' if more != 1 else 'y'} of yours: check "
                f"{'them' if more != 1 else 'it'} in with `checkin P-n`.") if more else ""  # fmt: skip
    return Form(Act.CHECKIN_OPEN, "", "Weekly check-in", sections, "Check in", intro, left_out)


# --- kept in the outbox with a notice ---------------------------------------------------------------


def offer_json(o: Offer) -> dict[str, Any]:
    return {"act": o.act.value, "subject": o.subject, "label": o.label, "typed": o.typed, "style": o.style,
            "asks": [{"id": f.id, "label": f.label, "kind": f.kind.value, "required": f.required,
                      "max_length": f.max_length} for f in o.asks]}  # fmt: skip


def offer_from_json(d: Mapping[str, Any]) -> Offer:
    asks = tuple(Field(a["id"], a["label"], FieldKind(a["kind"]), bool(a["required"]), int(a["max_length"]))
                 for a in d.get("asks") or ())  # fmt: skip
    return Offer(Act(d["act"]), str(d["subject"]), str(d["label"]), str(d["typed"]), d.get("style"), asks)


# --- a click or a submit, back to a command --------------------------------------------------------


def _number(subject: str, prefix: str) -> int:
    head, _, tail = subject.strip().upper().partition("-")
    if head != prefix or not tail.isdigit() or len(tail) > 9:
        raise InvalidInput(f"{subject!r} is not an id like {prefix}-3.")
    return int(tail)


def offer_for(act: Act | str, subject: str, label: str = "") -> Offer:
    """An offer rebuilt from a click (its act and subject): what it asks, how it is typed."""
    act = Act(act)
    typed = {Act.DEP_ACCEPT: f"dep accept {subject}", Act.DEP_DECLINE: f'dep decline {subject} "<why>"',
             Act.DEP_DONE: f"dep done {subject}", Act.DEP_PROPOSE: f'dep propose {subject} <date> ["<why>"]',
             Act.DEP_AGREE: f"dep agree {subject}", Act.DEP_REJECT: f'dep reject {subject} "<why>"',
             Act.DEP_COMMIT: f'dep commit {subject} <date> "<why>"', Act.BLOCKER_RESOLVE: f"blocker resolve {subject}",
             Act.STANDUP_OPEN: f"standup --team {subject}" if subject else "standup",
             Act.CHECKIN_OPEN: "checkin"}.get(act) or _ack_typed(act, subject)  # fmt: skip
    return Offer(act, subject, label or act.value, typed, asks=asks_for(act, subject))


def command_for(act: Act | str, subject: str, values: Mapping[str, str | None] | None = None) -> commands.Command:
    """The command an offer stands for, with what the person filled in. InvalidInput when the click
    or submit does not come from one of our offers (an unknown act, a malformed subject)."""
    values = values or {}
    try:
        act = Act(act)
    except ValueError:
        raise InvalidInput(f"{act!r} is not something Flotilla offers.") from None
    if act is Act.DEP_ACCEPT:
        return commands.DepAccept(_number(subject, "D"))
    if act is Act.DEP_DECLINE:
        return commands.DepDecline(_number(subject, "D"), (values.get("reason") or "").strip())
    if act is Act.DEP_DONE:
        return commands.DepDone(_number(subject, "D"))
    if act is Act.DEP_PROPOSE:
        return commands.DepPropose(_number(subject, "D"), _date(values), (values.get("reason") or "").strip() or None)
    if act is Act.DEP_AGREE:
        return commands.DepAgree(_number(subject, "D"))
    if act is Act.DEP_REJECT:
        return commands.DepReject(_number(subject, "D"), (values.get("reason") or "").strip())
    if act is Act.DEP_COMMIT:
        return commands.DepCommit(_number(subject, "D"), _date(values), (values.get("reason") or "").strip())
    if act is Act.BLOCKER_RESOLVE:
        return commands.BlockerResolve(_number(subject, "B"))
    if act is Act.STANDUP_OPEN:
        return commands.Standup(team=subject or None)
    if act is Act.RISK_RENEW:  # no note: the acknowledgement keeps the one it has
        head, kind = _ack_parts(subject)
        return commands.RisksAck(head, DateSpec(RENEW_FOR), None, kind)
    if act is Act.RISK_END:
        head, kind = _ack_parts(subject)
        return commands.RisksUnack(head, kind)
    return commands.Checkin()


def form_commands(act: Act | str, subject: str, values: Mapping[str, str | None]) -> list[commands.Command]:
    """What a submitted form asks for, from its field ids and what was filled in (an adapter keeps
    nothing else of the form): the stand-up's answers in question order, or one `checkin P-n` per
    priority with what it says (the command tells a change from a confirmation). A number that is
    not a whole number is refused here, as the typed command would refuse it."""
    act = Act(act)
    if act is Act.STANDUP_OPEN:
        asked = sorted(int(k[1:]) for k in values if k[:1] == "a" and k[1:].isdigit() and 0 < int(k[1:]) <= 50)
        answers = tuple((values.get(f"a{i}") or "") for i in range(1, (asked[-1] if asked else 0) + 1))
        return [commands.Standup(answers=answers, team=subject or None)]
    if act is not Act.CHECKIN_OPEN:
        raise InvalidInput(f"{act.value} is not a form.")
    out: list[commands.Command] = []
    for pid in dict.fromkeys(k.split(":", 1)[1] for k in values if ":" in k):
        status = (values.get(f"status:{pid}") or "").strip()
        out.append(commands.Checkin(
            number=_number(pid, "P"),
            status=Status(status) if status in {x.value for x in FORM_STATUSES} else None,
            confidence=_percent(values.get(f"confidence:{pid}"), f"confidence:{pid}"),
            progress=_percent(values.get(f"progress:{pid}"), f"progress:{pid}"),
            note=(values.get(f"note:{pid}") or "").strip() or None,
        ))  # fmt: skip
    return out


def _date(values: Mapping[str, str | None]) -> DateSpec:
    """A date field as filled in (a picker gives `2026-12-04`; a typed one anything the grammar takes):
    the core resolves it, and refuses what is no date, as for the typed command."""
    raw = (values.get("date") or "").strip()
    if not raw:
        raise InvalidInput("Say which date.", field="date")
    return DateSpec(raw.lower())


def _percent(raw: str | None, field: str) -> int | None:
    if raw is None or not str(raw).strip():
        return None
    text = str(raw).strip()
    try:
        number = float(text)
    except ValueError:
        number = float("nan")
    if not number.is_integer():
        what = field.split(":", 1)[0]
        raise InvalidInput(f"The {what} must be a whole number from 0 to 100 (got {text!r}).", field=field)
    return int(number)
