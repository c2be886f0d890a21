"""the dependency contract: proposals, re-plans and slip alerts

Revision ID: 0012
Revises: 0006
Create Date: 2026-12-10 10:00:00.000000

- dependency.proposed / proposed_reason: the provider's answer with another date (`dep propose`).
- dependency.replans: every move of the committed date (JSON, oldest first); dependency.revision
  counts the dependency's moves, so that a slip alert names the one change it is about.
- slip_alert: one row per (dependency, change, person), the exactly-once guarantee of slip alerts
  across scheduler processes and restarts.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op


# revision identifiers, used by Alembic.
revision: str = '0012'
down_revision: str | Sequence[str] | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('dependency', schema=None) as batch_op:
        batch_op.add_column(sa.Column('proposed', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('proposed_reason', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column('replans', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('revision', sa.Integer(), nullable=False, server_default='0'))
    op.create_table('slip_alert',
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('dependency', sa.Integer(), nullable=False),
    sa.Column('change', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('person', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('settled_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], name=op.f('fk_slip_alert_workspace_id_workspace'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('workspace_id', 'dependency', 'change', 'person', name=op.f('pk_slip_alert'))
    )


def downgrade() -> None:
    op.drop_table('slip_alert')
    with op.batch_alter_table('dependency', schema=None) as batch_op:
        batch_op.drop_column('revision')
        batch_op.drop_column('replans')
        batch_op.drop_column('proposed_reason')
        batch_op.drop_column('proposed')
