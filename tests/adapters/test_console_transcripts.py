"""Console transcripts: each file in transcripts/ is a conversation exactly as the console prints it.

Lines `@name> text` are what people type, lines starting with `!` are console meta-lines, every
other line is what the bot must answer. Each file runs on a fresh SQLite database with a fake
clock starting at the time on its first line (`# now: ISO`). Set FLOTILLA_REGEN_TRANSCRIPTS=1 to
rewrite the expected output after a deliberate change, then read the diff before committing.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest

from bot.bootstrap import build
from bot.clock import parse_instant
from bot.console import Console
from core.fakes import FixedClock

HERE = Path(__file__).parent / "transcripts"
INPUT = re.compile(r"^@([a-z0-9][a-z0-9._-]*)> (.*)$")
FILES = sorted(HERE.glob("*.txt"))


def replay(text: str, db_url: str) -> str:
    lines = text.splitlines()
    header = lines[0]
    assert header.startswith("# now: "), "a transcript starts with '# now: ISO'"
    clock = FixedClock(parse_instant(header.removeprefix("# now: ")))
    out = io.StringIO()
    app = build(database_url=db_url)
    try:
        console = Console(app.uow_factory, clock, "ada", out=out, echo=True)
        print(header, file=out)
        for raw in lines[1:]:
            m = INPUT.match(raw)
            if m:
                console.feed(f"@{m.group(1)}: {m.group(2)}")
            elif raw.startswith("!") or (raw.startswith("#") and not raw.startswith("#[")):
                if raw.startswith("#"):
                    print(raw, file=out)
                console.feed(raw)
    finally:
        app.close()
    return out.getvalue()


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_transcript(path: Path, tmp_path: Path) -> None:
    expected = path.read_text(encoding="utf-8")
    actual = replay(expected, f"sqlite:///{tmp_path / 'flotilla.db'}")
    if os.environ.get("FLOTILLA_REGEN_TRANSCRIPTS"):
        path.write_text(actual, encoding="utf-8")
    assert actual == expected
