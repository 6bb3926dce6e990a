"""search index upkeep outside the request: SQLite's FTS5 indexes stop merging their segments
during a write (automerge 0); `flask periodic` merges them in bounded steps instead

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

INDEXES = ('order_search', 'customer_search')
#: FTS5's default, which the indexes had before
DEFAULT_AUTOMERGE = 4


def upgrade():
    # Each commit that changes a search text adds a small segment to the FTS5 index; with
    # automerge, FTS5 merges segments inside whichever write comes next, now and then for tens of
    # milliseconds. The setting is stored in the index itself (its _config table), so it survives
    # restarts and 'rebuild'. PostgreSQL's trigram index has no such setting.
    if op.get_bind().dialect.name != 'sqlite':
        return
    for fts in INDEXES:
        op.execute(f"INSERT INTO {fts}({fts}, rank) VALUES ('automerge', 0)")


def downgrade():
    if op.get_bind().dialect.name != 'sqlite':
        return
    for fts in INDEXES:
        op.execute(f"INSERT INTO {fts}({fts}, rank) VALUES ('automerge', {DEFAULT_AUTOMERGE})")
