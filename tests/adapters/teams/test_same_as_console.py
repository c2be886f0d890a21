"""The same 20-command conversation typed in Teams and in the console gives the same export.

Only the platform's ids are mapped back to console names: AAD object ids to people's handles,
Teams channel ids to the channel names the console gives teams, the tenant to `console`.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

from bot.bootstrap import build
from bot.console import Console
from core.fakes import FixedClock
from core.transfer import export_workspace
from tests.adapters.teams.conftest import NOW, TENANT, fixture
from tests.adapters.teams.test_turns import Turns

PEOPLE = ["ada", "bob", "carol", "leo", "pia"]
AAD = {name: f"00000000-0000-0000-0000-{i:012d}" for i, name in enumerate(PEOPLE, start=1)}
CHANNEL = {team: f"19:{team}0home@thread.tacv2" for team in ("product", "payments", "ledger")}

SCRIPT = [
    ("ada", 'team create product "Product"'),
    ("ada", 'team create payments "Payments" --parent product'),
    ("ada", 'team create ledger "Ledger" --parent product'),
    ("ada", "team add payments {bob} {carol}"),
    ("ada", "team add ledger {leo} --lead"),
    ("ada", "team add payments {pia} --lead"),
    ("ada", 'priority add "Double revenue from Europe" --team org --outcome "EU revenue at 2x" --due 2027-06-30'),
    ("pia", 'priority add "One-click checkout" --team payments --owner {carol} --parent P-1 --due +6w'),
    ("carol", 'priority update P-2 --status at-risk --confidence 60 --progress 25 --note "Vault slipped"'),
    ("pia", 'dep request ledger "Ledger API keys" --by fri --for P-2'),
    ("leo", "dep accept D-1 --commit +10d --owner {leo}"),
    ("pia", 'dep block D-1 "Waiting on the security review"'),
    ("bob", 'blocker add "Waiting on legal" --on D-1'),
    ("leo", "dep cancel D-1"),  # refused: only the requesting team cancels
    ("ada", "blocker resolve B-1"),
    ("bob", 'blocker add "@here <!channel> the build is red"'),
    ("pia", 'dep request ledger "Audit log export" --by +2w'),
    ("leo", 'dep decline D-2 "No capacity this quarter"'),
    ("carol", 'risks ack P-2 --kind at_risk_priority --until +2w "Recovery plan in review"'),
    ("ada", "rhythm set briefing --team product --day mon --at 08:30 --tz Europe/Berlin"),
    ("carol", "priority done P-2"),
    ("ada", "admin add {pia}"),
]


def console_export(db: str) -> dict[str, Any]:
    app = build(database_url=db)
    try:
        console = Console(app.uow_factory, FixedClock(NOW), "ada", out=io.StringIO())
        for who, text in SCRIPT:
            console.feed(f"@{who}: " + re.sub(r"\{(\w+)\}", r"@\1", text))
        with app.uow_factory("console") as uow:
            return export_workspace(uow)
    finally:
        app.close()


def teams_activity(who: str, text: str) -> dict[str, Any]:
    sender = {"id": f"29:1{who}", "name": who, "aadObjectId": AAD[who]}
    entities: list[dict[str, Any]] = []
    for name in re.findall(r"\{(\w+)\}", text):
        entities.append({"type": "mention", "text": f"<at>{name}</at>",
                         "mentioned": {"id": f"29:1{name}", "name": name, "aadObjectId": AAD[name]}})  # fmt: skip
    body = re.sub(r"\{(\w+)\}", r"<at>\1</at>", text)
    created = re.match(r"team create (\w+)", text)
    if created:  # a team is created in its own channel, which becomes its home
        activity = fixture("channel_message_mention", text=f"<at>Flotilla</at> {body}")
        channel = CHANNEL[created.group(1)]
        activity["channelData"]["channel"] = {"id": channel, "name": created.group(1)}
        activity["conversation"]["id"] = f"{channel};messageid=1"
        activity["entities"] += entities
    else:  # everything else in a personal chat with the bot
        activity = fixture("personal_message", text=body, entities=entities)
        activity["conversation"]["id"] = f"a:1personal-{who}"
    activity["from"] = sender
    activity.pop("localTimezone", None)  # the console knows no one's time zone: neither may Teams here
    activity["entities"] = [e for e in activity.get("entities") or [] if e.get("type") != "clientInfo"]
    return activity


def teams_export(db: str) -> dict[str, Any]:
    app = build(database_url=db)
    try:
        turns = Turns(app)
        for who, text in SCRIPT:
            replies = turns.turn(teams_activity(who, text))
            assert len(replies) == 1, (text, replies)
        with app.uow_factory(TENANT) as uow:
            return export_workspace(uow)
    finally:
        app.close()


def normalised(data: dict[str, Any]) -> dict[str, Any]:
    data = {**data, "settings": {k: v for k, v in data["settings"].items() if k != "platform"}}
    assert not data["settings"], "only the owning platform may differ"
    text = json.dumps(data, sort_keys=True)
    for name, aad in AAD.items():
        text = text.replace(aad, name)
    for team, channel in CHANNEL.items():
        text = text.replace(channel, team)
    out: dict[str, Any] = json.loads(text.replace(TENANT, "console"))
    out["people"] = sorted(out["people"], key=lambda p: p["handle"])
    return out


def test_teams_and_console_give_the_same_export(tmp_path: Path) -> None:
    from_console = console_export(f"sqlite:///{tmp_path / 'console.db'}")
    from_teams = teams_export(f"sqlite:///{tmp_path / 'teams.db'}")
    assert len(from_console["events"]) > 15
    assert [a["note"] for a in from_teams["acknowledgements"]] == ["Recovery plan in review"]
    assert [b["scope"] for b in from_teams["briefings"]] == ["product"]
    assert normalised(from_teams) == normalised(from_console)
