"""confirmed email addresses and server-side login sessions

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 12:00:00

Existing accounts start unconfirmed, except administrators: an address counts as
owned only once a link sent to it has been opened, and nothing before this revision
proved that. People confirm with one click from the link Karya sends them.

Reviews that escalated to a safeguarding concern lose their summary: that text is
the concern's, readable by the cohort's leads and the mentor who raised it only.
"""
import sqlalchemy as sa
from alembic import op



revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_confirmed_at', sa.DateTime(), nullable=True))
    op.execute("UPDATE users SET email_confirmed_at = created_at WHERE is_admin")
    op.create_table(
        'login_sessions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('key_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('revoked_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('key_hash'),
    )
    op.create_index('ix_login_sessions_user_id', 'login_sessions', ['user_id'], unique=False)
    # An escalation's summary was the safeguarding concern's text, copied into the review
    # that students and every mentor can read; the concern keeps it, the review no longer.
    op.execute("UPDATE reviews SET summary = '' WHERE verdict = 'escalated'")


def downgrade():
    op.drop_index('ix_login_sessions_user_id', table_name='login_sessions')
    op.drop_table('login_sessions')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('email_confirmed_at')
