"""Scratch PostgreSQL schemas for tests and benchmarks: each run gets its own, so runs that share
one server (CI, several engineers' suites, a benchmark beside them) never see each other's rows."""

from __future__ import annotations

import uuid

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from storage.engine import normalize_url


def scratch_schema(server: str, prefix: str = "t") -> tuple[str, str]:
    """Create an empty schema on `server`; the URL that makes it the connection's search_path, and its name."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalize_url(server))
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    finally:
        admin.dispose()
    url = make_url(normalize_url(server)).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False), schema


def drop_schema(server: str, schema: str) -> None:
    admin = create_engine(normalize_url(server))
    try:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()
