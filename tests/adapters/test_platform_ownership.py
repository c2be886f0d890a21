"""A workspace belongs to the platform that first ran a command in it: its outbox is that
platform's to deliver, and the console (on the same database) prints none of it."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

from bot.bootstrap import build
from bot.console import Console
from bot.conversation import Conversation
from bot.grammar import SlackMentions
from core.admins import grant_platform_admin
from core.context import PersonInfo
from core.fakes import FixedClock
from core.ports import PENDING
from core.service import PLATFORM

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_the_console_leaves_a_slack_workspace_outbox_to_slack(tmp_path: Path) -> None:
    app = build(database_url=f"sqlite:///{tmp_path / 'owned.db'}")
    try:
        slack = Conversation(app.uow_factory, "T0ACME", SlackMentions(), lambda h: PersonInfo(h, h.lower()),
                             platform="slack")  # fmt: skip
        grant_platform_admin(app.uow_factory, "T0ACME", PersonInfo("U0ADA", "ada"), NOW, "Slack workspace admin")
        for text, channel in (('team create pay "Pay"', "C0PAY"), ('team create ledger "Ledger"', "C0LEDGER"),
                              ("team add ledger <@U0LEO> --lead", None), ("team add pay <@U0ADA>", None),
                              ('dep request ledger "API keys" --by 2026-12-04 --team pay', None)):  # fmt: skip
            assert not slack.handle(text, "U0ADA", NOW, channel).refused, text
        with app.uow_factory("T0ACME") as uow:
            assert uow.settings.get(PLATFORM) == "slack"
            pending = [m.key for m in uow.outbox.list(PENDING)]
        assert pending  # the request waits for the providing team's channel and leads

        out = io.StringIO()
        console = Console(app.uow_factory, FixedClock(NOW), "U0ADA", workspace="T0ACME", out=out)
        console.command("dep list")
        assert "belongs to slack" in out.getvalue()
        with app.uow_factory("T0ACME") as uow:
            assert [m.key for m in uow.outbox.list(PENDING)] == pending  # nothing taken, nothing marked sent
    finally:
        app.close()


def test_a_refused_first_command_binds_nothing(tmp_path: Path) -> None:
    app = build(database_url=f"sqlite:///{tmp_path / 'new.db'}")
    try:
        slack = Conversation(app.uow_factory, "T0NEW", SlackMentions(), lambda h: PersonInfo(h, h.lower()),
                             platform="slack")  # fmt: skip
        assert slack.handle('team create pay "Pay"', "U0BOB", NOW, "C0PAY").refused  # bob is no admin
        with app.uow_factory("T0NEW") as uow:
            assert uow.settings.get(PLATFORM) is None and uow.people.list() == []
    finally:
        app.close()
