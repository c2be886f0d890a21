"""A 22-command conversation typed in Slack gives the same workspace as the same one in the console."""

from __future__ import annotations

import json
import re
from typing import Any

from bot.console import Console
from core.fakes import FixedClock
from core.transfer import export_workspace
from tests.adapters.slack.conftest import CHANNELS, NOW, PEOPLE, TEAM, Slack

CONVERSATION = [
    ("ada", 'team create product "Product"'),
    ("ada", 'team create payments "Payments" --parent product'),
    ("ada", 'team create ledger "Ledger" --parent product'),
    ("ada", "team add payments @bob --lead"),
    ("bob", "team add payments @pia @carol"),
    ("ada", "team add ledger @leo --lead"),
    ("ada", 'priority add "Double revenue from Europe" --team org --due 2027-06-30 --outcome "EU revenue 2x"'),
    ("bob", 'priority add "One-click checkout" --owner @carol --parent P-1 --due +6w'),
    ("carol", 'priority update P-2 --status at-risk --confidence 60 --progress 25 --note "Vault <!here> & co slipped"'),
    ("pia", 'dep request ledger "Ledger API keys & secrets" --by fri --for P-2'),
    ("leo", "dep accept D-1 --commit +10d"),
    ("pia", 'dep block D-1 "Waiting on the security review"'),
    ("pia", "dep unblock D-1"),
    ("pia", 'blocker add "<!channel> the build is red" --on D-1'),
    ("leo", "blocker resolve B-1"),
    ("pia", 'dep request ledger "Audit log export" --by +3w'),
    ("leo", 'dep decline D-2 "No capacity this quarter"'),
    ("carol", "priority update P-1 --confidence 140"),
    ("carol", 'risks ack P-2 --kind at_risk_priority --until +2w "Recovery plan <!here> & review on Friday"'),
    ("ada", "rhythm set briefing --team product --day mon --at 08:30 --tz Europe/Berlin"),
    ("leo", "dep done D-1"),
    ("bob", "priority done P-2"),
    ("ada", 'team rename ledger "Ledger & Billing"'),
    ("ada", "team move ledger --parent none"),
    ("ada", "team demote payments @bob"),
]
CREATED_IN = {0: "product", 1: "payments", 2: "ledger"}
_PERSON = re.compile(r"@([a-z]+)")


def slack_text(text: str) -> str:
    """What Slack sends for a typed line: `&`, `<`, `>` escaped, people as `<@U…|name>` escapes."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _PERSON.sub(lambda m: f"<@{PEOPLE[m.group(1)]}|{m.group(1)}>", escaped)


def normalised(export: dict[str, Any]) -> dict[str, Any]:
    """Slack ids -> console names, the owning platform dropped, why the first admin is one (a Slack
    workspace admin; the console's first speaker), and people's zones (Slack says each one's; the
    console knows none); nothing else is touched."""
    export = {**export, "settings": {k: v for k, v in export["settings"].items() if k != "platform"}}
    export["people"] = [{**p, "tz": "*"} for p in export["people"]]
    first_admin = next(e for e in export["events"] if e["kind"] == "admin.added")
    assert first_admin["data"]["reason"] in ("Slack workspace admin", "first person in the workspace")
    first_admin["data"]["reason"] = "*"
    text = json.dumps(export, sort_keys=True)
    for name, uid in PEOPLE.items():
        text = text.replace(f'"{uid}"', f'"{name}"')
    for name, cid in CHANNELS.items():
        text = text.replace(f'"{cid}"', f'"{name}"')
    data = json.loads(text)
    data["workspace"]["name"] = "*"
    return data  # type: ignore[no-any-return]


def test_the_same_conversation_gives_the_same_export(slack: Slack) -> None:
    answers = []
    for i, (who, text) in enumerate(CONVERSATION):
        channel = CHANNELS[CREATED_IN[i]] if i in CREATED_IN else "C0GENERAL"
        answers.append(slack.command(PEOPLE[who], slack_text(text), channel))
    assert sum(a["response_type"] == "ephemeral" for a in answers) == 1  # the one refusal
    from_slack = slack.export(TEAM)

    console = Console(slack.flotilla.uow_factory, FixedClock(NOW), "ada", workspace="console-parity")
    refused = [console.command(text, who).refused for who, text in CONVERSATION]
    assert refused.count(True) == 1
    with slack.flotilla.uow_factory("console-parity") as uow:
        from_console = export_workspace(uow)

    assert len(from_console["events"]) > 20
    assert [a["note"] for a in from_slack["acknowledgements"]] == ["Recovery plan <!here> & review on Friday"]
    assert [b["scope"] for b in from_slack["briefings"]] == ["product"]
    assert normalised(from_slack) == normalised(from_console)
