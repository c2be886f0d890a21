"""The `flotilla` command as scripts use it: real processes, real SQLite files, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

NOW = "2026-11-23T09:00:00+00:00"


def flotilla(*args: str, db: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
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
    ok = run('team create payments "Payments"', db)
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
         "channel": "payments"}
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
        "people": 3, "teams": 2, "priorities": 2, "dependencies": 1, "blockers": 1, "events": 12,
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
    assert result.returncode == 2 and "malformed" in result.stderr
    assert json.loads(flotilla("export", db=db).stdout)["people"] == []


def test_csv_export_writes_one_file_per_table(db: str, tmp_path: Path) -> None:
    run('team create payments "Payments"', db)
    run("team add payments @bob @carol", db)
    out = tmp_path / "csv"
    result = flotilla("export", "--format", "csv", "--out", str(out), db=db)
    assert result.returncode == 0
    teams = (out / "teams.csv").read_text().splitlines()
    assert teams[0] == "handle,name,parent,leads,members,channel"
    assert teams[1] == "payments,Payments,,,bob carol,payments"
    assert (out / "people.csv").read_text().splitlines()[1:] == ["ada,ada,UTC,true", "bob,bob,UTC,false",
                                                                  "carol,carol,UTC,false"]  # fmt: skip


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
        (("events", 0, "at"), "2026-11-23T09:00:00", "timestamp needs a UTC offset"),
        (("priorities", 0, "confidence"), "high", "confidence must be a whole number"),
        (("priorities", 0, "progress"), 500, "progress must be a whole number"),
        (("teams", 0, "members"), ["ghost"], "unknown person 'ghost'"),
        (("priorities", 0, "team"), "nope", "unknown team 'nope'"),
        (("priorities", 0, "id"), "P-0", "ids start at 1"),
        (("people", 0, "handle"), "Bad Handle!", "not usable"),
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
    assert json.loads(flotilla("export", db=other).stdout)["people"] == []
