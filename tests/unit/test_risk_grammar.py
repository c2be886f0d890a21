"""`risks` is both a command and a group (`risks thresholds`): both parse, help shows both."""

from __future__ import annotations

import pytest

from bot.grammar import ConsoleMentions, Parsed, ParseError, help_text, parse, usage
from core.commands import READ_COMMANDS, Command, Risks, RisksThresholds

CONSOLE = ConsoleMentions()


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("risks", Risks()),
        ("RISKS --all", Risks(all=True)),
        ("risks --team Payments --all", Risks("payments", all=True)),
        ("risks --team org", Risks(org=True)),
        ("risks thresholds", RisksThresholds()),
        ("risks thresholds stale_blocker_days=7 Escalation_days=3",
         RisksThresholds(("stale_blocker_days=7", "escalation_days=3"))),
        ("risks thresholds participation_floor=40%", RisksThresholds(("participation_floor=40%",))),
    ],
)  # fmt: skip
def test_risks_parse(text: str, command: Command) -> None:
    assert parse(text, CONSOLE) == Parsed(command)


def test_json_only_on_the_read() -> None:
    assert parse("risks --json", CONSOLE).json
    assert Risks in READ_COMMANDS and RisksThresholds not in READ_COMMANDS
    with pytest.raises(ParseError) as caught:
        parse("risks thresholds --json", CONSOLE)
    assert "--json" in caught.value.message


@pytest.mark.parametrize(
    ("text", "words", "name"),
    [
        ("risks now", ["unexpected", "'now'"], "risks"),
        ("risks --team", ["--team", "needs a value"], "risks"),
        ("risks --colour red", ["no option", "--colour"], "risks"),
        ("risks thresholds stale_blocker_days", ["<name>=<number>"], "risks thresholds"),
        ("risks thresholds stale_blocker_days=seven", ["<name>=<number>"], "risks thresholds"),
        ('risks thresholds "a b=1"', ["<name>=<number>"], "risks thresholds"),
    ],
)
def test_risks_refusals(text: str, words: list[str], name: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse(text, CONSOLE)
    for word in words:
        assert word in caught.value.message
    assert caught.value.usage == usage(name)


def test_help_covers_both() -> None:
    for text in ("help risks", "risks --help", "risks help"):
        assert parse(text, CONSOLE) == Parsed(None, help_topic="risks", is_help=True)
    shown = help_text("risks", CONSOLE)
    assert "risks [--team <team>|org] [--all] [--json]" in shown and "risks thresholds [<name>=<number> ...]" in shown
    assert "e.g. risks --team payments --all" in shown
    assert "risks thresholds" in help_text(None, CONSOLE)
