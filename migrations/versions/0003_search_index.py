"""search index: a normalised search text per order and customer, filled for existing rows,
indexed with FTS5 trigram (SQLite) or pg_trgm GIN (PostgreSQL); customer identifiers indexed

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

TABLES = ('order', 'customer')


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('search_text', sa.Text(), nullable=True))
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_identifier'), ['identifier'], unique=False)

    # The same normalisation the application writes with, so backfilled and new texts agree.
    from backoffice.domain.search_index import rebuild
    rebuild(op.get_bind())

    if op.get_bind().dialect.name == 'sqlite':
        for table in TABLES:
            _create_fts(table)
    else:
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        for table in TABLES:
            op.execute(f'CREATE INDEX ix_{table}_search_text_trgm ON "{table}" '
                       'USING gin (search_text gin_trgm_ops)')


def _create_fts(table):
    """An FTS5 index over the column (external content: the text is stored once), kept by
    triggers, so that every write (also bulk inserts) updates it. A later migration that rebuilds
    the table on SQLite (batch mode "recreate") drops these triggers and must create them again."""
    fts = f'{table}_search'
    op.execute(f"CREATE VIRTUAL TABLE {fts} USING fts5(search_text, content='{table}', "
               "content_rowid='id', tokenize='trigram')")
    op.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")
    op.execute(f'CREATE TRIGGER {fts}_insert AFTER INSERT ON "{table}" BEGIN '
               f'INSERT INTO {fts}(rowid, search_text) VALUES (new.id, new.search_text); END')
    op.execute(f'CREATE TRIGGER {fts}_delete AFTER DELETE ON "{table}" BEGIN '
               f"INSERT INTO {fts}({fts}, rowid, search_text) VALUES ('delete', old.id, old.search_text); END")
    op.execute(f'CREATE TRIGGER {fts}_update AFTER UPDATE OF search_text ON "{table}" BEGIN '
               f"INSERT INTO {fts}({fts}, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
               f'INSERT INTO {fts}(rowid, search_text) VALUES (new.id, new.search_text); END')


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        for table in TABLES:
            for trigger in ('insert', 'delete', 'update'):
                op.execute(f'DROP TRIGGER IF EXISTS {table}_search_{trigger}')
            op.execute(f'DROP TABLE IF EXISTS {table}_search')
    else:
        for table in TABLES:
            op.execute(f'DROP INDEX IF EXISTS ix_{table}_search_text_trgm')

    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_identifier'))
    for table in TABLES:
        # not a batch: rebuilding "order" on SQLite would lose its expression index (lower(email))
        op.execute(f'ALTER TABLE "{table}" DROP COLUMN search_text')
