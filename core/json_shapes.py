"""The machine-readable shapes of SPEC.md ("Machine-readable contracts"): `--json` and export."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from core.model import (
    Blocker,
    BlockerState,
    Dependency,
    DepState,
    Event,
    Kind,
    Person,
    Priority,
    Replan,
    SlipAlert,
    Status,
    Team,
    ref,
)
from core.rollup import Rollup


def iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def pid(number: int | None) -> str | None:
    return ref(Kind.PRIORITY, number) if number is not None else None


def person_json(p: Person) -> dict[str, Any]:
    return {"handle": p.handle, "name": p.name, "tz": p.tz, "admin": p.admin, "tz_pinned": p.tz_pinned}


def team_json(t: Team) -> dict[str, Any]:
    return {
        "handle": t.handle,
        "name": t.name,
        "parent": t.parent,
        "leads": list(t.leads),
        "members": list(t.members),
        "channel": t.channel,
        "archived": t.archived,
    }


def priority_json(p: Priority) -> dict[str, Any]:
    return {
        "id": p.id,
        "title": p.title,
        "outcome": p.outcome,
        "team": p.team,
        "owner": p.owner,
        "parent": pid(p.parent),
        "status": p.status.value,
        "confidence": p.confidence,
        "progress": p.progress,
        "due": iso(p.due),
        "rank": p.rank,
        "closed_reason": p.closed_reason,
        "created_at": iso(p.created_at),
        "updated_at": iso(p.updated_at),
    }


def priority_read_json(p: Priority, rollup: Rollup | None) -> dict[str, Any]:
    """A priority as `--json` reads give it: the export's fields and its `rollup` (null without open
    aligned children). Exports leave the roll-up out: it is derived, never stored."""
    return priority_json(p) | {"rollup": rollup.to_json() if rollup is not None else None}


def dependency_json(d: Dependency) -> dict[str, Any]:
    return {
        "id": d.id,
        "from_team": d.from_team,
        "to_team": d.to_team,
        "what": d.what,
        "needed_by": iso(d.needed_by),
        "committed": iso(d.committed),
        "for": pid(d.for_priority),
        "state": d.state.value,
        "blocked_reason": d.blocked_reason,
        "requester_owner": d.requester_owner,
        "provider_owner": d.provider_owner,
        "blocked_from": d.blocked_from.value if d.blocked_from else None,
        "declined_reason": d.declined_reason,
        "created_at": iso(d.created_at),
        "updated_at": iso(d.updated_at),
        "answered_at": iso(d.answered_at),
        "delivered_at": iso(d.delivered_at),
        "proposed": iso(d.proposed),
        "proposed_reason": d.proposed_reason,
        "replans": [replan_json(r) for r in d.replans],
        "revision": d.revision,
    }


def replan_json(r: Replan) -> dict[str, Any]:
    return {"at": iso(r.at), "by": r.by, "from": iso(r.before), "to": iso(r.after), "why": r.why}


def replan_from_json(d: dict[str, Any]) -> Replan:
    after = _date(d["to"])
    if after is None:
        raise ValueError("a re-plan needs the date it moved to")
    return Replan(at=_required_datetime(d["at"]), by=str(d["by"]), before=_date(d.get("from")), after=after,
                  why=d.get("why"))  # fmt: skip


def slip_json(a: SlipAlert) -> dict[str, Any]:
    return {"dependency": ref(Kind.DEPENDENCY, a.dependency), "change": a.change, "person": a.person,
            "created_at": iso(a.created_at), "state": a.state, "settled_at": iso(a.settled_at)}  # fmt: skip


def blocker_json(b: Blocker) -> dict[str, Any]:
    return {
        "id": b.id,
        "text": b.text,
        "team": b.team,
        "on": b.on,
        "state": b.state.value,
        "raised_by": b.raised_by,
        "raised_at": iso(b.raised_at),
        "resolved_by": b.resolved_by,
        "resolved_at": iso(b.resolved_at),
    }


def event_json(e: Event) -> dict[str, Any]:
    return {"at": iso(e.at), "actor": e.actor, "kind": e.kind, "subject": e.subject, "data": e.data}


# --- reading the same shapes back (import) ---------------------------------------------------


def _date(value: Any) -> date | None:
    return date.fromisoformat(value) if value else None


def _datetime(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _required_datetime(value: Any) -> datetime:
    parsed = _datetime(value)
    if parsed is None:
        raise ValueError("a required timestamp is missing")
    return parsed


def number_of(value: Any, kind: Kind) -> int | None:
    """`"P-12"` -> 12 (None stays None); anything else is a ValueError."""
    if value is None:
        return None
    prefix, _, digits = str(value).partition("-")
    if prefix.upper() != kind.value or not digits.isdigit():
        raise ValueError(f"{value!r} is not a {kind.value}-n id")
    return int(digits)


def _number(value: Any, kind: Kind) -> int:
    n = number_of(value, kind)
    if n is None:
        raise ValueError(f"missing {kind.value}-n id")
    return n


def priority_from_json(d: dict[str, Any]) -> Priority:
    return Priority(
        number=_number(d["id"], Kind.PRIORITY), title=d["title"], team=d.get("team"),
        created_at=_required_datetime(d["created_at"]), updated_at=_required_datetime(d["updated_at"]),
        outcome=d.get("outcome"), owner=d.get("owner"), parent=number_of(d.get("parent"), Kind.PRIORITY),
        rank=int(d.get("rank") or 1), due=_date(d.get("due")), status=Status(d["status"]),
        confidence=d.get("confidence"), progress=int(d.get("progress") or 0), closed_reason=d.get("closed_reason"),
    )  # fmt: skip


def dependency_from_json(d: dict[str, Any]) -> Dependency:
    needed_by = _date(d["needed_by"])
    if needed_by is None:
        raise ValueError("needed_by is missing")
    return Dependency(
        number=_number(d["id"], Kind.DEPENDENCY), from_team=d["from_team"], to_team=d["to_team"], what=d["what"],
        needed_by=needed_by, created_at=_required_datetime(d["created_at"]),
        updated_at=_required_datetime(d["updated_at"]), for_priority=number_of(d.get("for"), Kind.PRIORITY),
        state=DepState(d["state"]), committed=_date(d.get("committed")), blocked_reason=d.get("blocked_reason"),
        blocked_from=DepState(d["blocked_from"]) if d.get("blocked_from") else None,
        declined_reason=d.get("declined_reason"), requester_owner=d.get("requester_owner"),
        provider_owner=d.get("provider_owner"), answered_at=_datetime(d.get("answered_at")),
        delivered_at=_datetime(d.get("delivered_at")), proposed=_date(d.get("proposed")),
        proposed_reason=d.get("proposed_reason"), replans=[replan_from_json(r) for r in d.get("replans") or ()],
        revision=int(d.get("revision") or 0),
    )  # fmt: skip


def blocker_from_json(d: dict[str, Any]) -> Blocker:
    return Blocker(
        number=_number(d["id"], Kind.BLOCKER), text=d["text"], raised_by=d["raised_by"],
        raised_at=_required_datetime(d["raised_at"]), team=d.get("team"), on=d.get("on"),
        state=BlockerState(d["state"]), resolved_by=d.get("resolved_by"), resolved_at=_datetime(d.get("resolved_at")),
    )  # fmt: skip
