"""Fixtures for every test.

Tests ignore the shell: the platform variables (SLACK_*, MICROSOFT_*, OPENAI_*, FLOTILLA_*) and a
developer's `.env` never reach Settings (as bolt-python's tests/utils.py `remove_os_env_temporarily`).

Storage: every test that takes `database_url`, `engine` or `uow_factory` runs once on a
fresh SQLite file and once on a fresh PostgreSQL schema.

PostgreSQL comes from FLOTILLA_TEST_POSTGRES_URL (for example
postgresql+psycopg://postgres@127.0.0.1:5432/postgres). The session creates its own database
there, gives each test its own schema in it, and drops the database at the end. Without the
variable the PostgreSQL cases skip with the reason.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url

from storage.engine import make_engine, normalize_url
from storage.uow import SqlUnitOfWorkFactory
from tests.schemas import scratch_schema

POSTGRES_ENV = "FLOTILLA_TEST_POSTGRES_URL"
SHELL_PREFIXES = ("SLACK_", "MICROSOFT_", "OPENAI_", "FLOTILLA_", "PROMETHEUS_MULTIPROC_DIR")
KEPT = ("FLOTILLA_TEST_", "FLOTILLA_REGEN_")
"""The test suite's own switches: the PostgreSQL server to use, regenerating transcripts."""


@pytest.fixture(autouse=True)
def ignore_the_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test starts without the shell's platform settings or a `.env` file."""
    from bot.settings import Settings

    for name in list(os.environ):
        if name.startswith(SHELL_PREFIXES) and not name.startswith(KEPT):
            monkeypatch.delenv(name)
    monkeypatch.setitem(Settings.model_config, "env_file", None)


BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """URL of a database created for this test session (dropped afterwards)."""
    server = os.environ.get(POSTGRES_ENV)
    if not server:
        pytest.skip(f"{POSTGRES_ENV} is not set: no PostgreSQL server to test against")
    name = f"flotilla_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalize_url(server), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield make_url(normalize_url(server)).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _fresh_schema(database_url: str) -> str:
    """A new empty schema in the session database; the URL makes it the connection's search_path."""
    return scratch_schema(database_url)[0]


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """URL of an empty database, not yet migrated."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'flotilla.db'}"
    return _fresh_schema(request.getfixturevalue("postgres_database"))


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def uow_factory(engine: Engine) -> SqlUnitOfWorkFactory:
    return SqlUnitOfWorkFactory(engine)
