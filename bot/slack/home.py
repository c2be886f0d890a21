"""The App Home tab: my priorities, dependencies, blockers and pending check-ins, with buttons."""

from __future__ import annotations

from typing import Any

from bot.slack.render import (
    MAX_VIEW_BLOCKS,
    blocker_buttons,
    context,
    dependency_buttons,
    escape,
    mrkdwn_line,
    section,
)
from core.contracts import blocker_from_json, dependency_from_json, priority_from_json
from core.rollup import Rollup
from core.views import blocker_line, dependency_line, priority_line

PER_LIST = 15
"""At most this many records per list: with their buttons the view stays under Slack's 100 blocks."""


def _header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": text[:150], "emoji": False}}


def _more(n: int, what: str, command: str) -> list[dict[str, Any]]:
    if n <= 0:
        return []
    return [context(f"…and {n} more {what}: `/flotilla {command}` lists them all.")]


def home_view(me: dict[str, Any]) -> dict[str, Any]:
    """The Home view from `me --json` data (core.contracts shapes)."""
    mine = set(me.get("teams") or [])
    blocks: list[dict[str, Any]] = [
        _header("Flotilla"),
        context("Your teams: " + (escape(", ".join(sorted(mine))) if mine else "none yet")),
    ]

    prios = list(me.get("priorities") or [])
    blocks.append(_header(f"My priorities ({len(prios)})"))
    blocks += [section(mrkdwn_line(priority_line(priority_from_json(p), Rollup.from_json(p.get("rollup")))))
               for p in prios[:PER_LIST]]  # fmt: skip
    blocks += _more(len(prios) - PER_LIST, "priorities", "priority list")
    if not prios:
        blocks.append(context("No open priority is yours."))

    deps = list(me.get("dependencies") or [])
    blocks.append(_header(f"My dependencies ({len(deps)})"))
    for raw in deps[:PER_LIST]:
        d = dependency_from_json(raw)
        blocks.append(section(mrkdwn_line(dependency_line(d))))
        # Offer what this person's side can do next; the core still checks when it is clicked.
        if d.state.value == "requested" and d.to_team not in mine:
            continue
        buttons = dependency_buttons(d.id, d.state.value)
        if buttons:
            blocks.append({"type": "actions", "block_id": f"dep:{d.id}", "elements": buttons})
    blocks += _more(len(deps) - PER_LIST, "dependencies", "dep list")
    if not deps:
        blocks.append(context("No open dependency involves you or your teams."))

    blockers = list(me.get("blockers") or [])
    blocks.append(_header(f"My open blockers ({len(blockers)})"))
    for raw in blockers[:PER_LIST]:
        b = blocker_from_json(raw)
        block = section(mrkdwn_line(blocker_line(b)))
        buttons = blocker_buttons(b.id, b.state.value)
        if buttons:
            block["accessory"] = buttons[0]
        blocks.append(block)
    blocks += _more(len(blockers) - PER_LIST, "blockers", "blocker list")
    if not blockers:
        blocks.append(context("You have no open blockers."))

    checkins = list(me.get("checkins") or [])
    blocks.append(_header(f"Pending check-ins ({len(checkins)})"))
    for c in checkins[:PER_LIST]:
        label = c.get("label") or c.get("kind") or "check-in" if isinstance(c, dict) else str(c)
        blocks.append(section(escape(str(label))))
    blocks += _more(len(checkins) - PER_LIST, "check-ins", "me")
    if not checkins:
        blocks.append(context("Nothing to answer right now."))
    return {"type": "home", "blocks": blocks[:MAX_VIEW_BLOCKS]}
