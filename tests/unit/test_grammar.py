"""The shared command grammar: every command, every kind of refusal, help that parses."""

from __future__ import annotations

from datetime import time

import pytest

from bot.grammar import (
    ConsoleMentions,
    MentionSyntax,
    Parsed,
    ParseError,
    SlackMentions,
    TeamsMentions,
    help_text,
    parse,
    usage,
)
from bot.grammar_help import ENTRIES, example
from core.commands import (
    READ_COMMANDS,
    AdminAdd,
    AdminRemove,
    Away,
    BlockerAdd,
    BlockerList,
    BlockerResolve,
    Command,
    DepAccept,
    DepBlock,
    DepCancel,
    DepDecline,
    DepDone,
    DepList,
    DepRequest,
    DepShow,
    DepUnblock,
    History,
    Me,
    MeTz,
    PriorityAdd,
    PriorityAlign,
    PriorityDone,
    PriorityDrop,
    PriorityList,
    PriorityShow,
    PriorityUpdate,
    RhythmSetStandup,
    RhythmSetWeekly,
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
from core.dates import DateSpec
from core.errors import InvalidInput
from core.model import Status

CONSOLE = ConsoleMentions()
ADAPTERS: list[MentionSyntax] = [ConsoleMentions(), SlackMentions(), TeamsMentions()]


def d(text: str) -> DateSpec:
    return DateSpec(text)


COMMANDS: list[tuple[str, Command]] = [
    ("me", Me()),
    ("admin add @alice", AdminAdd("alice")),
    ("admin remove @Alice", AdminRemove("alice")),
    ('team create payments "Payments Team"', TeamCreate("payments", "Payments Team")),
    ('team create Payments "Payments" --parent Commerce', TeamCreate("payments", "Payments", "commerce")),
    ("team create payments Payments Team", TeamCreate("payments", "Payments Team")),
    ("team add payments @alice @bob --lead", TeamAdd("payments", ("alice", "bob"), lead=True)),
    ("team add payments @alice @alice", TeamAdd("payments", ("alice",))),
    ("team remove payments @bob", TeamRemove("payments", "bob")),
    ("team show", TeamShow()),
    ("team show payments", TeamShow("payments")),
    ("team list", TeamList()),
    ('priority add "Checkout v2"', PriorityAdd("Checkout v2")),
    (
        'priority add "Checkout v2" --team payments --owner @alice --parent P-1 --due 2026-12-01 '
        '--outcome "Conversion up"',
        PriorityAdd("Checkout v2", "payments", "alice", 1, d("2026-12-01"), "Conversion up"),
    ),
    ('priority add "Grow" --team org', PriorityAdd("Grow", team=None, org=True)),
    ('priority add "Grow" --team ORG', PriorityAdd("Grow", team=None, org=True)),
    ("priority add Fix the login --team payments", PriorityAdd("Fix the login", team="payments")),
    ("priority update P-3 --status at-risk", PriorityUpdate(3, status=Status.AT_RISK)),
    ("priority update p-3 --status ON_TRACK", PriorityUpdate(3, status=Status.ON_TRACK)),
    ("priority update P-3 --status offtrack", PriorityUpdate(3, status=Status.OFF_TRACK)),
    ("priority update P-3 --status Done", PriorityUpdate(3, status=Status.DONE)),
    (
        'priority update P-3 --confidence 60 --progress=40 --note "Vendor late" --owner @bob --due +2w',
        PriorityUpdate(3, confidence=60, progress=40, note="Vendor late", owner="bob", due=d("+2w")),
    ),
    ("priority update P-3 --confidence 0", PriorityUpdate(3, confidence=0)),
    ("priority update P-3 --progress 100%", PriorityUpdate(3, progress=100)),
    ("priority align P-3 --to P-1", PriorityAlign(3, 1)),
    ("priority done P-3", PriorityDone(3)),
    ('priority drop P-3 "Superseded"', PriorityDrop(3, "Superseded")),
    ("priority drop P-3 no longer needed", PriorityDrop(3, "no longer needed")),
    ("priority list", PriorityList()),
    ("priority list --team payments --all", PriorityList("payments", all=True)),
    ("priority show P-12", PriorityShow(12)),
    ('dep request identity "SSO" --by fri', DepRequest("identity", "SSO", d("fri"))),
    (
        'dep request identity "SSO for checkout" --by 2026-12-01 --for P-3 --team payments',
        DepRequest("identity", "SSO for checkout", d("2026-12-01"), 3, "payments"),
    ),
    ("dep request identity API keys --by tomorrow", DepRequest("identity", "API keys", d("tomorrow"))),
    ("dep accept D-4", DepAccept(4)),
    ("dep accept D-4 --owner @bob --commit +2w", DepAccept(4, "bob", d("+2w"))),
    ('dep decline D-4 "No capacity"', DepDecline(4, "No capacity")),
    ('dep block D-4 "Security review"', DepBlock(4, "Security review")),
    ("dep unblock D-4", DepUnblock(4)),
    ("dep done d-4", DepDone(4)),
    ("dep cancel D-4", DepCancel(4)),
    ("dep list", DepList()),
    ("dep list --team payments --incoming", DepList("payments", "incoming")),
    ("dep list --outgoing", DepList(direction="outgoing")),
    ("dep show D-4", DepShow(4)),
    ('blocker add "Staging is down"', BlockerAdd("Staging is down")),
    ('blocker add "Staging is down" --team payments --on d-4', BlockerAdd("Staging is down", "payments", "D-4")),
    ('blocker add "x" --on p-2', BlockerAdd("x", on="P-2")),
    ('blocker add "x" --on Identity', BlockerAdd("x", on="identity")),
    ("blocker resolve B-2", BlockerResolve(2)),
    ("blocker list", BlockerList()),
    ("blocker list --team payments", BlockerList("payments")),
    ("history", History()),
    ("history --team payments --since 2026-11-02", History("payments", d("2026-11-02"))),
    ('team rename payments "Payments & Cards"', TeamRename("payments", "Payments & Cards")),
    ("team demote payments @bob", TeamDemote("payments", "bob")),
    ("team move ledger --parent payments", TeamMove("ledger", "payments")),
    ("team move ledger --parent none", TeamMove("ledger", None)),
    ("team archive data", TeamArchive("data")),
    ("team unarchive data", TeamUnarchive("data")),
    ("me tz", MeTz()),
    ("me tz europe/berlin", MeTz("Europe/Berlin")),
    ("rhythm set standup --at 10:00", RhythmSetStandup(at=time(10, 0))),
    ("rhythm set standup --tz member", RhythmSetStandup(tz="member")),
    ("rhythm set standup --tz MEMBER --remind 30m", RhythmSetStandup(tz="member", remind=30)),
    ("rhythm set weekly --digest 18:00", RhythmSetWeekly(digest=time(18, 0))),
    # dates: `next fri`, a month and day either way round, quotes optional
    ('dep request identity "SSO" --by next fri', DepRequest("identity", "SSO", d("next fri"))),
    ('dep request identity "SSO" --by "next Friday"', DepRequest("identity", "SSO", d("next friday"))),
    ('dep request identity "SSO" --by dec 5 --for P-3', DepRequest("identity", "SSO", d("dec 5"), 3)),
    ('dep request identity "SSO" --by 5 December', DepRequest("identity", "SSO", d("5 december"))),
    ('dep request identity "SSO" --by "Dec 5th"', DepRequest("identity", "SSO", d("dec 5th"))),
    ("away dec 21 jan 3", Away(d("dec 21"), d("jan 3"))),
    ('away 21 dec "3 jan"', Away(d("21 dec"), d("3 jan"))),
    ("away dec 21 +2w", Away(d("dec 21"), d("+2w"))),
]


@pytest.mark.parametrize(("text", "command"), COMMANDS, ids=[t for t, _ in COMMANDS])
def test_every_command_parses_to_its_dataclass(text: str, command: Command) -> None:
    assert parse(text, CONSOLE) == Parsed(command)


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("  PRIORITY   Show   p-3  ", PriorityShow(3)),
        ("Dep Request Identity “SSO keys” --BY Fri", DepRequest("identity", "SSO keys", d("fri"))),
        ("dep request identity ”SSO keys” --by fri", DepRequest("identity", "SSO keys", d("fri"))),
        ('priority add "The “big” launch"', PriorityAdd("The “big” launch")),
        ('priority add "don\'t panic"', PriorityAdd("don't panic")),
        ("blocker add don't panic", BlockerAdd("don't panic")),
        ('priority add "a  b\tc"', PriorityAdd("a  b\tc")),
        ('priority add "--team" --team payments', PriorityAdd("--team", team="payments")),
        ('priority update P-3 --note="two words"', PriorityUpdate(3, note="two words")),
        ("dep accept D-2 —owner @bob —commit +2w", DepAccept(2, "bob", d("+2w"))),
        ("priority add x\n--team\npayments", PriorityAdd("x", team="payments")),
        ("priority update P-3 --status 'at-risk'".replace("'", '"'), PriorityUpdate(3, status=Status.AT_RISK)),
        ('priority update P-3 --status "on track"', PriorityUpdate(3, status=Status.ON_TRACK)),
    ],
)
def test_spelling_spacing_and_quotes(text: str, command: Command) -> None:
    assert parse(text, CONSOLE).command == command


@pytest.mark.parametrize(
    ("text", "json"),
    [
        ("me --json", True),
        ("team show payments --json", True),
        ("team list --JSON", True),
        ("priority list --json", True),
        ("priority show P-1 --json", True),
        ("dep list --json", True),
        ("dep show D-1 --json", True),
        ("blocker list --json", True),
        ("history --json", True),
        ("history", False),
    ],
)
def test_json_on_reads(text: str, json: bool) -> None:
    assert parse(text, CONSOLE).json is json


@pytest.mark.parametrize(("text", "command"), COMMANDS, ids=[t for t, _ in COMMANDS])
def test_json_is_taken_by_exactly_the_core_read_commands(text: str, command: Command) -> None:
    assert _takes_json(text) is isinstance(command, READ_COMMANDS)


def _takes_json(text: str) -> bool:
    try:
        parse(text + " --json", CONSOLE)
    except ParseError:
        return False
    return True


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("", None),
        ("   ", None),
        ("help", None),
        ("HELP", None),
        ("?", None),
        ("--help", None),
        ("help dep", "dep"),
        ("help Dep  Request", "dep request"),
        ("dep --help", "dep"),
        ("dep help", "dep"),
        ("dep request --help", "dep request"),
        ('priority add "x" -h', "priority add"),
    ],
)
def test_help_requests(text: str, topic: str | None) -> None:
    assert parse(text, CONSOLE) == Parsed(None, help_topic=topic, is_help=True)


# Refusals: (input, words the one-line message must contain, the command whose usage comes with it)
ERRORS: list[tuple[str, list[str], str | None]] = [
    # tokenising
    ('priority add "Fix login', ["unterminated quote"], "priority add"),
    ("priority add “Fix login", ["unterminated quote"], "priority add"),
    ('foo "bar', ["unterminated quote"], None),
    ('priority add ""', ["title", "empty"], "priority add"),
    ('priority add "   "', ["title", "empty"], "priority add"),
    ('priority update P-1 --note ""', ["--note", "empty"], "priority update"),
    ('dep decline D-1 ""', ["reason", "empty"], "dep decline"),
    # ids
    ("dep show P-3", ["D-", "P-3"], "dep show"),
    ("priority show D-3", ["P-", "D-3"], "priority show"),
    ("blocker resolve P-3", ["B-"], "blocker resolve"),
    ("priority show 12", ["priority id", "P-3", "12"], "priority show"),
    ("priority show P12", ["priority id", "P12"], "priority show"),
    ("priority show P-0", ["start at 1"], "priority show"),
    ("priority show P-x", ["priority id"], "priority show"),
    ("priority update P-x --status done", ["priority id"], "priority update"),
    ("priority add x --parent D-1", ["--parent", "P-"], "priority add"),
    ("priority align P-1 --to D-2", ["--to", "P-"], "priority align"),
    ("dep request a x --by fri --for B-1", ["--for", "P-"], "dep request"),
    ('blocker add "x" --on B-1', ["--on", "team, D-n or P-n"], "blocker add"),
    # teams
    ('team create "pay ments" "Payments"', ["not a team handle"], "team create"),
    ('team create pay_ments "Payments"', ["not a team handle"], "team create"),
    ('team create -payments "Payments"', ["not a team handle"], "team create"),
    ('team create org "Org"', ["reserved"], "team create"),
    ('team create d-1 "D"', ["reserved"], "team create"),
    ("team create " + "a" * 41 + ' "x"', ["not a team handle"], "team create"),
    ("priority list --team @alice", ["team handle", "person"], "priority list"),
    ("team show Pay$", ["not a team handle"], "team show"),
    # people
    ("team add payments bob", ["expected a person (@name)", "'bob'"], "team add"),
    ("team add payments @alice bob", ["expected a person", "'bob'"], "team add"),
    ("admin add alice", ["expected a person", "'alice'"], "admin add"),
    ("priority add x --owner alice", ["--owner", "expected a person"], "priority add"),
    # options
    ("priority list --teem x", ["no option", "--teem", "--team"], "priority list"),
    ("priority list --colour red", ["no option", "--colour"], "priority list"),
    ("priority list --team", ["--team", "needs a value"], "priority list"),
    ("priority list --team --all", ["--team", "needs a value"], "priority list"),
    ("priority list --team a --team b", ["--team", "twice"], "priority list"),
    ("priority list --all --all", ["--all", "twice"], "priority list"),
    ("priority list --all=yes", ["--all", "no value"], "priority list"),
    ("dep list --incoming --outgoing", ["--incoming", "--outgoing", "together"], "dep list"),
    ('priority add "x" --json', ["--json", "reads"], "priority add"),
    ("dep request a x --by fri --json", ["--json"], "dep request"),
    ("admin add @a --json", ["--json"], "admin add"),
    ("priority update P-1", ["nothing to update", "--status", "--confidence"], "priority update"),
    ("priority update P-1 --confidence 140", ["confidence must be between 0 and 100 (got 140)"], "priority update"),
    ("priority update P-1 --progress -5", ["progress must be between 0 and 100 (got -5)"], "priority update"),
    ("priority update P-1 --confidence high", ["confidence", "whole number", "'high'"], "priority update"),
    ("priority update P-1 --confidence 99999999999999", ["confidence"], "priority update"),
    ("priority update P-1 --status fine", ["status must be one of", "on-track", "'fine'"], "priority update"),
    ("priority update P-1 --due someday", ["--due", "not a date", "'someday'"], "priority update"),
    ("priority update P-1 --due 2026-02-30", ["--due", "not a real date"], "priority update"),
    ("history --since yesterday-ish", ["--since", "not a date"], "history"),
    ("priority update P-1 --due 12/05", ["--due", "read two ways", "dec 5"], "priority update"),
    ("priority update P-1 --due 05.12.2026", ["--due", "read two ways"], "priority update"),
    ("priority update P-1 --due +1000w", ["--due", "more than 5 years away"], "priority update"),
    ("priority update P-1 --due +99999d", ["--due", "more than 5 years away"], "priority update"),
    ("priority update P-1 --due feb 30", ["--due", "not a real date"], "priority update"),
    ("priority update P-1 --due 3026-01-01", ["--due", "outside the dates I keep"], "priority update"),
    ("priority update P-1 --due next week", ["'next'", "not a date", "next fri"], "priority update"),
    ("team move ledger", ["--parent", "none"], "team move"),
    ("team move ledger --parent @bob", ["team handle", "person"], "team move"),
    ("team demote payments bob", ["expected a person"], "team demote"),
    ('team rename payments ""', ["name is empty"], "team rename"),
    ('team create none "None"', ["reserved"], "team create"),
    ("me tz Mars/Base", ["not a time zone I know"], "me tz"),
    ("rhythm set standup", ["nothing to set", "--days"], "rhythm set standup"),
    ("rhythm set standup --tz members", ["not a time zone"], "rhythm set standup"),
    ("priority align P-1", ["--to"], "priority align"),
    ('dep request identity "SSO"', ["--by"], "dep request"),
    # positionals
    ("priority add", ["needs a title"], "priority add"),
    ("priority add --team payments", ["needs a title"], "priority add"),
    ("priority done", ["needs a priority id"], "priority done"),
    ("priority done P-1 P-2", ["unexpected", "'P-2'"], "priority done"),
    ('priority add "x" extra', ["unexpected", "'extra'"], "priority add"),
    ('priority add "x" --outcome users can log in', ["unexpected", "'can'", "--outcome", "quote"], "priority add"),
    ("team remove payments @a @b", ["unexpected"], "team remove"),
    ("team add payments", ["at least one person"], "team add"),
    ("admin add", ["needs a person"], "admin add"),
    ("me now", ["unexpected", "'now'"], "me"),
    ("team list all", ["unexpected"], "team list"),
    ("team create payments --parent x", ["needs a name"], "team create"),
    ("dep request", ["needs the team"], "dep request"),
    ("dep request identity --by fri", ["needs what you need"], "dep request"),
    ("dep decline D-1", ["needs a reason"], "dep decline"),
    ("dep block D-1", ["needs a reason"], "dep block"),
    ("priority drop P-1", ["needs a reason"], "priority drop"),
    ("blocker add", ["needs the blocker"], "blocker add"),
    # commands
    ("dep", ["dep", "needs a subcommand", "request"], "dep"),
    ("dep frobnicate D-1", ["unknown dep command", "'frobnicate'"], "dep"),
    ("dep --team x", ["subcommand"], "dep"),
    ("priority ad x", ["unknown priority command", "Did you mean 'add'"], "priority"),
]


def _usage_of(name: str | None) -> str | None:
    return usage(name) if name else None


@pytest.mark.parametrize(("text", "words", "command"), ERRORS, ids=[t[:50] for t, _, _ in ERRORS])
def test_refusals_name_the_problem_and_give_the_usage(text: str, words: list[str], command: str | None) -> None:
    with pytest.raises(ParseError) as caught:
        parse(text, CONSOLE)
    error = caught.value
    for word in words:
        assert word in error.message, (word, error.message)
    assert "\n" not in error.message
    assert error.usage == _usage_of(command)
    assert isinstance(error, InvalidInput)
    assert str(error) == error.message


def test_unknown_command_suggests_the_closest_and_lists_commands() -> None:
    with pytest.raises(ParseError) as caught:
        parse("priorty list", CONSOLE)
    assert "unknown command 'priorty'" in caught.value.message
    assert "Did you mean 'priority'" in caught.value.message
    assert caught.value.usage is not None
    for name in ("help", "me", "team", "priority", "dep", "blocker", "history"):
        assert name in caught.value.usage

    with pytest.raises(ParseError) as caught:
        parse("foo", CONSOLE)
    assert caught.value.message.startswith("unknown command 'foo'")
    assert "Did you mean" not in caught.value.message


def test_messages_never_echo_long_input_or_newlines() -> None:
    junk = "x" * 5000 + "\n<!channel>" + "y" * 5000
    for text in (
        f"{junk}",
        f"priority show {junk}",
        f'team create "{junk}" "x"',
        f"priority update P-1 --due {junk}",
        f'priority update P-1 --status "{junk}"',
        f"priority list --{junk}",
        f'priority add "x" "{junk}"',
        f"dep {junk}",
    ):
        with pytest.raises(ParseError) as caught:
            parse(text, CONSOLE)
        message = caught.value.message
        assert len(message) < 250, message
        assert "\n" not in message
        assert "<!" not in message


def test_messages_neutralise_chat_mentions() -> None:
    with pytest.raises(ParseError) as caught:
        parse("team show <!channel>", CONSOLE)
    assert "<!channel>" not in caught.value.message


# Mentions, one syntax per adapter


@pytest.mark.parametrize(
    ("mentions", "token", "handle"),
    [
        (ConsoleMentions(), "@alice", "alice"),
        (ConsoleMentions(), "@Alice.Smith-2_x", "alice.smith-2_x"),
        (ConsoleMentions(), "alice", None),
        (ConsoleMentions(), "@", None),
        (ConsoleMentions(), "@alice,", None),
        (ConsoleMentions(), "<@U123>", None),
        (SlackMentions(), "<@U123ABC>", "U123ABC"),
        (SlackMentions(), "<@U123ABC|alice>", "U123ABC"),
        (SlackMentions(), "@alice", None),
        (SlackMentions(), "<!channel>", None),
        (SlackMentions(), "<#C123|general>", None),
        (TeamsMentions(), "<at:29:1abc-DEF>", "29:1abc-DEF"),
        (TeamsMentions(), "<at:8b1c1a2e-0f3a-4c1e-9d1a-1c2b3d4e5f60>", "8b1c1a2e-0f3a-4c1e-9d1a-1c2b3d4e5f60"),
        (TeamsMentions(), "<at>29:1abc</at>", "29:1abc"),
        (TeamsMentions(), "@alice", None),
        (TeamsMentions(), "<at:>", None),
    ],
)
def test_mentions(mentions: MentionSyntax, token: str, handle: str | None) -> None:
    assert mentions.person(token) == handle


def test_slack_and_teams_commands() -> None:
    assert parse("team add payments <@U1> <@U2|bob> --lead", SlackMentions()).command == TeamAdd(
        "payments", ("U1", "U2"), lead=True
    )
    assert parse("dep accept D-1 --owner <at:29:1abc>", TeamsMentions()).command == DepAccept(1, "29:1abc")
    with pytest.raises(ParseError, match="expected a person"):
        parse("admin add @alice", SlackMentions())
    with pytest.raises(ParseError, match="got a person"):
        parse("team show <@U1>", SlackMentions())


# Help


@pytest.mark.parametrize("name", sorted(ENTRIES))
@pytest.mark.parametrize("mentions", ADAPTERS, ids=["console", "slack", "teams"])
def test_help_of_every_command_has_an_example_that_parses(name: str, mentions: MentionSyntax) -> None:
    text = help_text(name, mentions)
    shown = example(name, mentions)
    assert usage(name) in text
    assert f"e.g. {shown}" in text
    parsed = parse(shown, mentions)
    if name == "help":
        assert parsed.is_help and parsed.help_topic == "dep request"
    else:
        assert parsed.command is not None
        assert parsed.help_topic is None
        assert parse(f"help {name}", mentions).help_topic == name


@pytest.mark.parametrize("group", ["admin", "team", "priority", "dep", "blocker"])
def test_help_of_a_group_covers_its_commands(group: str) -> None:
    text = help_text(group, CONSOLE)
    names = [n for n in ENTRIES if n.startswith(group + " ")]
    assert names
    for name in names:
        assert usage(name) in text
        assert example(name, CONSOLE) in text
    assert usage(group) == "\n".join(usage(n) for n in names)


def test_help_overview_lists_every_command_grouped() -> None:
    text = help_text(None, CONSOLE)
    for name in ENTRIES:
        assert usage(name) in text
    for section in ("Teams:", "Priorities:", "Dependencies:", "Blockers:"):
        assert section in text
    assert help_text("", CONSOLE) == text


def test_help_of_an_unknown_topic_lists_topics() -> None:
    text = help_text("dpe", CONSOLE)
    assert "No help for 'dpe'" in text
    assert "help dep" in text
    for topic in ("priority", "dep", "blocker", "team"):
        assert topic in text
    assert "\n" not in help_text("x\n" * 100, CONSOLE)


def test_usage_of_unknown_command() -> None:
    with pytest.raises(KeyError):
        usage("frobnicate")
    assert usage("DEP  request") == usage("dep request")
