"""The WSGI deployment: the Slack app serves commands and `flotilla scheduler`, a process of its own,
ticks the rhythm. The scheduler delivers the Slack workspace's prompts through Slack (it has the
token), prints only the console workspace's, and marks nothing sent that it did not send."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter

from core.ports import SENT
from tests.adapters.slack.conftest import BOT_TOKEN, CHANNELS, PEOPLE, SIGNING_SECRET, TEAM, Slack

ADA, BOB, PIA = PEOPLE["ada"], PEOPLE["bob"], PEOPLE["pia"]
CONSOLE_SETUP = "\n".join([
    'team create ledger "Ledger"', "team add ledger @lena --lead", "team add ledger @leo",
    "@lena: rhythm set standup --days mon-fri --at 09:30 --tz Europe/Berlin",
])  # fmt: skip


def flotilla(*args: str, db: str, env: dict[str, str] | None = None,
             stdin: str | None = None) -> subprocess.CompletedProcess[str]:  # fmt: skip
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "FLOTILLA_"))}
    return subprocess.run([sys.executable, "-m", "bot.cli", *args, "--db", db], input=stdin, capture_output=True,
                          text=True, env={**base, **(env or {})}, timeout=120)  # fmt: skip


def test_the_scheduler_beside_a_wsgi_app_delivers_through_slack(slack: Slack) -> None:
    slack.command(ADA, 'team create payments "Payments"', CHANNELS["payments"])
    slack.command(ADA, f"team add payments <@{BOB}|bob> --lead")
    slack.command(ADA, f"team add payments <@{PIA}|pia>")
    slack.command(BOB, "rhythm set standup --days mon-fri --at 09:30 --tz Europe/Berlin")
    slack.service.settle()
    assert slack.service.pump is not None
    slack.service.pump.stop()  # from here on only the scheduler process may send
    db = str(slack.flotilla.engine.url)
    made = flotilla("console", "--as", "ada", "--clock", "fake", "--now", "2026-11-23T07:00Z", "--workspace",
                    "console", db=db, stdin=CONSOLE_SETUP)  # fmt: skip
    assert made.returncode == 0, made.stderr
    before = len(slack.standin.messages)

    slack_env = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                 "FLOTILLA_SLACK_API_URL": slack.standin.api_url}  # fmt: skip
    ran = flotilla("scheduler", "--once", "--now", "2026-11-23T08:31Z", db=db, env=slack_env)
    assert ran.returncode == 0, ran.stderr

    prompts = [m for m in slack.standin.messages[before:] if "Stand-up" in (m.get("text") or "")]
    assert sorted(m["channel"] for m in prompts) == sorted(["D" + BOB[1:], "D" + PIA[1:]])  # their DMs
    assert "[to @lena]" in ran.stdout and "[to @leo]" in ran.stdout  # the console workspace: printed
    assert BOB not in ran.stdout and PIA not in ran.stdout  # nothing of Slack's printed
    with slack.flotilla.uow_factory(TEAM) as uow:
        states = Counter(m.state for m in uow.outbox.list() if ":prompt:" in m.key)
    assert states == Counter({SENT: 2})

    again = flotilla("scheduler", "--once", "--now", "2026-11-23T08:32Z", db=db, env=slack_env)
    assert again.returncode == 0 and again.stdout == ""
    assert len([m for m in slack.standin.messages if "Stand-up" in (m.get("text") or "")]) == 2  # once


def test_without_slack_credentials_the_scheduler_leaves_slack_messages_alone(slack: Slack) -> None:
    """A scheduler that cannot reach Slack queues the prompts and leaves them for a process that can:
    it neither prints them nor marks them sent."""
    slack.command(ADA, 'team create payments "Payments"', CHANNELS["payments"])
    slack.command(ADA, f"team add payments <@{BOB}|bob> --lead")
    slack.command(BOB, "rhythm set standup --days mon-fri --at 09:30 --tz Europe/Berlin")
    slack.service.settle()
    assert slack.service.pump is not None
    slack.service.pump.stop()
    db = str(slack.flotilla.engine.url)
    ran = flotilla("scheduler", "--once", "--now", "2026-11-23T08:31Z", db=db)
    assert ran.returncode == 0 and BOB not in ran.stdout, ran.stdout
    with slack.flotilla.uow_factory(TEAM) as uow:
        prompts = [m for m in uow.outbox.list() if ":prompt:" in m.key]
    assert [m.state for m in prompts] == ["pending"] and prompts[0].attempts == 0
