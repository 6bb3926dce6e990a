"""teams managed in the browser: team.can_manage_team and team.last_modified, api_token.last_used,
and the one-time invitation link of staff users (user.password_token_hash / _expires)

Data migration: every existing team that has can_manage_events gets can_manage_team, so the
administrators of an existing database keep the right to manage their team (otherwise nobody
could reach the new team pages). Existing teams get last_modified = the time of the upgrade.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24

"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa

from backoffice.domain.models.types import UTCDateTime


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN, no batch: batch mode rebuilds `team` on SQLite for a SQL-expression default,
    # and dropping the old table fails while team_member and api_token refer to it.
    op.add_column('team', sa.Column('can_manage_team', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column('team', sa.Column('last_modified', sa.DateTime(timezone=True), nullable=True))
    op.add_column('api_token', sa.Column('last_used', sa.DateTime(timezone=True), nullable=True))
    op.add_column('user', sa.Column('password_token_hash', sa.String(length=64), nullable=True))
    op.add_column('user', sa.Column('password_token_expires', sa.DateTime(timezone=True), nullable=True))
    op.create_index(op.f('ix_user_password_token_hash'), 'user', ['password_token_hash'], unique=False)

    team = sa.table('team', sa.column('can_manage_team', sa.Boolean()), sa.column('can_manage_events', sa.Boolean()),
                    sa.column('last_modified', UTCDateTime()))
    op.execute(team.update().where(team.c.can_manage_events == sa.true()).values(can_manage_team=True))
    op.execute(team.update().values(last_modified=datetime.now(timezone.utc)))


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_password_token_hash'))
        batch_op.drop_column('password_token_expires')
        batch_op.drop_column('password_token_hash')
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_column('last_used')
    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.drop_column('last_modified')
        batch_op.drop_column('can_manage_team')
