"""`summary` and `map`: what leaders read, and the picture they look at."""

from __future__ import annotations

from core import access, commands
from core.acks import judge, loud
from core.context import Call
from core.map_layout import build_map
from core.mapgraph import LEGEND, EdgeColour, MapGraph
from core.model import Team
from core.narrative import NarrativeUnavailable, check
from core.orgindex import OrgIndex
from core.reply import Line, Reply, line, reply
from core.risks import Risk, Thresholds
from core.snapshot import Snapshot, risk_snapshot
from core.summary import (
    EXTRACT_LIMIT,
    Scope,
    build_extract,
    in_scope,
    known_ids,
    narrative_lines,
    summarize,
    unavailable_note,
)

MAX_RED_LISTED = 5


def live_risks(call: Call, snapshot: Snapshot) -> list[Risk]:
    """The risk engine on this snapshot, with the workspace's thresholds."""
    from core.risk_engine import assess

    return assess(snapshot, call.now, Thresholds.from_settings(call.uow.settings.get("risk")))


def _scope_team(call: Call, team: str | None, org: bool) -> Team | None:
    return None if org else access.optional_team_or_mine(call, team)


def summary(call: Call, cmd: commands.Summary) -> Reply:
    team = _scope_team(call, cmd.team, cmd.org)
    handle = team.handle if team else None
    snapshot = risk_snapshot(call.uow, call.now)
    judged = judge(live_risks(call, snapshot), call.uow.acks.list(), call.today)
    risks = loud(judged)  # acknowledged risks that hold are owned: the summary leaves them to `risks --all`
    standard = summarize(snapshot, risks, call.now, handle, today=call.today)
    scope = Scope.of(OrgIndex(snapshot), handle)
    quiet = in_scope(OrgIndex(snapshot), [j.risk for j in judged if j.quiet], scope)
    if quiet:
        standard += (line(f"{len(quiet)} acknowledged risk{'s are' if len(quiet) != 1 else ' is'} left out: "
                          "`risks acks` says who owns "
                          f"{'them' if len(quiet) != 1 else 'it'} and until when."),)  # fmt: skip
    data = {"scope": scope.team, "as_of": call.today.isoformat(), "narrative": None, "note": None}
    summarizer = call.services.summarizer
    if summarizer is None or not in_scope(OrgIndex(snapshot), risks, scope):
        return reply(*standard, data=data)
    extract = build_extract(snapshot, risks, EXTRACT_LIMIT, today=call.today, team=handle)
    label, today = scope.label(), call.today

    def narrate() -> Reply:
        """After the transaction: the LLM may take up to its timeout, and holds no lock meanwhile."""
        try:
            narrative = check(summarizer.narrate(extract), known_ids(extract))
        except NarrativeUnavailable as e:
            return reply(unavailable_note(e.reason), *standard, data={**data, "note": e.reason})
        included = int(extract["totals"]["risks_included"])
        lines = narrative_lines(narrative, label, today, included)
        claims = [{"text": c.text, "cites": list(c.cites)} for c in narrative.claims]
        return reply(*lines, data={**data, "narrative": claims})

    return Reply(lines=tuple(standard), data=data, then=narrate)


def map_(call: Call, cmd: commands.Map) -> Reply:
    team = _scope_team(call, cmd.team, cmd.org)
    snapshot = risk_snapshot(call.uow, call.now)
    graph = build_map(snapshot, live_risks(call, snapshot), call.today, team.handle if team else None)
    return Reply(lines=_map_lines(graph), data=graph.to_json(), graph=graph)


def _map_lines(graph: MapGraph) -> tuple[Line, ...]:
    teams = sum(1 for n in graph.nodes if n.drawn)
    where = "the whole organisation" if graph.focus is None else graph.focus
    if graph.beneath:
        where += f" and the {graph.beneath} team{'s' if graph.beneath != 1 else ''} beneath it"
    n = len(graph.edges)
    counts = ", ".join(f"{graph.count(c)} {c.value}" for c in EdgeColour if graph.count(c))
    deps = f"{n} open dependenc{'ies' if n != 1 else 'y'}" + (f" ({counts})" if counts else "")
    lines: list[Line] = [line(f"Dependency map of {where}: {deps} between {teams} team{'s' if teams != 1 else ''}.")]
    hidden = sum(graph.hidden.values())
    if hidden:
        lines.append(line(f"{hidden} more open dependencies are not drawn, for room (the most urgent are): "
                          "`dep list` has them all."))  # fmt: skip
    for colour, said in ((EdgeColour.RED, "In red"), (EdgeColour.AMBER, "In amber")):
        found = [e for e in graph.edges if e.colour is colour]
        if found:
            shown = ", ".join(f"{e.id} {e.from_team} → {e.to_team} ({e.reason})" for e in found[:MAX_RED_LISTED])
            more = f" and {len(found) - MAX_RED_LISTED} more" if len(found) > MAX_RED_LISTED else ""
            lines.append(line(f"{said}: {shown}{more}."))
    lines.append(line(LEGEND))
    return tuple(lines)
