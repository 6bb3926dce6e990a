"""tickets know their event: counting an event's tickets reads one index instead of joining
every ticket to its order

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    sqlite = op.get_bind().dialect.name == 'sqlite'
    # SQLite adds a NOT NULL column only with a default, and drops a default only by rebuilding the
    # table (which other tables' foreign keys point to), so there the 0 stays; every insert sets
    # the column (the model's before_insert, demo data), and PostgreSQL enforces it.
    op.add_column('order_position', sa.Column('event_id', sa.Integer(), nullable=not sqlite,
                                              server_default='0' if sqlite else None))
    op.execute('UPDATE order_position SET event_id = o.event_id FROM "order" o WHERE o.id = order_position.order_id')
    if not sqlite:
        op.alter_column('order_position', 'event_id', nullable=False)
    op.create_index('ix_order_position_event_canceled', 'order_position', ['event_id', 'canceled'], unique=False)


def downgrade():
    op.drop_index('ix_order_position_event_canceled', table_name='order_position')
    # SQLite (3.35 and later) drops a column in place: no rebuild of the table
    op.drop_column('order_position', 'event_id')
