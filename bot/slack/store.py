"""What the Slack adapter keeps in Flotilla's database besides the domain: claims against Slack's
redeliveries (an event retried after a timeout, a double click, a double submit: storage.dedupe),
who looks at their App Home, where messages were posted, and the OAuth installs (slack_sdk's own
stores, with their own MetaData). All but the OAuth stores' tables come from the migrations."""

from __future__ import annotations

from datetime import datetime

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine, and_, desc, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from storage.dedupe import MAX_KEY, Dedupe
from storage.engine import READ_ONLY
from storage.migrate import ensure_schema
from storage.tables import SLACK_HOMES, SLACK_POSTS


class SlackStore(Dedupe):
    """Slack's redeliveries made harmless (storage.dedupe), and what the Slack adapter keeps besides:
    who looks at their App Home, where outbox messages were posted."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self.homes = SLACK_HOMES
        self.posts = SLACK_POSTS

    def create_tables(self) -> None:
        """The tables are the migrations' (storage.migrate): brought to head if need be."""
        ensure_schema(self.engine)

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
