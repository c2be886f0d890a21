"""Alembic migrations. A package so that `pip install` ships env.py with the revisions."""
