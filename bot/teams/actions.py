"""A card's button or form (`{"flotilla": verb, ...}` plus its inputs) as a core command.

Pure translation: whether the person may accept D-3, or whether a reason is good enough, is the
core's business, exactly as if they had typed the command.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from core import commands
from core.model import Status

_ID = re.compile(r"([A-Za-z])-([0-9]{1,9})")


class NotACardAction(ValueError):
    """The data does not come from one of Flotilla's cards, or lacks what the verb needs."""


@dataclass(frozen=True)
class CardAction:
    verb: str
    command: commands.Command


def _number(data: Mapping[str, Any], key: str, prefix: str) -> int:
    m = _ID.fullmatch(str(data.get(key, "")).strip())
    if not m or m.group(1).upper() != prefix:
        raise NotACardAction(f"{key} must be an id like {prefix}-3")
    return int(m.group(2))


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    return value.strip() if isinstance(value, str) else ""


def _dep_accept(d: Mapping[str, Any]) -> commands.Command:
    return commands.DepAccept(_number(d, "dep", "D"))


def _dep_decline(d: Mapping[str, Any]) -> commands.Command:
    return commands.DepDecline(_number(d, "dep", "D"), _text(d, "reason"))


def _blocker_resolve(d: Mapping[str, Any]) -> commands.Command:
    return commands.BlockerResolve(_number(d, "blocker", "B"))


def _standup(d: Mapping[str, Any]) -> commands.Command:
    count = d.get("questions")
    if not isinstance(count, int) or not 0 < count <= 20:
        raise NotACardAction("a stand-up form says how many questions it asks")
    team = d.get("team")
    return commands.Standup(answers=tuple(_text(d, f"a{i}") for i in range(1, count + 1)),
                            team=team if isinstance(team, str) else None)  # fmt: skip


def _percent(d: Mapping[str, Any], key: str) -> int | None:
    raw = d.get(key)
    if raw is None or str(raw).strip() == "":
        return None
    try:
        return int(float(str(raw).strip()))
    except ValueError:
        raise NotACardAction(f"{key} must be a number") from None


def _checkin(d: Mapping[str, Any]) -> commands.Command:
    pid = str(d.get("priority", ""))
    number = _number(d, "priority", "P")
    status = _text(d, f"status:{pid}")
    note = _text(d, f"note:{pid}")
    return commands.Checkin(
        number=number,
        status=Status(status) if status in {s.value for s in Status} else None,
        confidence=_percent(d, f"confidence:{pid}"),
        progress=_percent(d, f"progress:{pid}"),
        note=note or None,
    )


VERBS: dict[str, Callable[[Mapping[str, Any]], commands.Command]] = {
    "dep.accept": _dep_accept,
    "dep.decline": _dep_decline,
    "blocker.resolve": _blocker_resolve,
    "standup.submit": _standup,
    "checkin.submit": _checkin,
}


def card_action(data: Any, verb: str | None = None) -> CardAction:
    """`data` is an Action.Submit message's `value` or an Action.Execute invoke's `action.data`."""
    if not isinstance(data, Mapping):
        raise NotACardAction("card data must be an object")
    name = verb or data.get("flotilla")
    if not isinstance(name, str) or name not in VERBS:
        raise NotACardAction(f"unknown card action {name!r}")
    return CardAction(verb=name, command=VERBS[name](data))
