"""Property: whatever anyone types, a refused command leaves the database exactly as it was.

Runs the real console flow (grammar -> core -> SQLite) on a seeded organisation and compares the
workspace export, byte for byte, before and after every refused command. Accepted commands are
allowed to change things, so the organisation drifts as hypothesis explores.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.bootstrap import Flotilla, build
from bot.console import Console
from core.fakes import FixedClock
from core.transfer import export_workspace

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
SEED = [
    'team create payments "Payments"', 'team create ledger "Ledger" --parent payments', 'team create search "Search"',
    "team add payments @bob --lead", "team add ledger @lena", "team add search @sam --lead",
    'priority add "Revenue" --team org', '@bob: priority add "Checkout" --parent P-1 --owner @bob --due +3w',
    '@bob: dep request ledger "Keys" --by +1w --for P-2', "@lena: dep accept D-1",
    '@bob: dep request search "Index" --by +2w', '@lena: blocker add "stuck" --on D-1',
]  # fmt: skip

WORDS = st.sampled_from([
    "help", "me", "admin", "add", "remove", "team", "create", "show", "list", "priority", "update", "align",
    "done", "drop", "dep", "request", "accept", "decline", "block", "unblock", "cancel", "blocker", "resolve",
    "history", "standup", "rhythm", "--team", "--owner", "--parent", "--due", "--outcome", "--status",
    "--confidence", "--progress", "--note", "--to", "--by", "--for", "--commit", "--lead", "--incoming",
    "--outgoing", "--all", "--since", "--json", "--on", "payments", "ledger", "search", "nowhere", "org",
    "P-1", "P-2", "P-3", "P-99", "p-2", "D-1", "D-2", "D-3", "d-1", "B-1", "B-7", "@bob", "@lena", "@sam",
    "@ada", "@zed", "@", "fri", "today", "2020-01-01", "2027-02-30", "+3d", "-1w", "+99999d", "0", "50", "100",
    "140", "-5", "on-track", "at-risk", "done", '"two words"', '""', '"unterminated', "“curly”", "<!here>",
    "@channel", "—team", "x" * 300,
])  # fmt: skip
NEW_NAMES = st.from_regex(r"[a-z]{2,8}", fullmatch=True)
TEMPLATES = [
    "admin add {person}", "admin remove {person}", "team create {team} {quoted}",
    "team create {team} {quoted} --parent {team}", "team add {team} {person} {person}",
    "team add {team} {person} --lead",
    "team remove {team} {person}", "priority add {quoted} --team {team}",
    "priority add {quoted} --owner {person} --parent {P} --due {date}",
    "priority update {P} --status {status} --confidence {num}", "priority update {P} --progress {num} --owner {person}",
    "priority update {P} --due {date} --note {quoted}", "priority align {P} --to {P}", "priority done {P}",
    "priority drop {P} {quoted}", "dep request {team} {quoted} --by {date} --for {P}",
    "dep request {team} {quoted} --by {date} --team {team}", "dep accept {D} --commit {date} --owner {person}",
    "dep accept {D}", "dep decline {D} {quoted}", "dep block {D} {quoted}", "dep unblock {D}", "dep done {D}",
    "dep cancel {D}", "blocker add {quoted} --on {target}", "blocker add {quoted} --team {team}", "blocker resolve {B}",
]  # fmt: skip
PEOPLE = st.one_of(st.sampled_from(["@ada", "@bob", "@lena", "@sam"]), NEW_NAMES.map("@{}".format))
TEAMS = st.sampled_from(["payments", "ledger", "search", "nowhere", "org"])
FILL = {
    "person": PEOPLE, "team": TEAMS, "quoted": st.sampled_from(['"Keys"', '"x y"', '""', '"<!here> now"']),
    "P": st.sampled_from(["P-1", "P-2", "P-3", "P-9"]), "D": st.sampled_from(["D-1", "D-2", "D-3", "D-9"]),
    "B": st.sampled_from(["B-1", "B-2", "B-9"]), "date": st.sampled_from(["fri", "+1w", "2020-01-01", "+3d", "today"]),
    "status": st.sampled_from(["on-track", "at-risk", "done", "dropped"]), "num": st.sampled_from(["0", "60", "101"]),
    "target": st.sampled_from(["D-1", "P-2", "D-9", "ledger", "nowhere"]),
}  # fmt: skip


@st.composite
def templated(draw: st.DrawFn) -> str:
    """Mostly well-formed commands with values that are often wrong: their refusals come from the core."""
    text: str = draw(st.sampled_from(TEMPLATES))
    while "{" in text:
        key = text[text.index("{") + 1 : text.index("}")]
        text = text.replace("{" + key + "}", draw(FILL[key]), 1)
    return text


SENTENCES = st.one_of(
    st.lists(st.one_of(WORDS, NEW_NAMES.map("@{}".format)), min_size=1, max_size=9).map(" ".join),
    templated(),
    templated(),
)
SPEAKERS = st.one_of(st.sampled_from(["ada", "bob", "lena", "sam"]), NEW_NAMES)


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Console, Flotilla]]:
    db = tmp_path_factory.mktemp("prop") / "prop.db"
    app = build(database_url=f"sqlite:///{Path(db)}")
    c = Console(app.uow_factory, FixedClock(NOW), "ada")
    for text in SEED:
        speaker, _, rest = text[1:].partition(": ") if text.startswith("@") else ("ada", "", text)
        assert not c.command(rest, speaker).refused, text
    yield c, app
    app.close()


def snapshot(app: Flotilla) -> str:
    with app.uow_factory("console") as uow:
        return json.dumps(export_workspace(uow), sort_keys=True)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(SENTENCES, st.text(max_size=200)), speaker=SPEAKERS)
def test_a_refused_command_changes_nothing(console: tuple[Console, Flotilla], text: str, speaker: str) -> None:
    c, app = console
    before = snapshot(app)
    outcome = c.command(text, speaker)
    if outcome.refused:
        assert snapshot(app) == before
        rendered = " ".join("".join(str(s) for s in ln) for ln in outcome.reply.lines)
        assert "\n" not in rendered and rendered.strip()
