"""adapter tables in the migrations: one dedupe table for Slack and Teams; Slack's jobs, homes and posts

Revision ID: 0011
Revises: 0005
Create Date: 2026-12-06 13:10:00

These tables were created by each adapter at start (CREATE TABLE IF NOT EXISTS), which races when
several processes start together on PostgreSQL. Databases that have them keep them (and their rows);
the two claim tables become one, `dedupe` (their keys only matter for minutes).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.tables import UtcDateTime

# revision identifiers, used by Alembic.
revision: str = '0011'
down_revision: str | Sequence[str] | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_CLAIMS = ('flotilla_slack_claims', 'flotilla_teams_seen')


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    op.create_table(
        'dedupe',
        sa.Column('key', sa.String(length=255), nullable=False),
        sa.Column('claimed_at', UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_dedupe')),
    )
    op.create_index('ix_dedupe_claimed_at', 'dedupe', ['claimed_at'])
    if 'flotilla_slack_homes' not in existing:
        op.create_table(
            'flotilla_slack_homes',
            sa.Column('workspace', sa.String(length=64), nullable=False),
            sa.Column('user_id', sa.String(length=64), nullable=False),
            sa.Column('opened_at', UtcDateTime(), nullable=False),
            sa.PrimaryKeyConstraint('workspace', 'user_id', name=op.f('pk_flotilla_slack_homes')),
        )
    if 'flotilla_slack_posts' not in existing:
        op.create_table(
            'flotilla_slack_posts',
            sa.Column('workspace', sa.String(length=64), nullable=False),
            sa.Column('key', sa.String(length=255), nullable=False),
            sa.Column('channel', sa.String(length=64), nullable=False),
            sa.Column('ts', sa.String(length=32), nullable=False),
            sa.PrimaryKeyConstraint('workspace', 'key', name=op.f('pk_flotilla_slack_posts')),
        )
    if 'flotilla_slack_jobs' not in existing:
        op.create_table(
            'flotilla_slack_jobs',
            sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
            sa.Column('kind', sa.String(length=16), nullable=False),
            sa.Column('workspace', sa.String(length=64), nullable=False),
            sa.Column('payload', sa.Text(), nullable=False),
            sa.Column('created_at', sa.Float(), nullable=False),
            sa.Column('leased_until', sa.Float(), nullable=True),
            sa.Column('lease', sa.String(length=32), nullable=True),
            sa.Column('attempts', sa.Integer(), nullable=False),
            sa.PrimaryKeyConstraint('id', name=op.f('pk_flotilla_slack_jobs')),
            sqlite_autoincrement=True,
        )
    for old in OLD_CLAIMS:
        if old in existing:
            op.drop_table(old)


def downgrade() -> None:
    op.drop_table('flotilla_slack_jobs')
    op.drop_table('flotilla_slack_posts')
    op.drop_table('flotilla_slack_homes')
    op.drop_index('ix_dedupe_claimed_at', table_name='dedupe')
    op.drop_table('dedupe')
