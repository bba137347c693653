"""the reminders and digests already sent

Revision ID: 0008_sent_reminders
Revises: 0007
Create Date: 2026-12-03 08:00:00

Workers send reminders before due dates, sessions and review targets, and daily and
weekly digests. Each one sent is a row here; its unique key (kind, what it is about,
recipient, occasion) makes sure that several workers, or one restarted, send it once.
"""
import sqlalchemy as sa
from alembic import op

revision = '0008_sent_reminders'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'sent_reminders',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=64), nullable=False),
        sa.Column('subject_id', sa.Integer(), nullable=False),
        sa.Column('recipient_id', sa.Integer(), nullable=False),
        sa.Column('occasion', sa.String(length=64), nullable=False),
        sa.Column('cohort_id', sa.Integer(), nullable=False),
        sa.Column('sent_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'], name=op.f('fk_sent_reminders_cohort_id_cohorts'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['recipient_id'], ['users.id'], name=op.f('fk_sent_reminders_recipient_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sent_reminders')),
        sa.UniqueConstraint('kind', 'subject_id', 'recipient_id', 'occasion', name=op.f('uq_sent_reminders_kind')),
    )
    with op.batch_alter_table('sent_reminders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sent_reminders_cohort_id'), ['cohort_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sent_reminders_recipient_id'), ['recipient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sent_reminders_sent_at'), ['sent_at'], unique=False)


def downgrade():
    op.drop_table('sent_reminders')
