"""The console adapter: a chat with the bot in the terminal, or a script on stdin.

A line may start with `@name:` to speak as that person. Meta-lines start with `!`:
`!as bob` changes the default speaker, `!time ISO` moves a fake clock forward,
`!in <channel>` sets the channel the next commands come from.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import TextIO

from bot.clock import parse_instant
from bot.conversation import Conversation, Outcome
from bot.grammar import ConsoleMentions
from bot.render import render_lines
from core import commands
from core.fakes import FixedClock
from core.ports import Clock, UnitOfWorkFactory
from core.reply import Notice
from core.service import PersonInfo

HANDLE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,39}$")
_SPEAKER = re.compile(r"^@([A-Za-z0-9][A-Za-z0-9._-]{0,39}):\s*(.*)$", re.DOTALL)


def console_person(handle: str) -> PersonInfo:
    """The console has no directory: a person is their handle."""
    return PersonInfo(handle=handle, name=handle)


def valid_handle(name: str) -> str:
    handle = name.strip().lstrip("@").lower()
    if not HANDLE.match(handle):
        raise ValueError(f"'{name}' is not a usable name: letters, digits, '.', '_' or '-', up to 40.")
    return handle


def render_notice(n: Notice) -> str:
    to = f"[#{n.channel}]" if n.channel else f"[to @{n.person}]"
    body = render_lines(n.lines).replace("\n", "\n" + " " * (len(to) + 1))
    return f"{to} {body}"


def render_outcome(outcome: Outcome) -> str:
    if outcome.refused:
        text = render_lines(outcome.reply.lines)
        if not outcome.usage:
            return text
        return (
            f"{text}\n{outcome.usage}" if outcome.usage.startswith("Commands:") else f"{text}\nUsage: {outcome.usage}"
        )
    if outcome.as_json:
        return json.dumps(outcome.reply.data, indent=2, ensure_ascii=False)
    parts = [render_lines(outcome.reply.lines)]
    parts += [render_notice(n) for n in outcome.reply.notices]
    return "\n".join(parts)


@dataclass
class Console:
    uow_factory: UnitOfWorkFactory
    clock: Clock
    speaker: str
    workspace: str = "console"
    out: TextIO | None = None
    echo: bool = False
    channel: str | None = None
    refusals: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self.conversation = Conversation(
            self.uow_factory, self.workspace, ConsoleMentions(), console_person, default_channel=team_channel
        )

    def say(self, text: str) -> None:
        if self.out is not None:
            print(text, file=self.out, flush=True)

    def command(self, text: str, speaker: str | None = None) -> Outcome:
        """Run one command as `speaker` (default: the current one) and print the result."""
        who = speaker or self.speaker
        channel = self.channel
        outcome = self.conversation.handle(text, who, self.clock.now(), channel)
        self.refusals += outcome.refused
        self.say(render_outcome(outcome))
        return outcome

    def feed(self, raw: str) -> None:
        text = raw.strip()
        if not text or text.startswith("#"):
            return
        if text.startswith("!"):
            if self.echo:
                self.say(text)
            self.meta(text[1:])
            return
        speaker = None
        m = _SPEAKER.match(text)
        if m:
            try:
                speaker = valid_handle(m.group(1))
            except ValueError as e:
                self.say(str(e))
                return
            text = m.group(2)
        if self.echo:
            self.say(f"@{speaker or self.speaker}> {text}")
        self.command(text, speaker)

    def meta(self, text: str) -> None:
        word, _, arg = text.strip().partition(" ")
        arg = arg.strip()
        if word == "as" and arg:
            try:
                self.speaker = valid_handle(arg)
            except ValueError as e:
                self.say(str(e))
                return
            self.say(f"(now speaking as @{self.speaker})")
        elif word == "in":
            self.channel = arg.lstrip("#") or None
            self.say(f"(now in #{self.channel})" if self.channel else "(no channel)")
        elif word == "time" and arg:
            self.move_time(arg)
        else:
            self.say("Console commands: !as NAME · !time ISO-DATETIME · !in CHANNEL")

    def move_time(self, arg: str) -> None:
        if not isinstance(self.clock, FixedClock):
            self.say("!time needs a fake clock: start the console with --clock fake --now ISO.")
            return
        try:
            when = parse_instant(arg)
        except ValueError:
            self.say(f"'{arg}' is not an ISO date-time such as 2026-11-23T09:30+01:00.")
            return
        if when < self.clock.now():
            self.say(f"The clock only moves forward (it is {self.clock.now().isoformat()}).")
            return
        self.clock.set(when)
        self.say(f"(time is now {when.isoformat()})")


def team_channel(cmd: commands.Command) -> str | None:
    """Outside any channel, a team created in the console gets a channel named after it."""
    return cmd.handle if isinstance(cmd, commands.TeamCreate) else None
