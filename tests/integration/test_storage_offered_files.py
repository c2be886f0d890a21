"""Files offered in chat wait for their one reader, on SQLite and PostgreSQL, for a day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from storage.offered_files import SqlOfferedFiles

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_an_offered_file_is_kept_for_its_reader_until_removed_or_a_day_old(engine: Engine) -> None:
    files = SqlOfferedFiles(engine, "teams")
    content = '{"teams": ["payments"], "note": "支払い 🚀"}' * 1000
    key = files.offer("T1", "ada", "flotilla-team-list.json", content, NOW)
    found = files.get("T1", key, "ada", NOW + timedelta(hours=23))
    assert found is not None and (found.name, found.content) == ("flotilla-team-list.json", content)
    assert files.get("T1", key, "eve", NOW) is None  # another person
    assert files.get("T2", key, "ada", NOW) is None  # another workspace
    assert files.get("T1", key, "ada", NOW + timedelta(days=1, seconds=1)) is None  # too old
    files.remove("T1", key)
    assert files.get("T1", key, "ada", NOW) is None
    old = files.offer("T1", "ada", "a.json", "{}", NOW)
    files.offer("T1", "ada", "b.json", "{}", NOW + timedelta(days=2))  # a new offer prunes what is a day old
    assert files.get("T1", old, "ada", NOW) is None
