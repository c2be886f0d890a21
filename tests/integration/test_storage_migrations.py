"""Migrations build the schema the tables describe, on any empty database, any number of times."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect
from sqlmodel import SQLModel

from core.model import Person
from core.rhythm import RunKind, Step
from storage import ensure_schema, migrate, upgrade
from storage.engine import make_engine, normalize_url
from storage.migrate import current_revisions, downgrade, head_revisions
from storage.uow import SqlUnitOfWorkFactory

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

TABLES = {
    "workspace",
    "person",
    "team",
    "team_member",
    "priority",
    "dependency",
    "blocker",
    "event",
    "id_sequence",
    "workspace_setting",
    "conversation_ref",
    "offered_file",
    "rhythm",
    "rhythm_skip",
    "away",
    "checkin_run",
    "checkin_response",
    "rhythm_claim",
    "outbox",
    "dedupe",
    "flotilla_slack_homes",
    "flotilla_slack_posts",
    "flotilla_slack_jobs",
    "risk_ack",
    "briefing",
    "briefing_claim",
    "slip_alert",
    "alembic_version",
}


def table_names(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def test_upgrade_builds_every_table_and_is_idempotent(engine: Engine) -> None:
    assert table_names(engine) == set()
    assert current_revisions(engine) == set()
    upgrade(engine)
    assert table_names(engine) == TABLES
    assert current_revisions(engine) == head_revisions()
    upgrade(engine)
    ensure_schema(engine)
    assert current_revisions(engine) == head_revisions()


def test_migrations_match_the_tables(engine: Engine) -> None:
    """What `alembic revision --autogenerate` would write next: nothing."""
    upgrade(engine)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []


def test_downgrade_to_base_and_back(engine: Engine) -> None:
    upgrade(engine)
    downgrade(engine, "base")
    assert table_names(engine) == {"alembic_version"}
    assert current_revisions(engine) == set()
    upgrade(engine)
    assert table_names(engine) == TABLES


def test_factory_migrates_a_new_database_on_first_use(engine: Engine) -> None:
    factory = SqlUnitOfWorkFactory(engine)
    assert table_names(engine) == set()
    with factory("acme") as uow:
        assert uow.people.list() == []
    assert current_revisions(engine) == head_revisions()


def test_in_memory_sqlite_migrates() -> None:
    engine = make_engine("sqlite://")
    ensure_schema(engine)
    assert table_names(engine) == TABLES
    engine.dispose()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@db:5432/flotilla", "postgresql+psycopg://u:p@db:5432/flotilla"),
        ("postgresql://u@db/flotilla", "postgresql+psycopg://u@db/flotilla"),
        ("postgresql+psycopg://u@db/flotilla", "postgresql+psycopg://u@db/flotilla"),
        ("sqlite:///flotilla.db", "sqlite:///flotilla.db"),
    ],
)
def test_database_urls_are_normalised(given: str, expected: str) -> None:
    assert normalize_url(given) == expected


def test_postgres_url_gets_the_psycopg_driver() -> None:
    engine = make_engine("postgres://u:p@db.invalid/flotilla")  # no connection is made
    assert engine.dialect.driver == "psycopg"
    engine.dispose()


def test_unknown_database_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported"):
        make_engine("mysql://u@db/flotilla")


def test_sqlite_table_rebuild_in_a_migration_keeps_the_rows_that_reference_it(tmp_path: Path) -> None:
    """A future batch migration that rebuilds `workspace` must not cascade-delete its children."""
    engine = make_engine(f"sqlite:///{tmp_path / 'flotilla.db'}")
    with SqlUnitOfWorkFactory(engine)("acme") as uow:
        uow.people.save(Person("U1", "Al"))
        uow.commit()

    def rebuild_workspace_table(config: Config) -> None:
        context = MigrationContext.configure(config.attributes["connection"])
        with Operations(context).batch_alter_table("workspace", recreate="always"):
            pass

    migrate._migrate(engine, rebuild_workspace_table)
    with SqlUnitOfWorkFactory(engine)("acme") as uow:
        assert uow.people.list() == [Person("U1", "Al")]
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_0006_keeps_every_row_and_forgets_only_the_zones_nobody_gave(engine: Engine) -> None:
    """Console people got 'UTC' for want of a zone before 0006; Slack's people keep what Slack said."""
    from sqlalchemy import text

    upgrade(engine, "0004")
    with engine.begin() as conn:
        for stmt in (
            "INSERT INTO workspace (name, tz, created_at) VALUES ('console', 'UTC', '2026-11-23 09:00:00'), "
            "('T1', 'UTC', '2026-11-23 09:00:00')",
            "INSERT INTO workspace_setting (workspace_id, key, value) VALUES (2, 'platform', '\"slack\"')",
            "INSERT INTO person (workspace_id, handle, name, tz, admin) VALUES (1, 'ada', 'ada', 'UTC', true), "
            "(2, 'U1', 'Al', 'UTC', false), (2, 'U2', 'Bea', 'Europe/Berlin', false)",
            "INSERT INTO team (workspace_id, handle, name) VALUES (1, 'pay', 'Pay')",
            "INSERT INTO team_member (workspace_id, team, person, is_member, is_lead) VALUES (1, 'pay', 'ada', true, "
            "false)",
            "INSERT INTO rhythm_claim (workspace_id, team, kind, period, step, claimed_at, outcome) VALUES "
            "(1, 'pay', 'standup', '2026-11-23', 'prompt', '2026-11-23 08:30:00', 'done')",
        ):  # fmt: skip
            conn.execute(text(stmt))
    upgrade(engine)
    factory = SqlUnitOfWorkFactory(engine)
    with factory("console") as uow:
        [ada] = uow.people.list()
        assert (ada.tz, ada.tz_pinned, ada.admin) == (None, False, True)
        [team] = uow.teams.list()
        assert (team.members, team.archived) == (["ada"], False)
        assert uow.claims.list() == [("pay", "standup", "2026-11-23", "prompt", "done")]
        assert not uow.claims.claim("pay", RunKind.STANDUP, "2026-11-23", Step.PROMPT, NOW)
    with factory("T1") as uow:
        assert [(p.handle, p.tz) for p in uow.people.list()] == [("U1", "UTC"), ("U2", "Europe/Berlin")]
    downgrade(engine, "0004")
    upgrade(engine)
