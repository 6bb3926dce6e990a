"""setting up an organizer in the browser: the organizer's currency and default language, an
event's languages, approval, seating and required attendee fields, add-ons of one item,
questions that can be deactivated, and each staff user's language

Existing rows get the defaults (EUR, English, nothing required, questions active).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    # plain ADD COLUMN: a batch rebuild of item would drop a table order positions refer to
    op.add_column('event', sa.Column('locale', sa.String(length=16), server_default='en', nullable=False))
    op.add_column('event', sa.Column('locales', sa.JSON(), nullable=True))
    for flag in ('require_approval', 'has_seating', 'attendee_names_required', 'attendee_emails_required'):
        op.add_column('event', sa.Column(flag, sa.Boolean(), server_default=sa.false(), nullable=False))
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite adds a foreign key only inline with the column
        op.execute('ALTER TABLE item ADD COLUMN addon_of_id INTEGER '
                   'CONSTRAINT fk_item_addon_of_id_item REFERENCES item (id)')
    else:
        op.add_column('item', sa.Column('addon_of_id', sa.Integer(), nullable=True))
        op.create_foreign_key('fk_item_addon_of_id_item', 'item', 'item', ['addon_of_id'], ['id'])
    op.add_column('organizer', sa.Column('currency', sa.String(length=3), server_default='EUR', nullable=False))
    op.add_column('organizer', sa.Column('default_locale', sa.String(length=16), server_default='en',
                                         nullable=False))
    op.add_column('question', sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False))
    op.add_column('user', sa.Column('locale', sa.String(length=16), nullable=True))


def downgrade():
    sqlite = op.get_bind().dialect.name == 'sqlite'
    if sqlite:
        # SQLite drops these columns by rebuilding the table; with rows elsewhere referring to it
        # that needs foreign keys off, which SQLite allows only between transactions
        op.execute('COMMIT')
        op.execute('PRAGMA foreign_keys=OFF')
        op.execute('BEGIN')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('locale')

    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.drop_column('active')

    with op.batch_alter_table('organizer', schema=None) as batch_op:
        batch_op.drop_column('default_locale')
        batch_op.drop_column('currency')

    with op.batch_alter_table('item', schema=None) as batch_op:
        if not sqlite:  # SQLite's rebuild leaves the inline key out
            batch_op.drop_constraint('fk_item_addon_of_id_item', type_='foreignkey')
        batch_op.drop_column('addon_of_id')

    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_column('attendee_emails_required')
        batch_op.drop_column('attendee_names_required')
        batch_op.drop_column('has_seating')
        batch_op.drop_column('require_approval')
        batch_op.drop_column('locales')
        batch_op.drop_column('locale')
    if sqlite:
        op.execute('COMMIT')
        op.execute('PRAGMA foreign_keys=ON')
        op.execute('BEGIN')
