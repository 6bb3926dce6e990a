"""invoices as issued: invoice lines, the issuer, recipient and currency of each invoice, and the
invoice issuer of the organizer (name, address, VAT id)

Data migration: existing invoices get their event's currency; they keep an empty issuer and
recipient and no lines (they were recorded before invoices held what they said).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('invoice_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('gross_value', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('tax_rate', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('tax_value', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('tax_name', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id'], name=op.f('fk_invoice_line_invoice_id_invoice'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice_line')),
    sa.UniqueConstraint('invoice_id', 'position', name=op.f('uq_invoice_line_invoice_id_position'))
    )
    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('issuer', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('recipient', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('currency', sa.String(length=3), server_default='', nullable=False))
    with op.batch_alter_table('organizer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('invoice_issuer_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('invoice_issuer_address', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('invoice_issuer_vat_id', sa.String(length=255), nullable=True))

    invoice = sa.table('invoice', sa.column('event_id', sa.Integer()), sa.column('currency', sa.String()))
    event = sa.table('event', sa.column('id', sa.Integer()), sa.column('currency', sa.String()))
    op.execute(invoice.update().values(
        currency=sa.select(event.c.currency).where(event.c.id == invoice.c.event_id).scalar_subquery()))


def downgrade():
    with op.batch_alter_table('organizer', schema=None) as batch_op:
        batch_op.drop_column('invoice_issuer_vat_id')
        batch_op.drop_column('invoice_issuer_address')
        batch_op.drop_column('invoice_issuer_name')
    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.drop_column('currency')
        batch_op.drop_column('recipient')
        batch_op.drop_column('issuer')
    op.drop_table('invoice_line')
