"""which cohort's roster gave an account's guardian contact

Revision ID: 0009_guardian_contact_cohort
Revises: 0008_comment_ranges_and_drawings
Create Date: 2026-12-03 08:30:00

Consent requests go to an account's guardian contact only from the cohort whose roster gave
it: a contact one cohort's lead chose must not decide consent in another cohort. Accounts made
before this keep NULL, which lets only the student's sole cohort use the contact.
"""
import sqlalchemy as sa
from alembic import op

revision = '0009_guardian_contact_cohort'
down_revision = '0008_comment_ranges_and_drawings'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('guardian_contact_cohort_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_users_guardian_contact_cohort_id_cohorts'), 'cohorts',
                                    ['guardian_contact_cohort_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_users_guardian_contact_cohort_id_cohorts'), type_='foreignkey')
        batch_op.drop_column('guardian_contact_cohort_id')
