"""outbox leases: claim, send with no transaction open, record

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 11:40:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0005'
down_revision: str | Sequence[str] | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('outbox') as batch:
        batch.add_column(sa.Column('in_thread', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch.add_column(sa.Column('ephemeral', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column('lease', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch.add_column(sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('uncertain', sa.Boolean(), nullable=False, server_default=sa.false()))
    # What `flotilla outbox list|failed` and the metrics ask across workspaces: by state, oldest first.
    op.create_index('ix_outbox_state_next_attempt_at', 'outbox', ['state', 'next_attempt_at'])


def downgrade() -> None:
    op.drop_index('ix_outbox_state_next_attempt_at', table_name='outbox')
    with op.batch_alter_table('outbox') as batch:
        batch.drop_column('uncertain')
        batch.drop_column('lease_until')
        batch.drop_column('lease')
        batch.drop_column('ephemeral')
        batch.drop_column('in_thread')
