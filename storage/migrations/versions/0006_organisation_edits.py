"""organisation edits, people's own time zones

Revision ID: 0006
Revises: 0004
Create Date: 2026-12-07 10:00:00.000000

- team.archived: `team archive` / `team unarchive`.
- person.tz may be NULL (nobody told us the zone) and person.tz_pinned (`me tz`: a platform's
  profile must not overwrite it). People of console workspaces were given 'UTC' for want of a
  zone: they now have none, so a rhythm asking each member in their zone uses the team's.
- rhythm_claim.zone joins the primary key: a rhythm that asks each member at their own local time
  claims one prompt and one reminder per time zone.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op


# revision identifiers, used by Alembic.
revision: str = '0006'
down_revision: str | Sequence[str] | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CLAIM_KEY = ['workspace_id', 'team', 'kind', 'period', 'step']


def upgrade() -> None:
    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.add_column(sa.Column('archived', sa.Boolean(), nullable=False, server_default=sa.false()))

    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tz_pinned', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.alter_column('tz', existing_type=sqlmodel.sql.sqltypes.AutoString(), nullable=True)
    op.execute(
        "UPDATE person SET tz = NULL WHERE tz = 'UTC' AND workspace_id NOT IN "
        "(SELECT workspace_id FROM workspace_setting WHERE key = 'platform')"
    )

    with op.batch_alter_table('rhythm_claim', schema=None, recreate='always') as batch_op:
        batch_op.add_column(sa.Column('zone', sqlmodel.sql.sqltypes.AutoString(), nullable=False, server_default=''))
        batch_op.drop_constraint('pk_rhythm_claim', type_='primary')
        batch_op.create_primary_key('pk_rhythm_claim', [*CLAIM_KEY, 'zone'])


def downgrade() -> None:
    op.execute("DELETE FROM rhythm_claim WHERE zone <> ''")
    with op.batch_alter_table('rhythm_claim', schema=None, recreate='always') as batch_op:
        batch_op.drop_constraint('pk_rhythm_claim', type_='primary')
        batch_op.create_primary_key('pk_rhythm_claim', CLAIM_KEY)
        batch_op.drop_column('zone')

    op.execute("UPDATE person SET tz = 'UTC' WHERE tz IS NULL")
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.alter_column('tz', existing_type=sqlmodel.sql.sqltypes.AutoString(), nullable=False)
        batch_op.drop_column('tz_pinned')

    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.drop_column('archived')
