"""guardian contact; calendar feed tokens

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 16:50:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('guardian_contact', sa.String(length=254), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('calendar_token', sa.String(length=32), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_users_calendar_token'), ['calendar_token'])
    with op.batch_alter_table('cohorts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('calendar_token', sa.String(length=32), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_cohorts_calendar_token'), ['calendar_token'])
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('guardian_contact', server_default=None)


def downgrade():
    with op.batch_alter_table('cohorts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_cohorts_calendar_token'), type_='unique')
        batch_op.drop_column('calendar_token')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_users_calendar_token'), type_='unique')
        batch_op.drop_column('calendar_token')
        batch_op.drop_column('guardian_contact')
