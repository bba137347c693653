"""automatic checks of remuxed versions run as a job of their own

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 13:00:00

A web-safe upload is copied, not re-encoded, and is playable at once; its checks
(loudness, silence, black, frozen picture, flashing) then run in a follow-up job
whose state lives in these columns. Versions already ready keep their checks when
they were transcoded (complete); remuxed ones had frozen picture and flashing left
unchecked, so they are queued and the watchdog sends them to be checked.
"""
import sqlalchemy as sa
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

STATES = ('queued', 'running', 'complete', 'failed')


def upgrade():
    with op.batch_alter_table('versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('checks_state', sa.Enum(*STATES, name='checks_state', native_enum=False,
                                                              create_constraint=True), nullable=True))
        batch_op.add_column(sa.Column('checks_job_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('checks_attempts', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('checks_queued_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('checks_heartbeat_at', sa.DateTime(), nullable=True))
    op.execute("UPDATE versions SET checks_state = 'queued' WHERE state = 'ready' AND remuxed")
    op.execute("UPDATE versions SET checks_state = 'complete' WHERE state = 'ready' AND NOT remuxed")
    with op.batch_alter_table('versions', schema=None) as batch_op:
        batch_op.alter_column('checks_attempts', existing_type=sa.Integer(), server_default=None)


def downgrade():
    with op.batch_alter_table('versions', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_versions_checks_state'), type_='check')
        batch_op.drop_column('checks_heartbeat_at')
        batch_op.drop_column('checks_queued_at')
        batch_op.drop_column('checks_attempts')
        batch_op.drop_column('checks_job_id')
        batch_op.drop_column('checks_state')
