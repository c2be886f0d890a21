"""Child-process code for the delivery fault tests (importable, as `spawn` requires): a sender
process that drains one workspace's outbox into the Slack stand-in until nothing is left."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from bot.slack.delivery import PostedMessages, SlackDelivery, plain_client
from bot.slack.store import SlackStore
from core.outbox import drain
from storage.engine import make_engine
from storage.uow import SqlUnitOfWorkFactory
from tests.adapters.slack.standin import BOT_TOKEN

LEASE = timedelta(seconds=3)
DEADLINE = 120.0
"""A sender gives up after this long (seconds): the test then fails on what is still pending."""


def send_until_done(url: str, workspace: str, api_url: str) -> None:
    """Drain until nothing is pending. Sent and set-aside rows never become pending again, so an
    empty count is the end; while other senders hold the rest (their leases) or a message waits
    for its retry time, wait briefly and look again, within DEADLINE."""
    engine = make_engine(url)
    factory = SqlUnitOfWorkFactory(engine)
    claims = SlackStore(engine)
    claims.create_tables()
    delivery = SlackDelivery(workspace, plain_client(BOT_TOKEN, api_url), PostedMessages(store=claims))
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        done = drain(factory, workspace, delivery, datetime.now(UTC), lease=LEASE, batch=5)
        with engine.connect() as conn:
            pending = conn.execute(text("SELECT count(*) FROM outbox WHERE state = 'pending'")).scalar_one()
        if not pending:
            break
        if not (done.sent or done.retrying or done.failed):
            time.sleep(0.1)  # nothing due for this sender right now: a bounded poll
    engine.dispose()
