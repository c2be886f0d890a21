"""`flotilla outbox`: what waits, what was set aside and why, and sending it again (real processes)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.bootstrap import build
from core.fakes import RecordingDelivery
from core.outbox import drain
from core.ports import FAILED, PENDING, DeliveryError, OutboxMessage
from core.reply import line
from tests.adapters.test_cli import flotilla

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_list_failed_and_retry(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'out.db'}"
    app = build(database_url=db)
    with app.uow_factory("acme") as uow:
        for key, to in (("welcome", {"person": "bob"}), ("digest", {"channel": "payments"})):
            uow.outbox.add(OutboxMessage(key=key, lines=(line(key),), created_at=NOW, next_attempt_at=NOW, **to))
        uow.commit()
    refusing = RecordingDelivery()
    refusing.fail = [DeliveryError("Slack: channel_not_found", permanent=True)]
    drain(app.uow_factory, "acme", refusing, NOW, limit=1)  # the welcome is refused for good
    app.close()

    listed = flotilla("outbox", db=db)
    assert listed.returncode == 0, listed.stderr
    assert "acme  console  to #payments  digest" in listed.stdout and "1 message waiting." in listed.stdout

    failed = flotilla("outbox", "failed", db=db)
    assert "to @bob  welcome" in failed.stdout and "last error: Slack: channel_not_found" in failed.stdout
    number = failed.stdout.split()[0]

    assert flotilla("outbox", "retry", "999", db=db).returncode == 2  # not a set-aside message
    assert flotilla("outbox", "retry", db=db).returncode == 2  # neither a number nor --all
    unknown = flotilla("outbox", "list", "--workspace", "nosuch", db=db)
    assert unknown.returncode == 2 and "no workspace 'nosuch'" in unknown.stderr

    again = flotilla("outbox", "retry", number, db=db)
    assert again.returncode == 0 and "Put 1 message back in line" in again.stdout
    app = build(database_url=db)
    with app.uow_factory("acme") as uow:
        states = {m.key: (m.state, m.attempts) for m in uow.outbox.list()}
    app.close()
    assert states == {"welcome": (PENDING, 0), "digest": (PENDING, 0)} and FAILED not in str(states)
    assert flotilla("outbox", "failed", db=db).stdout.strip() == "Nothing was set aside."
