"""Export and import of one workspace, in the shapes of core.json_shapes: a lossless round trip."""

from __future__ import annotations

from typing import Any

from core import json_shapes as c
from core import rhythm as rh
from core.errors import Conflict
from core.import_checks import FORMAT, read_export
from core.model import Kind
from core.ports import UnitOfWork

__all__ = ["FORMAT", "export_workspace", "import_workspace"]


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
        "slip_alerts": [c.slip_json(a) for a in uow.slips.list()],
        "sequences": dict(sorted(uow.ids.current().items())),
        "settings": uow.settings.all(),
    }


def import_workspace(uow: UnitOfWork, data: Any) -> dict[str, int]:
    """Load an export into an empty workspace (the caller commits). The whole file is read and
    checked first (core.import_checks): one bad record refuses it, and nothing is written."""
    found = read_export(data)
    if uow.people.list() or uow.teams.list() or uow.priorities.list() or uow.events.list():
        raise Conflict("This workspace already has data: import into a new workspace (--workspace NAME).")
    if found.tz is not None:
        ws = uow.workspace.get()
        ws.tz = found.tz
        uow.workspace.save(ws)
    for p in found.people:
        uow.people.save(p)
    for t in found.teams:
        uow.teams.save(t)
    for pr in found.priorities:
        uow.priorities.save(pr)
    for d in found.dependencies:
        uow.dependencies.save(d)
    for b in found.blockers:
        uow.blockers.save(b)
    for r in found.rhythms:
        uow.rhythms.save(r)
    for run, responses in found.runs:
        uow.checkins.save_run(run)
        for response in responses:
            uow.checkins.save_response(response)
    for person in dict.fromkeys(a.person for a in found.aways):
        uow.rhythms.set_aways(person, [a for a in found.aways if a.person == person])
    for a in found.acks:
        uow.acks.save(a)
    for schedule in found.briefings:
        uow.briefings.save(schedule)
    for alert in found.slips:
        uow.slips.add(alert)
    for ev in found.events:
        uow.events.append(ev)
    for key, value in found.settings.items():
        uow.settings.set(key, value)
    highest = {
        Kind.PRIORITY: max((p.number for p in found.priorities), default=0),
        Kind.DEPENDENCY: max((d.number for d in found.dependencies), default=0),
        Kind.BLOCKER: max((b.number for b in found.blockers), default=0),
    }
    for kind, top in highest.items():
        uow.ids.ensure_at_least(kind, max(top, found.sequences.get(kind, 0)))
    return {
        "people": len(found.people), "teams": len(found.teams), "priorities": len(found.priorities),
        "dependencies": len(found.dependencies), "blockers": len(found.blockers), "events": len(found.events),
    }  # fmt: skip
