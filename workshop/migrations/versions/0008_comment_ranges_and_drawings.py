"""comments cover a range of the video and carry a drawing on the paused frame

Revision ID: 0008_comment_ranges_and_drawings
Revises: 0008_guardian_consent_requests
Create Date: 2026-12-03 08:00:00

A comment pinned to a moment (``timecode_ms``) may now end later (``end_ms``: an in-out
range), and may hold shapes drawn over the frame (``drawing``: JSON, coordinates of 0..1).
Both stay empty on the comments already written.
"""
import sqlalchemy as sa
from alembic import op


revision = '0008_comment_ranges_and_drawings'
down_revision = '0008_guardian_consent_requests'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('end_ms', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('drawing', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_column('drawing')
        batch_op.drop_column('end_ms')
