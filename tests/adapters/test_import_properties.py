"""Import takes only what the commands could have written, and nothing it takes breaks a workspace.

A rich workspace is built through the console (every kind of record, a per-member rhythm, answers,
an archived team, risk thresholds, a forged-looking but real audit trail), exported, and then:
- the property: any file made from that export by corrupting one field (wrong type, out of range,
  unknown reference, bad zone, bad text, dropped or duplicated) is either refused, with nothing
  written (not even the workspace), or accepted, and then every read command, `summary`, `map`,
  the export and a day of scheduler ticks all succeed on it;
- each corruption the issue found by hand is refused, naming its record.
"""

from __future__ import annotations

import copy
import itertools
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from bot.bootstrap import Flotilla, build
from bot.console import Console, console_person
from bot.conversation import Conversation
from bot.grammar import ConsoleMentions
from core.errors import Refused
from core.fakes import FixedClock
from core.scheduling import tick
from core.transfer import export_workspace, import_workspace
from storage.uow import workspaces

START = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
AFTER = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
SCRIPT = (Path(__file__).parent / "import_world.txt").read_text(encoding="utf-8")


def build_world(app: Flotilla) -> dict[str, Any]:
    clock = FixedClock(START)
    console = Console(app.uow_factory, clock, "ada", workspace="world")
    for raw in SCRIPT.splitlines():
        if raw.startswith("!time "):
            console.move_time(raw.removeprefix("!time "))
        elif raw.strip() and not raw.startswith("#"):
            who, _, text = raw[1:].partition(": ") if raw.startswith("@") else ("ada", "", raw)
            outcome = console.command(text, who)
            assert not outcome.refused, (raw, outcome.reply.lines)
    with app.uow_factory("world") as uow:
        data: dict[str, Any] = json.loads(json.dumps(export_workspace(uow)))
    return data


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flotilla, dict[str, Any]]]:
    app = build(database_url=f"sqlite:///{tmp_path_factory.mktemp('import') / 'import.db'}")
    yield app, build_world(app)
    app.close()


_names = itertools.count()


def load(app: Flotilla, data: Any) -> tuple[str, Refused | None]:
    """Import into a new workspace as `flotilla import` does; the refusal, if any."""
    name = f"w{next(_names)}"
    try:
        with app.uow_factory(name) as uow:
            import_workspace(uow, data)
            uow.commit()
    except Refused as e:
        return name, e
    return name, None


READS = [
    "me", "me --json", "me tz", "team list", "team list --json", "priority list --all", "priority list --json",
    "dep list", "dep list --json", "blocker list", "blocker list --json", "risks --all", "risks --json",
    "history", "history --json", "summary", "map", "standup", "checkin", "risks thresholds",
]  # fmt: skip


def read_everything(app: Flotilla, name: str, data: dict[str, Any]) -> None:
    """Every read command, as an admin and as a member, then a week of the rhythm."""
    with app.uow_factory(name) as uow:
        people = [p.handle for p in uow.people.list()]
        teams = [t.handle for t in uow.teams.list()]
        prios = [p.id for p in uow.priorities.list()]
        deps = [d.id for d in uow.dependencies.list()]
        export_workspace(uow)
    texts = [*READS, *(f"team show {t}" for t in teams), *(f"rhythm show --team {t}" for t in teams),
             *(f"priority show {p}" for p in prios), *(f"dep show {d}" for d in deps),
             *(f"blocker list --team {t}" for t in teams), *(f"risks --team {t}" for t in teams)]  # fmt: skip
    speakers = [p for p in people if p in ("ada", "kenji")] or people[:1] or ["someone"]  # an admin, a member
    for who in speakers:
        talk = Conversation(app.uow_factory, name, ConsoleMentions(), console_person)
        for text in texts:
            talk.handle(text, who, AFTER)  # a refusal is an answer; an exception fails the test
    tick(app.uow_factory, name, START - timedelta(days=1), AFTER + timedelta(days=8))


# --- the property ---------------------------------------------------------------------------------


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every place in the file: each key of each object, each item of each list."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield (*prefix, k)
            yield from paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield (*prefix, i)
            yield from paths(v, (*prefix, i))


def fields(data: dict[str, Any]) -> dict[str, list[tuple[Any, ...]]]:
    """Places grouped by what they are (`priorities.*.rank`), so that each kind of field is as
    likely to be corrupted as any other, however many records hold it."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    for path in paths(data):
        shape = ".".join("*" if isinstance(k, int) else str(k) for k in path)
        out.setdefault(shape, []).append(path)
    return out


WRONG_TYPES: list[Any] = [None, 0, 1, -1, 1.5, True, False, "", "x", [], {}, ["x"], {"a": 1}, [[]]]
OUT_OF_RANGE = [10**30, -(10**30), 2**63 - 1, 2**31 - 1, 999_999_999, 1_000_000_000, -1, 101, 0, 1e308]
UNKNOWN = ["nobody", "ghost-team", "P-999", "D-999", "B-77", "P-0", "org", "none", "P-99999999999999999999"]
ZONES = ["Mars/Base", "utc ", "Europe/Berlin\x00", "EST5EDT", "europe/berlin", "+05:00"]
TEXTS = ["", " padded", "a\x00b", "\u202eevil", "x" * 1001, "=HYPERLINK(1)", "\n", "two\nlines"]
DATES = ["2026-02-30", "9999-12-31", "0001-01-01", "2026-11-23T09:00:00", "20261123", "yesterday", "2026-W48"]
DROP, DUPLICATE = object(), object()
LIKELY: dict[type, list[Any]] = {
    str: [*UNKNOWN, *ZONES, *TEXTS, *DATES], int: OUT_OF_RANGE, bool: [0, 1, "true", None],
    list: [[], [None], ["nobody"], "x", {}], dict: [{}, [], {"x": 1}, None],
}  # fmt: skip
"""Corruptions that suit a field of that type (it gets one of these, or anything at all)."""


def corruption(base: dict[str, Any]) -> st.SearchStrategy[tuple[tuple[Any, ...], Any]]:
    places = fields(base)

    def values(path: tuple[Any, ...]) -> st.SearchStrategy[Any]:
        here: Any = base
        for key in path:
            here = here[key]
        suited = LIKELY.get(type(here), [])
        anything = [*WRONG_TYPES, *OUT_OF_RANGE, *UNKNOWN, *ZONES, *TEXTS, *DATES, DROP, DUPLICATE]
        return st.sampled_from(suited) | st.sampled_from(anything) if suited else st.sampled_from(anything)

    shapes = st.sampled_from(sorted(places))
    where = shapes.flatmap(lambda shape: st.sampled_from(places[shape]))
    return where.flatmap(lambda path: st.tuples(st.just(path), values(path)))


def corrupt(data: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    out = copy.deepcopy(data)
    parent: Any = out
    for key in path[:-1]:
        parent = parent[key]
    last = path[-1]
    if value is DROP:
        del parent[last]
    elif value is DUPLICATE:
        if isinstance(parent, list):
            parent.append(copy.deepcopy(parent[last]))
        else:
            parent[last] = [copy.deepcopy(parent[last])] * 2
    else:
        parent[last] = value
    return out


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_corrupted_import_is_refused_whole_or_breaks_nothing(
    world: tuple[Flotilla, dict[str, Any]], data: st.DataObject
) -> None:
    app, base = world
    where, value = data.draw(corruption(base), label="corruption")
    name, refused = load(app, corrupt(base, where, value))
    event("refused" if refused is not None else "accepted")
    if refused is not None:
        assert refused.message.strip() and "\n" not in refused.message
        assert name not in workspaces(app.engine), "a refused import left its workspace behind"
        return
    read_everything(app, name, base)


def test_the_untouched_export_imports_and_round_trips(world: tuple[Flotilla, dict[str, Any]]) -> None:
    app, base = world
    assert {k: len(v) for k, v in base.items() if isinstance(v, list)} == {
        "people": 9, "teams": 6, "priorities": 6, "dependencies": 5, "blockers": 4, "rhythms": 2,
        "checkins": 9, "away": 2, "events": 69, "acknowledgements": 2, "briefings": 2, "slip_alerts": 7,
    }  # fmt: skip
    name, refused = load(app, base)
    assert refused is None
    with app.uow_factory(name) as uow:
        again = json.loads(json.dumps(export_workspace(uow)))
    assert again == {**base, "workspace": {**base["workspace"], "name": name}}
    read_everything(app, name, base)


# --- what the issue found by hand ---------------------------------------------------------------


def _team(data: dict[str, Any], handle: str) -> dict[str, Any]:
    return next(t for t in data["teams"] if t["handle"] == handle)


def _dep(data: dict[str, Any], ident: str) -> dict[str, Any]:
    return next(d for d in data["dependencies"] if d["id"] == ident)


CASES: list[tuple[str, Any, str]] = [
    ("a proposed date on an accepted dependency", lambda d: _dep(d, "D-1").update(proposed="2027-01-04"),
     "D-1: a proposed date (proposed) is there exactly while the dependency is proposed"),
    ("a re-plan by nobody", lambda d: _dep(d, "D-1")["replans"][0].update(by="nobody"),
     "D-1: re-planned by 'nobody' is not among the people"),
    ("a slip alert about a missing dependency", lambda d: d["slip_alerts"][0].update(dependency="D-99"),
     "slip alert D-99: is about D-99, which is not in this file"),
    ("a slip alert of no change", lambda d: d["slip_alerts"][0].update(change="moved"),
     "change must be blocked:n, declined:n, replanned:n or overdue:YYYY-MM-DD"),
    ("workspace.tz Mars/Base", lambda d: d["workspace"].update(tz="Mars/Base"), "workspace: tz: 'Mars/Base'"),
    ("workspace.tz 5", lambda d: d["workspace"].update(tz=5), "workspace: tz must be text"),
    ("rhythm tz", lambda d: d["rhythms"][0].update(tz="Mars/Base"), "rhythm of ledger: tz: 'Mars/Base'"),
    ("risk threshold abc", lambda d: d["settings"]["risk"].update(stale_blocker_days="abc"),
     "settings.risk.stale_blocker_days: must be from 1 to 365"),
    ("sequence 2^63-1", lambda d: d["sequences"].update(P=2**63 - 1), "sequences P: must be a whole number"),
    ("sequence 2^31-1", lambda d: d["sequences"].update(D=2**31 - 1), "sequences D: must be a whole number"),
    ("negative sequence", lambda d: d["sequences"].update(B=-1), "sequences B: must be a whole number"),
    ("sequence behind its ids", lambda d: d["sequences"].update(P=2), "sequences P: is 2, below P-6"),
    ("1 MB text", lambda d: d["blockers"][0].update(text="x" * 1_000_000), "B-1: The text is too long"),
    ("NUL", lambda d: d["priorities"][0].update(title="Double\x00revenue"), "P-1: The title contains an invisible"),
    ("U+202E", lambda d: _team(d, "product").update(name="\u202eProduct"),
     "team product: The name contains an invisible"),
    ("a team named org", lambda d: d["teams"][0].update(handle="org"), "handle: 'org' is reserved"),
    ("two teams on a channel", lambda d: _team(d, "search").update(channel="payments"),
     "channel payments: appears twice"),
    ("a dependency on itself", lambda d: d["dependencies"][0].update(to_team="payments"),
     "D-1: A team can't depend on itself"),
    ("negative rank", lambda d: d["priorities"][0].update(rank=-3), "P-1: rank must be a whole number from 1"),
    ("rank 10^30", lambda d: d["priorities"][0].update(rank=10**30), "P-1: rank must be a whole number from 1"),
    ("rhythm of an unknown team", lambda d: d["rhythms"][0].update(team="ghost"),
     "rhythm of ghost: team 'ghost' is not among the teams"),
    ("check-in of an unknown team", lambda d: d["checkins"][0].update(team="ghost"),
     "check-in ghost standup 2026-11-23: team 'ghost' is not among the teams"),
    ("an answer raising B-77", lambda d: next(r for c in d["checkins"] for r in c["responses"] if r["blocker"])
     .update(blocker="B-77"), "raised B-77, which is not in this file"),
    ("settings.platform", lambda d: d["settings"].update(platform="evil"), "settings.platform: must be one of"),
    ("an unknown setting", lambda d: d["settings"].update(colour="red"), "settings: unknown setting 'colour'"),
    ("forged admin.removed", lambda d: d["events"].append({**d["events"][-1], "kind": "admin.removed",
                                                           "subject": "paula"}),
     "person paula: is an admin, but the audit trail's last word is admin.removed"),
    ("an event by nobody", lambda d: d["events"][0].update(actor="mallory"), "actor 'mallory' is not among"),
    ("an event of another kind", lambda d: d["events"][0].update(kind="bank.transfer"), "is not a kind of event"),
    ("P-99999999999999999999", lambda d: d["priorities"][0].update(id="P-99999999999999999999"),
     "id: P-99999999999999999999 is not an id"),
    ("a team handle as a list", lambda d: d["teams"][0].update(handle=["a", "b"]), "teams[1]: handle must be text"),
    ("a name as a dict", lambda d: d["people"][0].update(name={"first": "Ada"}), "person ada: name must be text"),
    ("an archived team with open work", lambda d: _team(d, "payments").update(archived=True),
     "team payments: archived, yet payments still has open priorities P-3, P-4; open dependencies D-1, D-3"),
    ("a team under its own child", lambda d: _team(d, "product").update(parent="payments"),
     "team product: payments is below product"),
    ("an unknown section", lambda d: d.update(extras=[]), "file: unknown section 'extras'"),
    ("an unknown field", lambda d: d["priorities"][0].update(colour="red"), "P-1: unknown field 'colour'"),
    ("done at 40%", lambda d: next(p for p in d["priorities"] if p["status"] == "done").update(progress=40),
     "P-6: Done means 100% progress"),
    ("a zone of 1,001 characters", lambda d: d["people"][0].update(tz="x" * 1001),
     "person ada: tz: 'xxxxx"),  # found by the property: ZoneInfo raised OSError (file name too long)
    ("a zone in lower case", lambda d: d["people"][0].update(tz="europe/berlin"), "is written 'Europe/Berlin'"),
    ("a forged confidence in the trail",
     lambda d: next(e for e in d["events"] if e["kind"] == "priority.updated")["data"]["after"].update(
         confidence="high"), "confidence 'high' is not a value `priority update` writes"),
]  # fmt: skip


@pytest.mark.parametrize(("what", "change", "says"), CASES, ids=[c[0] for c in CASES])
def test_each_bad_file_is_refused_naming_its_record(
    world: tuple[Flotilla, dict[str, Any]], what: str, change: Any, says: str
) -> None:
    app, base = world
    data = copy.deepcopy(base)
    change(data)
    name, refused = load(app, data)
    assert refused is not None, f"{what}: accepted"
    assert says in refused.message, refused.message
    assert refused.message.startswith("The export file is refused: ") and "Nothing was imported." in refused.message
    assert name not in workspaces(app.engine)
