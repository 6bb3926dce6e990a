"""outbox mails follow their order's event, secret links leave the stored mail after delivery;
login failures per account; a session version per staff user

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24

"""
import re

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

# as backoffice.mail.HIDDEN; copied, so that this migration does not change with the code
HIDDEN = "[hidden: only the recipient has this link]"
PASSWORD_LINK = re.compile(r"(/account/set-password/)([^\s/]+)")
PASSWORD_TEMPLATES = ("customer_activation", "customer_password_link")


def upgrade():
    with op.batch_alter_table('login_failure', schema=None) as batch_op:
        batch_op.add_column(sa.Column('account', sa.String(length=254), nullable=True))
        batch_op.create_index(batch_op.f('ix_login_failure_account'), ['account'], unique=False)

    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='0', nullable=False))

    with op.batch_alter_table('outbox_email', schema=None) as batch_op:
        batch_op.add_column(sa.Column('event_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('body_to_send', sa.Text(), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_email_event_id'), ['event_id'], unique=False)
        batch_op.create_index('ix_outbox_email_object', ['object_type', 'object_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_outbox_email_event_id_event'), 'event', ['event_id'], ['id'])

    _backfill_event_ids()
    _hide_password_links()


def _backfill_event_ids():
    # who may read a mail about an order follows the order's event
    op.execute('UPDATE outbox_email SET event_id = (SELECT "order".event_id FROM "order" '
               'WHERE "order".id = outbox_email.object_id) WHERE object_type = \'order\'')


def _hide_password_links():
    """Mails written before: staff must no longer read live password links in them. Delivered
    mails lose the link for good; undelivered ones keep it for sending only."""
    conn = op.get_bind()
    mail = sa.table('outbox_email', sa.column('id', sa.Integer), sa.column('body', sa.Text),
                    sa.column('body_to_send', sa.Text), sa.column('status', sa.String),
                    sa.column('template', sa.String))
    rows = conn.execute(sa.select(mail.c.id, mail.c.body, mail.c.status)
                        .where(mail.c.template.in_(PASSWORD_TEMPLATES))).all()
    for mail_id, body, status in rows:
        shown = PASSWORD_LINK.sub(lambda m: m.group(1) + HIDDEN, body)
        if shown == body:
            continue
        conn.execute(sa.update(mail).where(mail.c.id == mail_id).values(
            body=shown, body_to_send=None if status == 'sent' else body))


def downgrade():
    # the stored mails keep their hidden links: a downgrade must not bring a secret back
    with op.batch_alter_table('outbox_email', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbox_email_event_id_event'), type_='foreignkey')
        batch_op.drop_index('ix_outbox_email_object')
        batch_op.drop_index(batch_op.f('ix_outbox_email_event_id'))
        batch_op.drop_column('body_to_send')
        batch_op.drop_column('event_id')

    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('session_version')

    with op.batch_alter_table('login_failure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_failure_account'))
        batch_op.drop_column('account')
