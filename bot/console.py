"""The console adapter: a chat with the bot in the terminal, or a script on stdin.

A line may start with `@name:` to speak as that person. Meta-lines start with `!`:
`!as bob` changes the default speaker, `!time ISO` moves a fake clock forward and runs every
rhythm step that falls due on the way, `!in <channel>` sets the channel the next commands come
from. Messages to others (notices, prompts, digests) go through the outbox and print as
`[to @alice] ...` or `[#payments] ...`.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TextIO

from bot.clock import parse_instant
from bot.conversation import Conversation, Outcome
from bot.grammar import ConsoleMentions
from bot.render import render_lines
from core import commands
from core.context import PersonInfo, Services
from core.errors import Refused
from core.fakes import FixedClock
from core.offers import FieldKind, Form, Offer, form_commands
from core.outbox import drain
from core.ports import Clock, OutboxMessage, UnitOfWorkFactory
from core.reply import Notice, line, reply
from core.scheduling import tick
from core.service import PLATFORM

log = logging.getLogger(__name__)

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


def offers_line(offers: Sequence[Offer]) -> str:
    """What a notice offers, as the commands a person types: `Accept: `dep accept D-1` · decline: ...`."""
    said = [f"{o.label.rstrip('…')}: `{o.typed}`" for o in offers]
    return " · ".join(s if i == 0 else s[0].lower() + s[1:] for i, s in enumerate(said))


def render_notice(n: Notice) -> str:
    to = f"[#{n.channel}]" if n.channel else f"[to @{n.person}]"
    if n.thread:
        to = to[:-1] + ", in the digest's thread]"
    text = render_lines(n.lines) + (f"\n{offers_line(n.offers)}" if n.offers else "")
    body = text.replace("\n", "\n" + " " * (len(to) + 1))
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
    return render_lines(outcome.reply.lines)  # its notices follow, delivered through the outbox


class ConsoleDelivery:
    """core.ports.ChatDelivery for the terminal: prints `[to @alice] ...` or `[#payments] ...`,
    once per idempotency key."""

    def __init__(self, say: Callable[[str], None]) -> None:
        self.say = say
        self.seen: set[str] = set()

    def deliver(self, message: OutboxMessage) -> None:
        if message.key in self.seen:
            return
        self.seen.add(message.key)
        self.say(render_notice(message.notice))


@dataclass
class Console:
    uow_factory: UnitOfWorkFactory
    clock: Clock
    speaker: str
    workspace: str = "console"
    out: TextIO | None = None
    echo: bool = False
    channel: str | None = None
    services: Services = field(default_factory=Services)
    files: Path | None = None
    """Where pictures (`map`) are written; None: the current directory."""
    refusals: int = field(default=0, init=False)
    errors: int = field(default=0, init=False)
    _told_platform: bool = field(default=False, init=False, repr=False)
    ticked_until: datetime | None = field(default=None, init=False)
    """Rhythm steps up to this instant have run (the console ticks from its start time)."""
    ask: Callable[[str], str] | None = None
    """Asks a person a question and returns the answer (`input`, at a terminal): then `standup` and
    `checkin` ask their form's questions one by one. None (a script on stdin) shows the form as text."""

    def __post_init__(self) -> None:
        self.delivery = ConsoleDelivery(self.say)
        self.ticked_until = self.clock.now()
        self.conversation = Conversation(
            self.uow_factory, self.workspace, ConsoleMentions(), console_person, default_channel=team_channel,
            services=self.services,
        )  # fmt: skip

    def say(self, text: str) -> None:
        if self.out is not None:
            print(text, file=self.out, flush=True)

    def command(self, text: str, speaker: str | None = None) -> Outcome:
        """Run one command as `speaker` (default: the current one) and print the result."""
        who = speaker or self.speaker
        channel = self.channel
        if not isinstance(self.clock, FixedClock):
            self.catch_up()
        outcome = self.conversation.handle(text, who, self.clock.now(), channel)
        self.refusals += outcome.refused
        if outcome.reply.form is not None and self.ask is not None and not outcome.refused:
            return self.fill(outcome.reply.form, who, channel)
        self.say(render_outcome(outcome))
        graph = outcome.reply.graph
        if graph is not None and not outcome.refused and not outcome.as_json:
            from bot.map_render import write_png  # matplotlib loads only when a map is drawn

            self.say(f"Picture written to {write_png(graph, self.files or Path.cwd())}")
        self.deliver()
        return outcome

    def fill(self, form: Form, who: str, channel: str | None) -> Outcome:
        """A form asked question by question at the terminal (Enter keeps what is shown in [brackets]),
        then sent as the commands it stands for; a refusal is said and that part asked again."""
        assert self.ask is not None
        self.say(form.title + (f"\n{form.intro}" if form.intro else ""))
        values: dict[str, str | None] = {}
        for section in form.sections:
            if section.heading:
                self.say(section.heading)
            for f in section.fields:
                values[f.id] = self._ask_field(f.label, f.kind, f.choices, f.initial, f.required)
        if form.left_out:
            self.say(form.left_out)
        outcome: Outcome | None = None
        try:
            wanted = form_commands(form.act, form.subject, values)
        except Refused as e:
            self.say(e.message)
            self.refusals += 1
            return Outcome(reply=reply(line(e.message)), refused=True)
        for cmd in wanted:
            outcome = self.conversation.run(cmd, who, self.clock.now(), channel)
            self.refusals += outcome.refused
            self.say(render_outcome(outcome))
        self.deliver()
        return outcome or Outcome(reply=reply())

    def _ask_field(self, label: str, kind: FieldKind, choices: tuple[str, ...], initial: str | None,
                   required: bool) -> str | None:  # fmt: skip
        assert self.ask is not None
        shown = label + (f" ({'/'.join(choices)})" if choices else "") + (f" [{initial}]" if initial else "")
        if kind is FieldKind.DATE:
            shown = label + " (a date: YYYY-MM-DD, fri, +2w)" + (f" [{initial}]" if initial else "")
        while True:
            said = self.ask(f"{shown}: ").strip()
            if not said and initial:
                return initial
            if said or not required:
                return said or None
            self.say('This one needs an answer ("none" is fine).')

    def deliver(self) -> None:
        """Print what the outbox holds for this workspace (command notices, rhythm messages) — unless
        the workspace belongs to Slack or Teams: their senders deliver it, and the console must not
        mark their messages sent."""
        with self.uow_factory(self.workspace) as uow:
            platform = uow.settings.get(PLATFORM)
        if platform not in (None, "console"):
            if not self._told_platform:
                self.say(f"(This workspace belongs to {platform}: its messages are delivered there, not here.)")
                self._told_platform = True
            return
        drain(self.uow_factory, self.workspace, self.delivery, self.clock.now())

    def catch_up(self) -> None:
        """Run every rhythm step due since the last catch-up (prompts, reminders, digests), then deliver."""
        now = self.clock.now()
        if self.ticked_until is not None and now > self.ticked_until:
            tick(self.uow_factory, self.workspace, self.ticked_until, now, summarizer=self.services.summarizer)
        self.ticked_until = now
        self.deliver()

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
        try:
            self.command(text, speaker)
        except Exception:  # the console's one error handler: report, keep the session going
            log.exception("internal error on %r", text[:80])
            self.errors += 1
            self.say("Something went wrong on our side; nothing was saved. The error is in the log.")

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
        self.catch_up()


def team_channel(cmd: commands.Command) -> str | None:
    """Outside any channel, a team created in the console gets a channel named after it."""
    return cmd.handle if isinstance(cmd, commands.TeamCreate) else None
