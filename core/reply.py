"""Platform-neutral replies. Adapters render them (console text, Slack mrkdwn, Teams cards).

A line is a tuple of segments: plain system text (str), a person (Mention), or text a user
typed (Quote), which every renderer must show with chat mentions neutralised.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from core.mapgraph import MapGraph
from core.offers import Form, Offer


@dataclass(frozen=True)
class Mention:
    handle: str


@dataclass(frozen=True)
class Quote:
    text: str


@dataclass(frozen=True)
class ChannelRef:
    channel: str


Segment = str | Mention | Quote | ChannelRef
Line = tuple[Segment, ...]


@dataclass(frozen=True)
class Item:
    """One record in a list a person keeps an eye on (App Home, a personal view), with what they can
    do about it. `group` says which list: priorities, dependencies, blockers or checkins."""

    group: str
    line: Line
    offers: tuple[Offer, ...] = ()


@dataclass(frozen=True)
class Notice:
    """A message the command causes to someone else: a team channel or a person (DM)."""

    lines: tuple[Line, ...]
    channel: str | None = None
    person: str | None = None
    key: str = ""
    """Idempotency key: the same notice is never delivered twice."""
    thread: str | None = None
    """Key of the notice this one replies under (a late stand-up answer under its digest)."""
    offers: tuple[Offer, ...] = ()
    """What the reader can do about it, one click away (core.offers)."""


@dataclass(frozen=True)
class Reply:
    lines: tuple[Line, ...]
    data: Any = None
    """JSON-ready data for `--json` (reads) and for adapters that build cards."""
    public: bool = False
    """True for changes others in the channel should see; False for personal reads."""
    notices: tuple[Notice, ...] = field(default_factory=tuple)
    graph: MapGraph | None = None
    """A dependency graph for the adapter to draw and attach (`map`); the core draws nothing."""
    offers: tuple[Offer, ...] = ()
    """What the reader can do next, one click away (core.offers): adapters render these, never guess."""
    form: Form | None = None
    """A form to fill in (`standup`, `checkin` with nothing more): a modal, a card, console prompts."""
    items: tuple[Item, ...] = ()
    """`me`: every record on my plate with its offers, for views that list them (the App Home)."""
    concerns: tuple[str, ...] = ()
    """Whose personal views show what this command changed (core.audience); set by `execute`."""
    then: Callable[[], Reply] | None = field(default=None, compare=False, repr=False)
    """Work to finish after the command's transaction has committed, giving the final reply: a
    slow outside call (the LLM writing a summary) must not hold the workspace's lock meanwhile.
    It reads nothing from the store and writes nothing; `execute` runs it, adapters never see it."""


def line(*segments: Segment) -> Line:
    return tuple(segments)


def reply(
    *lines: Line, data: Any = None, public: bool = False, notices: tuple[Notice, ...] = (),
    offers: tuple[Offer, ...] = (), form: Form | None = None,
) -> Reply:  # fmt: skip
    return Reply(lines=tuple(lines), data=data, public=public, notices=notices, offers=offers, form=form)


def said(before: str, text: str | None, after: str = "") -> tuple[Segment, ...]:
    """`: “why”` when someone said why, nothing when they did not."""
    return (before, Quote(text), after) if text else ()
