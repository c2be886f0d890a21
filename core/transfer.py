"""Export and import of one workspace, in the shapes of core.contracts: a lossless round trip."""

from __future__ import annotations

from typing import Any

from core import contracts as c
from core import rhythm as rh
from core.errors import Conflict, InvalidInput
from core.import_checks import problems
from core.leader_checks import leader_records
from core.model import Kind
from core.ports import UnitOfWork

FORMAT = "flotilla-export/1"


def export_workspace(uow: UnitOfWork) -> dict[str, Any]:
    ws = uow.workspace.get()
    return {
        "format": FORMAT,
        "workspace": {"name": ws.name, "tz": ws.tz},
        "people": [c.person_json(p) for p in sorted(uow.people.list(), key=lambda p: p.handle)],
        "teams": [c.team_json(t) for t in uow.teams.list()],
        "priorities": [c.priority_json(p) for p in uow.priorities.list()],
        "dependencies": [c.dependency_json(d) for d in uow.dependencies.list()],
        "blockers": [c.blocker_json(b) for b in uow.blockers.list()],
        "rhythms": [rh.rhythm_json(r) for r in uow.rhythms.list()],
        "checkins": [
            rh.run_json(run, uow.checkins.responses(run.team, run.kind, run.period)) for run in uow.checkins.runs()
        ],  # fmt: skip
        "away": [rh.away_json(a) for a in uow.rhythms.aways()],
        "events": [c.event_json(e) for e in uow.events.list()],
        "acknowledgements": [a.to_json() for a in uow.acks.list()],
        "briefings": [b.to_json() for b in uow.briefings.list()],
        "sequences": dict(sorted(uow.ids.current().items())),
        "settings": uow.settings.all(),
    }


def import_workspace(uow: UnitOfWork, data: dict[str, Any]) -> dict[str, int]:
    """Load an export into an empty workspace (the caller commits). Any bad record refuses the whole file."""
    if data.get("format") != FORMAT:
        raise InvalidInput(f"This is not a Flotilla export (expected format {FORMAT!r}).")
    if uow.people.list() or uow.teams.list() or uow.priorities.list() or uow.events.list():
        raise Conflict("This workspace already has data: import into a new workspace (--workspace NAME).")
    try:
        ws = uow.workspace.get()
        ws.tz = (data.get("workspace") or {}).get("tz") or ws.tz
        uow.workspace.save(ws)
        people = [c.person_from_json(x) for x in data.get("people", [])]
        teams = [c.team_from_json(x) for x in data.get("teams", [])]
        priorities = [c.priority_from_json(x) for x in data.get("priorities", [])]
        dependencies = [c.dependency_from_json(x) for x in data.get("dependencies", [])]
        blockers = [c.blocker_from_json(x) for x in data.get("blockers", [])]
        events = [c.event_from_json(x) for x in data.get("events", [])]
        sequences = {Kind(k): int(v) for k, v in (data.get("sequences") or {}).items()}
    except (KeyError, TypeError, ValueError) as err:
        raise InvalidInput(f"The export file is malformed: {err}.") from None
    found = problems(people, teams, priorities, dependencies, blockers, events)
    if found:
        more = f" (and {len(found) - 3} more)" if len(found) > 3 else ""
        raise InvalidInput(f"The export file is malformed: {'; '.join(found[:3])}{more}. Nothing was imported.")
    for p in people:
        uow.people.save(p)
    for t in teams:
        uow.teams.save(t)
    for pr in priorities:
        uow.priorities.save(pr)
    for d in dependencies:
        uow.dependencies.save(d)
    for b in blockers:
        uow.blockers.save(b)
    try:
        rhythms = [rh.rhythm_from_json(x) for x in data.get("rhythms") or []]
        runs = [rh.run_from_json(x) for x in data.get("checkins") or []]
        aways = [rh.away_from_json(x) for x in data.get("away") or []]
    except (KeyError, TypeError, ValueError) as err:
        raise InvalidInput(f"The export file is malformed: {err}.") from None
    for r in rhythms:
        uow.rhythms.save(r)
    for run, responses in runs:
        uow.checkins.save_run(run)
        for response in responses:
            uow.checkins.save_response(response)
    for person in dict.fromkeys(a.person for a in aways):
        uow.rhythms.set_aways(person, [a for a in aways if a.person == person])
    acks, briefings = leader_records(data, people, teams, priorities, dependencies, blockers)
    for a in acks:
        uow.acks.save(a)
    for schedule in briefings:
        uow.briefings.save(schedule)
    for ev in events:
        uow.events.append(ev)
    settings = data.get("settings") or {}
    if not isinstance(settings, dict):
        raise InvalidInput("The export file is malformed: settings must be an object.")
    for key, value in settings.items():
        uow.settings.set(str(key), value)
    highest = {
        Kind.PRIORITY: max((p.number for p in priorities), default=0),
        Kind.DEPENDENCY: max((d.number for d in dependencies), default=0),
        Kind.BLOCKER: max((b.number for b in blockers), default=0),
    }
    for kind, top in highest.items():
        uow.ids.ensure_at_least(kind, max(top, sequences.get(kind, 0)))
    return {
        "people": len(people), "teams": len(teams), "priorities": len(priorities),
        "dependencies": len(dependencies), "blockers": len(blockers), "events": len(events),
    }  # fmt: skip
