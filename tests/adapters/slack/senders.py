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
STOP_AFTER_IDLE = 3.0
"""A sender stops once the outbox has had nothing pending for this long (seconds)."""


def send_until_done(url: str, workspace: str, api_url: str) -> None:
    engine = make_engine(url)
    factory = SqlUnitOfWorkFactory(engine)
    claims = SlackStore(engine)
    claims.create_tables()
    delivery = SlackDelivery(workspace, plain_client(BOT_TOKEN, api_url), PostedMessages(store=claims))
    idle_since = None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        drain(factory, workspace, delivery, datetime.now(UTC), lease=LEASE, batch=5)
        with engine.connect() as conn:
            pending = conn.execute(text("SELECT count(*) FROM outbox WHERE state = 'pending'")).scalar_one()
        if pending:
            idle_since = None
        elif idle_since is None:
            idle_since = time.monotonic()
        elif time.monotonic() - idle_since > STOP_AFTER_IDLE:
            break
        time.sleep(0.1)
    engine.dispose()
