"""A card's button or form (`{"flotilla": <act>, "subject": ..., <inputs>}`) as core commands.

Pure translation through core.offers (`command_for`, `form_commands`): whether the person may
accept D-3, or whether a reason is good enough, is the core's business, exactly as if they had
typed the command. Cards posted before offers existed (`"dep": "D-3"`, `standup.submit`,
`checkin.submit`) still work.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core import commands
from core.errors import InvalidInput
from core.offers import Act, command_for, form_commands

FORM_SUBMIT = "form.submit"
"""The verb of a form card's one submit button (data: `form`: the act that opened it, `subject`)."""
_LEGACY_FORMS = {"standup.submit": Act.STANDUP_OPEN, "checkin.submit": Act.CHECKIN_OPEN}


class NotACardAction(ValueError):
    """The data does not come from one of Flotilla's cards, or lacks what the verb needs."""


@dataclass(frozen=True)
class CardAction:
    verb: str
    commands: tuple[commands.Command, ...]
    opens_form: bool = False
    """A button that opens a form (the prompt's Open stand-up): answered with the form card."""


def _values(data: Mapping[str, Any]) -> dict[str, str | None]:
    return {str(k): (None if v is None else str(v)) for k, v in data.items() if isinstance(v, str | int | float)}


def card_action(data: Any, verb: str | None = None) -> CardAction:
    """`data` is an Action.Submit message's `value` or an Action.Execute invoke's `action.data`;
    a form's inputs arrive in it by their ids. Refused (InvalidInput) when what was filled in is not
    what the form takes, as the typed command would be."""
    if not isinstance(data, Mapping):
        raise NotACardAction("card data must be an object")
    name = verb or data.get("flotilla")
    if not isinstance(name, str):
        raise NotACardAction(f"unknown card action {name!r}")
    values = _values(data)
    if name == FORM_SUBMIT or name in _LEGACY_FORMS:
        form = _LEGACY_FORMS.get(name) or data.get("form")
        subject = str(data.get("subject") or data.get("team") or "")
        if name == "checkin.submit":  # an old card: one button per priority, its inputs alone
            pid = str(data.get("priority") or "")
            values = {k: v for k, v in values.items() if k.endswith(f":{pid}")}
        try:
            return CardAction(name, tuple(form_commands(str(form), subject, values)))
        except ValueError as e:
            if isinstance(e, InvalidInput):
                raise
            raise NotACardAction(f"unknown form {form!r}") from None
    try:
        act = Act(name)
    except ValueError:
        raise NotACardAction(f"unknown card action {name!r}") from None
    subject = str(data.get("subject") or data.get("dep") or data.get("blocker") or "")
    try:
        command = command_for(act, subject, values)
    except InvalidInput as e:
        raise NotACardAction(e.message) from None
    return CardAction(name, (command,), opens_form=act in (Act.STANDUP_OPEN, Act.CHECKIN_OPEN))
