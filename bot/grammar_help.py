"""Usage lines, one-line summaries and examples of every command: what `help` shows.

Kept apart from the parser so wording can change without touching the grammar. Examples name
people as `{alice}` / `{bob}`; `help_text` writes them the way the adapter writes mentions, so
every example shown can be pasted back and parses (a test holds us to it).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Protocol

from core.dates import DATE_HELP


class MentionSyntax(Protocol):
    """How one adapter writes people in a command line."""

    def person(self, token: str) -> str | None:
        """The person handle a token names, or None when the token is not a mention."""
        ...

    def show(self, handle: str) -> str:
        """How to write that person in this adapter (for usage texts and examples)."""
        ...


@dataclass(frozen=True)
class Entry:
    name: str
    usage: str
    summary: str
    example: str


@dataclass(frozen=True)
class Section:
    title: str
    entries: tuple[Entry, ...]


SECTIONS: tuple[Section, ...] = (
    Section(
        "General",
        (
            Entry("help", "help [<command>]", "Usage of every command, or of one with an example.",
                  "help dep request"),
            Entry("me", "me [--json]",
                  "Your priorities, your dependencies (both sides), open blockers, pending check-ins.",
                  "me"),
            Entry("me tz", "me tz [<Area/City>]",
                  "Your time zone, or set it (Slack and Teams fill it in; what you set here stays).",
                  "me tz Europe/Berlin"),
            Entry("history", "history [--team <team>] [--since <date>] [--json]",
                  "What changed: status, confidence, dependencies, blockers.",
                  "history --team payments --since 2026-11-02"),
        ),
    ),
    Section(
        "Admins",
        (
            Entry("admin add", "admin add @p", "Make someone an admin.", "admin add {alice}"),
            Entry("admin remove", "admin remove @p", "Take admin rights away.", "admin remove {alice}"),
        ),
    ),
    Section(
        "Teams",
        (
            Entry("team create", 'team create <handle> "<name>" [--parent <team>]',
                  "Create a team (admin); this channel becomes its home.",
                  'team create payments "Payments" --parent commerce'),
            Entry("team add", "team add <team> @p... [--lead]", "Add members to a team, or leads with --lead.",
                  "team add payments {alice} {bob} --lead"),
            Entry("team remove", "team remove <team> @p", "Remove someone from a team.",
                  "team remove payments {bob}"),
            Entry("team show", "team show [<team>] [--json]", "A team with its leads, members, channel and children.",
                  "team show payments"),
            Entry("team list", "team list [--json]", "The whole team tree (archived teams left out).", "team list"),
            Entry("team rename", 'team rename <team> "<name>"', "Give a team another name (its handle stays).",
                  'team rename payments "Payments & Cards"'),
            Entry("team demote", "team demote <team> @p", "Make a lead a member again.", "team demote payments {bob}"),
            Entry("team move", "team move <team> --parent <team>|none",
                  "Put a team under another one, or at the top with --parent none (admin).",
                  "team move ledger --parent payments"),
            Entry("team archive", "team archive <team>",
                  "Archive a team that has nothing open: it leaves `team list` and the rhythm, its history stays "
                  "(admin).", "team archive data"),
            Entry("team unarchive", "team unarchive <team>", "Bring an archived team back (admin).",
                  "team unarchive data"),
        ),
    ),
    Section(
        "Priorities",
        (
            Entry("priority add",
                  'priority add "<title>" [--team <team>|org] [--owner @p] [--parent P-n] [--due <date>] '
                  '[--outcome "<text>"]',
                  "Add a priority to a team (or org-level with --team org), aligned to a parent with --parent.",
                  'priority add "Checkout v2" --team payments --owner {alice} --parent P-1 --due 2026-12-01 '
                  '--outcome "Conversion up 5%"'),
            Entry("priority update",
                  'priority update P-n [--status <status>] [--confidence 0-100] [--progress 0-100] '
                  '[--note "<text>"] [--owner @p] [--due <date>]',
                  "Report status, confidence or progress, or change the owner or due date.",
                  'priority update P-3 --status at-risk --confidence 60 --note "Vendor is late"'),
            Entry("priority align", "priority align P-n --to P-m", "Align a priority to a parent priority.",
                  "priority align P-3 --to P-1"),
            Entry("priority done", "priority done P-n", "Mark a priority done.", "priority done P-3"),
            Entry("priority drop", 'priority drop P-n "<why>"', "Drop a priority, saying why.",
                  'priority drop P-3 "Superseded by P-7"'),
            Entry("priority list", "priority list [--team <team>] [--all] [--json]",
                  "Open priorities of a team (closed ones too with --all).", "priority list --team payments"),
            Entry("priority show", "priority show P-n [--json]", "One priority with its history.",
                  "priority show P-3"),
        ),
    ),
    Section(
        "Dependencies",
        (
            Entry("dep request", 'dep request <team> "<what>" --by <date> [--for P-n] [--team <your team>]',
                  "Ask another team for something you need by a date.",
                  'dep request identity "SSO for checkout" --by fri --for P-3'),
            Entry("dep accept", "dep accept D-n [--owner @p] [--commit <date>]",
                  "Accept a request, naming an owner and the date you commit to.",
                  "dep accept D-4 --owner {bob} --commit +2w"),
            Entry("dep decline", 'dep decline D-n "<why>"', "Decline a request, saying why.",
                  'dep decline D-4 "No capacity this quarter"'),
            Entry("dep propose", 'dep propose D-n <date> ["<why>"]',
                  "Answer a request with another date; the requesting side agrees or rejects it.",
                  'dep propose D-4 +3w "Security review first"'),
            Entry("dep agree", "dep agree D-n", "Take the date the providing team proposed: accepted, committed to it.",
                  "dep agree D-4"),
            Entry("dep reject", 'dep reject D-n "<why>"', "Send a proposed date back, saying why: requested again.",
                  'dep reject D-4 "Launch is fixed for the 10th"'),
            Entry("dep commit", 'dep commit D-n <date> "<why>"',
                  "Re-plan an accepted dependency: move its committed date, saying why; the requesters are told.",
                  'dep commit D-4 +1w "Vendor slipped"'),
            Entry("dep owner", "dep owner D-n @p", "Name the owner of your side of a dependency.",
                  "dep owner D-4 {bob}"),
            Entry("dep block", 'dep block D-n "<why>"', "Mark a dependency blocked, saying why.",
                  'dep block D-4 "Waiting on security review"'),
            Entry("dep unblock", "dep unblock D-n", "It is moving again.", "dep unblock D-4"),
            Entry("dep done", "dep done D-n", "Delivered.", "dep done D-4"),
            Entry("dep cancel", "dep cancel D-n", "Withdraw your team's request.", "dep cancel D-4"),
            Entry("dep list", "dep list [--team <team>] [--incoming|--outgoing] [--json]",
                  "A team's dependencies: what it asked for, what it was asked for.",
                  "dep list --team payments --incoming"),
            Entry("dep show", "dep show D-n [--json]", "One dependency with both sides and dates.", "dep show D-4"),
        ),
    ),
    Section(
        "Blockers",
        (
            Entry("blocker add", 'blocker add "<text>" [--team <team>] [--on <team>|D-n|P-n]',
                  "Raise a blocker, optionally on a team, a dependency or a priority.",
                  'blocker add "Staging is down" --team payments --on D-4'),
            Entry("blocker resolve", "blocker resolve B-n", "Resolve a blocker.", "blocker resolve B-2"),
            Entry("blocker list", "blocker list [--team <team>] [--json]", "Open blockers of a team.",
                  "blocker list --team payments"),
        ),
    ),
    Section(
        "Rhythm",
        (
            Entry("standup", 'standup ["<answer 1>" "<answer 2>" "<answer 3>"] [--team <team>]',
                  "Without answers: your open stand-up's questions. With them (in quotes, in question order): "
                  "your answer; again before the run closes replaces it. A blocker answer other than none "
                  "raises a blocker.",
                  'standup "Shipped the card vault" "Token migration" "Waiting on legal review"'),
            Entry("checkin", 'checkin [P-n [--status <status>] [--confidence 0-100] [--progress 0-100] '
                  '[--note "<text>"]]',
                  "Without a priority: the priorities you own and how to answer. With one: your weekly "
                  "check-in for it (an update like `priority update`; no options means unchanged).",
                  'checkin P-3 --status at-risk --confidence 60 --progress 40 --note "Vendor is late"'),
            Entry("rhythm set standup",
                  "rhythm set standup [--team <team>] --days mon-fri --at 09:30 [--tz Area/City|member] "
                  '[--remind 60m] [--digest 11:00] [--questions "q1|q2|q3"]',
                  "When the team's stand-up runs (lead or admin): prompts at --at in the team's time zone (with "
                  "--tz member: in each member's own), a reminder --remind later to whoever has not answered, a "
                  "digest to the channel at --digest. Later, give only what changes.",
                  'rhythm set standup --team payments --days mon-fri --at 09:30 --tz Europe/Berlin --digest 11:00'),
            Entry("rhythm set weekly",
                  "rhythm set weekly [--team <team>] --day fri --at 14:00 [--tz Area/City|member] [--remind 2h] "
                  "[--digest 18:00]",
                  "When owners are asked to check in on their priorities each week (lead or admin). Later, give "
                  "only what changes.",
                  "rhythm set weekly --team payments --day fri --at 14:00"),
            Entry("rhythm set briefing",
                  "rhythm set briefing [--team <team>|org] --day mon --at 08:30 [--tz Area/City|member]",
                  "When the weekly leader briefing goes out (lead or admin; org: admin): by direct message to the "
                  "leads of a team with teams beneath it (org: the admins), at that time in --tz (default the "
                  "team's zone, org: the workspace's; member: each lead's own).",
                  "rhythm set briefing --team product --day mon --at 08:30"),
            Entry("rhythm show", "rhythm show [--team <team>] [--json]",
                  "A team's stand-up and weekly check-in, skipped dates and who is away.",
                  "rhythm show --team payments"),
            Entry("rhythm pause", "rhythm pause [--team <team>]",
                  "Stop the team's rhythm until resumed (lead or admin).", "rhythm pause --team payments"),
            Entry("rhythm resume", "rhythm resume [--team <team>]", "Start a paused rhythm again.",
                  "rhythm resume --team payments"),
            Entry("rhythm skip", "rhythm skip <date> [--team <team>]",
                  "No stand-up and no weekly check-in on that date (a holiday).",
                  "rhythm skip 2026-12-24 --team payments"),
            Entry("away", "away <from> <to>",
                  "You are out of office (both days included): no prompts, not counted as missing.",
                  "away 2026-12-21 2027-01-01"),
            Entry("back", "back",
                  "You are back early: prompts resume. When you are not away, it cancels your next planned time "
                  "away.", "back"),
        ),
    ),
    Section(
        "Risks",
        (
            Entry("risks", "risks [--team <team>|org] [--all] [--json]",
                  "Ranked risks, highest score first (high: 70 or more), with evidence ids, who should act and what "
                  "to do; the top 10 unless --all (--json lists every one). Acknowledged risks only with --all. "
                  "--team covers the team, the teams below it and their dependencies.",
                  "risks --team payments --all"),
            Entry("risks ack", 'risks ack <id or team> [--kind <kind>] --until <date> "<note>"',
                  "Acknowledge a risk (its owner, a lead of the team concerned, or an admin): it stays in "
                  "`risks --all` but leaves the top list, the escalation ladder and the leader briefings until the "
                  "date passes or its score rises by 15 or more. Without --kind: every risk it has now.",
                  'risks ack D-7 --until 2026-12-15 "Vendor signs on the 14th; we re-plan if not"'),
            Entry("risks unack", "risks unack <id or team> [--kind <kind>]",
                  "End an acknowledgement: the risk is back in the top list, the ladder and the briefings.",
                  "risks unack D-7"),
            Entry("risks acks", "risks acks [--json]",
                  "Every acknowledgement: who, until when, why, and whether it still holds.", "risks acks"),
            Entry("risks thresholds", "risks thresholds [<name>=<number> ...]",
                  "Show the risk thresholds, or change them (admin).",
                  "risks thresholds stale_blocker_days=7 escalation_days=3"),
        ),
    ),
    Section(
        "Leaders",
        (
            Entry("briefing", "briefing [--team <team>|org] [--json]",
                  "The leader briefing now: what changed beneath the team (or the organisation) in the last 7 days, "
                  "the risks that need attention, and acknowledgements due for review, by org priority.",
                  "briefing --team product"),
            Entry("summary", "summary [--team <team>|org]",
                  "A leader's summary: by org priority, what is at risk, why and who acts, then the cross-team "
                  "blockers. Written by a language model when one is configured, each statement citing its ids.",
                  "summary --team compiler"),
            Entry("map", "map [--team <team>|org]",
                  "A picture (PNG) of the teams and their dependencies, risky ones in red and amber; with --team, "
                  "that team's neighbourhood.",
                  "map --team payments"),
        ),
    ),
)  # fmt: skip

ENTRIES: dict[str, Entry] = {e.name: e for s in SECTIONS for e in s.entries}
GROUPS: dict[str, tuple[str, ...]] = {}
for _entry in ENTRIES.values():
    if " " in _entry.name:
        _group, _sub = _entry.name.split(" ", 1)
        GROUPS[_group] = (*GROUPS.get(_group, ()), _sub)
TOP_LEVEL: tuple[str, ...] = tuple(dict.fromkeys(name.split(" ", 1)[0] for name in ENTRIES))
"""The first words the parser knows: help, me, history, admin, team, priority, dep, blocker."""


EXAMPLE_PEOPLE = {"{alice}": "alice", "{bob}": "bob"}

FOOTER = (
    'Quote multi-word values with "double quotes". '
    f"Dates: {DATE_HELP}. Ids: P-n (priority), D-n (dependency), B-n (blocker). "
    "Status: on-track, at-risk, off-track, done, dropped."
)


def clip(text: str, limit: int = 40) -> str:
    """User text fit to echo in a one-line message: quoted, short, one line, pinging no one."""
    flat = " ".join(text[: limit * 4].split())
    flat = "".join(c for c in flat if c.isprintable()).replace("<", "‹").replace(">", "›")
    if len(flat) > limit or len(text) > limit * 4:
        flat = flat[: limit - 1] + "…"
    return f"'{flat}'"


def usage(command_name: str) -> str:
    """Usage of one command ("dep request") or of every command of a group ("dep")."""
    name = " ".join(command_name.lower().split())
    if name in ENTRIES:
        return ENTRIES[name].usage
    if name in GROUPS:
        return "\n".join(ENTRIES[f"{name} {sub}"].usage for sub in GROUPS[name])
    raise KeyError(f"no command named {command_name!r}")


def example(name: str, mentions: MentionSyntax) -> str:
    """The example of a command, people written the adapter's way."""
    text = ENTRIES[name].example
    for placeholder, handle in EXAMPLE_PEOPLE.items():
        text = text.replace(placeholder, mentions.show(handle))
    return text


def _detail(entry: Entry, mentions: MentionSyntax) -> str:
    return f"{entry.usage}\n    {entry.summary}\n    e.g. {example(entry.name, mentions)}"


def topics() -> tuple[str, ...]:
    return TOP_LEVEL


def _topic(topic: str | None) -> str:
    words = (topic or "").lower().split()
    words = [w for w in words if w not in ("--help", "-h", "help")] or (["help"] if words else [])
    return " ".join(words)


def known_topic(topic: str | None) -> bool:
    """Whether `help <topic>` has something to show (`help nonsense` is refused)."""
    name = _topic(topic)
    return not name or name in ENTRIES or name in GROUPS or any(e.startswith(name + " ") for e in ENTRIES)


def help_text(topic: str | None, mentions: MentionSyntax) -> str:
    """Every command grouped by section, or one command / group with an example each."""
    name = _topic(topic)
    if not name:
        lines = ["Flotilla commands (`help <command>` for details and an example):"]
        for section in SECTIONS:
            lines.append(f"{section.title}:")
            lines.extend(f"  {e.usage}" for e in section.entries)
        lines.append(FOOTER)
        return "\n".join(lines)
    if name in ENTRIES and name in GROUPS:  # `risks` is a command and a group (`risks thresholds`)
        return "\n".join(_detail(ENTRIES[n], mentions) for n in (name, *(f"{name} {sub}" for sub in GROUPS[name])))
    if name in ENTRIES:
        return _detail(ENTRIES[name], mentions)
    if name in GROUPS:
        return "\n".join(_detail(ENTRIES[f"{name} {sub}"], mentions) for sub in GROUPS[name])
    deeper = [e for e in ENTRIES.values() if e.name.startswith(name + " ")]  # `help rhythm set`
    if deeper:
        return "\n".join(_detail(e, mentions) for e in deeper)
    close = difflib.get_close_matches(name[:40], [*ENTRIES, *GROUPS], n=1)
    hint = f" Did you mean `help {close[0]}`?" if close else ""
    return f"No help for {clip(name)}.{hint} Topics: {', '.join(TOP_LEVEL)}."
