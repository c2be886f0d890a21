"""What every adapter does with a line of text: parse, run in the core, and say what happened."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import datetime

from bot.grammar import MentionSyntax, ParseError, help_text, parse, usage
from bot.grammar_help import known_topic
from core import commands
from core.context import Context, PersonInfo, Services
from core.errors import Refused
from core.ports import UnitOfWorkFactory
from core.reply import Reply, line, reply
from core.service import execute

Directory = Callable[[str], PersonInfo]
"""Looks a person up by handle (console: the name; Slack: users.info; Teams: the roster)."""


@dataclass(frozen=True)
class Outcome:
    reply: Reply
    refused: bool = False
    as_json: bool = False
    usage: str | None = None
    field: str | None = None
    """The input a refusal is about, when the core said (a form shows it there)."""


def command_name(cmd: commands.Command) -> str:
    """`DepRequest` -> `dep request`: the name `help` and usage know it by."""
    return " ".join(w.lower() for w in re.findall(r"[A-Z][a-z]*", type(cmd).__name__))


def mentioned(cmd: commands.Command) -> list[str]:
    handles: list[str] = []
    for f in fields(cmd):
        value = getattr(cmd, f.name)
        if f.name in ("person", "owner") and isinstance(value, str):
            handles.append(value)
        elif f.name == "people":
            handles.extend(value)
    return handles


def refusal(message: str, usage_text: str | None, field: str | None = None) -> Outcome:
    return Outcome(reply=reply(line(message)), refused=True, usage=usage_text, field=field)


@dataclass
class Conversation:
    """One adapter's entry into the core for one workspace."""

    uow_factory: UnitOfWorkFactory
    workspace: str
    mentions: MentionSyntax
    directory: Directory
    default_channel: Callable[[commands.Command], str | None] | None = None
    """Where a command with no channel of its own happens (the console names one per team)."""
    services: Services = field(default_factory=Services)
    """Optional helpers for the core (the LLM summarizer), from the composition root."""
    platform: str = "console"
    """Slack and Teams set theirs: the workspace then belongs to that platform's outbox sender."""

    def handle(self, text: str, actor: str, now: datetime, channel: str | None = None) -> Outcome:
        try:
            parsed = parse(text, self.mentions)
        except ParseError as e:
            return refusal(e.message, e.usage)
        if parsed.is_help or parsed.command is None:
            said = help_text(parsed.help_topic, self.mentions)
            if not known_topic(parsed.help_topic):
                return refusal(said, None)
            return Outcome(reply=reply(*(line(t) for t in said.splitlines())))
        return self.run(parsed.command, actor, now, channel, as_json=parsed.json)

    def run(
        self, cmd: commands.Command, actor: str, now: datetime, channel: str | None = None, *, as_json: bool = False
    ) -> Outcome:
        """Run a command that came already structured (a card's button or form) rather than typed."""
        ctx = Context(
            actor=self.directory(actor),
            now=now,
            channel=channel or (self.default_channel(cmd) if self.default_channel else None),
            people=tuple(self.directory(h) for h in dict.fromkeys(mentioned(cmd)) if h != actor),
            platform=None if self.platform == "console" else self.platform,
        )
        try:
            result = execute(self.uow_factory, self.workspace, ctx, cmd, self.services)
        except Refused as e:
            return refusal(e.message, usage(command_name(cmd)), e.field)
        return Outcome(reply=result, as_json=as_json)
