"""index for the review queue and the dashboard

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 17:20:00

"""
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('versions', schema=None) as batch_op:
        batch_op.create_index('ix_versions_cohort_state_submission',
                              ['cohort_id', 'state', 'submission_id', 'number'], unique=False)


def downgrade():
    with op.batch_alter_table('versions', schema=None) as batch_op:
        batch_op.drop_index('ix_versions_cohort_state_submission')
