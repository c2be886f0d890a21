"""What the Slack adapter keeps in Flotilla's database besides the domain: claims and OAuth installs.

Claims make Slack's redeliveries harmless: an event retried after a timeout (same event_id), a
double click on a button, a notice sent again. The first process to insert the key acts; every
other replica and every retry finds it taken. The tables live in their own MetaData (like
slack_sdk's OAuth stores) and are created on start with CREATE TABLE IF NOT EXISTS semantics.
"""

from __future__ import annotations

from datetime import datetime

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Engine,
    MetaData,
    String,
    Table,
    and_,
    delete,
    desc,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from storage.engine import READ_ONLY

CLAIMS_TABLE = "flotilla_slack_claims"
HOMES_TABLE = "flotilla_slack_homes"
POSTS_TABLE = "flotilla_slack_posts"
MAX_KEY = 255


class Claims:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.metadata = MetaData()
        self.table = Table(
            CLAIMS_TABLE,
            self.metadata,
            Column("key", String(MAX_KEY), primary_key=True),
            Column("claimed_at", DateTime(timezone=True), nullable=False, index=True),
        )
        self.homes = Table(
            HOMES_TABLE,
            self.metadata,
            Column("workspace", String(64), primary_key=True),
            Column("user_id", String(64), primary_key=True),
            Column("opened_at", DateTime(timezone=True), nullable=False),
        )
        self.posts = Table(
            POSTS_TABLE,
            self.metadata,
            Column("workspace", String(64), primary_key=True),
            Column("key", String(MAX_KEY), primary_key=True),
            Column("channel", String(64), nullable=False),
            Column("ts", String(32), nullable=False),
        )

    def create_tables(self) -> None:
        self.metadata.create_all(self.engine)

    def claim(self, key: str, now: datetime) -> bool:
        """True for the first caller with this key, False for every later one (any process)."""
        try:
            with self.engine.begin() as conn:
                self.claim_in(conn, key, now)
        except IntegrityError:
            return False
        return True

    def claim_in(self, conn: Connection, key: str, now: datetime) -> None:
        """`claim` in the caller's transaction: IntegrityError when the key is taken."""
        conn.execute(insert(self.table).values(key=key[:MAX_KEY], claimed_at=now))

    def claim_new(self, conn: Connection, key: str, now: datetime) -> bool:
        """`claim_in` that answers False, instead of failing the caller's transaction, when the key
        is taken (INSERT … ON CONFLICT DO NOTHING): other work in that transaction goes on."""
        insert_ = sqlite_insert if conn.dialect.name == "sqlite" else postgresql_insert
        stmt = insert_(self.table).values(key=key[:MAX_KEY], claimed_at=now).on_conflict_do_nothing()
        return conn.execute(stmt.returning(self.table.c.key)).first() is not None

    def release(self, key: str) -> None:
        """Give a key back when the work it guarded failed, so that a retry may do it."""
        with self.engine.begin() as conn:
            conn.execute(delete(self.table).where(self.table.c.key == key[:MAX_KEY]))

    def prune(self, before: datetime) -> int:
        """Forget claims older than Slack's retry window (it stops retrying after about an hour)."""
        with self.engine.begin() as conn:
            return conn.execute(delete(self.table).where(self.table.c.claimed_at < before)).rowcount or 0

    def remember_post(self, workspace: str, key: str, channel: str, ts: str) -> None:
        """Where an outbox message was posted (a digest, say): later answers go in its thread, from
        whichever process sends them, after a restart too."""
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(self.posts).values(workspace=workspace, key=key[:MAX_KEY], channel=channel, ts=ts))
        except IntegrityError:
            pass  # posted again (a retried send): the first post keeps the thread

    def find_post(self, workspace: str, key: str) -> tuple[str, str] | None:
        q = select(self.posts.c.channel, self.posts.c.ts).where(
            (self.posts.c.workspace == workspace) & (self.posts.c.key == key[:MAX_KEY])
        )
        with self.engine.connect().execution_options(**{READ_ONLY: True}) as conn:
            row = conn.execute(q).first()  # called inside an outbox row's transaction: never wait for the lock
        return (row.channel, row.ts) if row is not None else None

    def home_opened(self, workspace: str, user: str, now: datetime) -> None:
        """Remember who looks at their App Home: only their views are republished on changes."""
        key = (self.homes.c.workspace == workspace) & (self.homes.c.user_id == user)
        with self.engine.begin() as conn:
            if conn.execute(update(self.homes).where(key).values(opened_at=now)).rowcount:
                return
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(self.homes).values(workspace=workspace, user_id=user, opened_at=now))
        except IntegrityError:
            pass  # another replica recorded it at the same moment

    def home_viewers(self, workspace: str, users: list[str], since: datetime) -> list[str]:
        if not users:
            return []
        q = select(self.homes.c.user_id).where(
            (self.homes.c.workspace == workspace) & self.homes.c.user_id.in_(users) & (self.homes.c.opened_at >= since)
        )
        with self.engine.connect() as conn:
            found = {row[0] for row in conn.execute(q)}
        return [u for u in users if u in found]


def oauth_stores(engine: Engine, client_id: str) -> tuple[SQLAlchemyInstallationStore, SQLAlchemyOAuthStateStore]:
    """slack_sdk's SQLAlchemy stores on Flotilla's engine; their tables are created if missing."""
    installations = SQLAlchemyInstallationStore(client_id=client_id, engine=engine)
    states = SQLAlchemyOAuthStateStore(expiration_seconds=600, engine=engine)
    installations.create_tables()  # type: ignore[no-untyped-call]
    states.create_tables()  # type: ignore[no-untyped-call]
    return installations, states


def installed_bot_token(installations: SQLAlchemyInstallationStore, workspace: str) -> str | None:
    """The bot token of the latest install that a workspace name (SPEC: a team id, or an Enterprise
    id for an org-wide install) stands for. Slack keys installs by enterprise id AND team id: a
    workspace of an Enterprise Grid org that installed the app by itself is stored with both, and
    slack_sdk's `find_bot(enterprise_id=None, team_id=...)` never finds it. Outside a request (a
    queued command, a delivery) only the name is known, so the row is looked up by it."""
    c = installations.bots.c
    team_install = and_(c.team_id == workspace, c.is_enterprise_install.is_(False))
    org_install = and_(c.enterprise_id == workspace, c.is_enterprise_install.is_(True))
    q = (
        select(c.bot_token)
        .where(c.client_id == installations.client_id, c.bot_token.is_not(None), or_(team_install, org_install))
        .order_by(desc(c.installed_at), desc(c.id))
        .limit(1)
    )
    with installations.engine.connect() as conn:
        token = conn.execute(q).scalar()
    return str(token) if token else None
