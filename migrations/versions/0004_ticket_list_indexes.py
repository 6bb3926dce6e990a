"""ticket list: indexes for counting an event's tickets and ordering them by position id or by
the status of their order

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


# Only indexes: a batch rebuild of order_position on SQLite is not needed for them (and rebuilding
# "order" would drop the search index's triggers).
def upgrade():
    op.create_index('ix_order_position_order_canceled', 'order_position', ['order_id', 'canceled'], unique=False)
    op.create_index('ix_order_position_positionid_id', 'order_position', ['positionid', 'id'], unique=False)
    op.create_index('ix_order_event_status_id', 'order', ['event_id', 'status', 'id'], unique=False)


def downgrade():
    op.drop_index('ix_order_event_status_id', table_name='order')
    op.drop_index('ix_order_position_positionid_id', table_name='order_position')
    op.drop_index('ix_order_position_order_canceled', table_name='order_position')
