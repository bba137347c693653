"""guardian consent requests by link

Revision ID: 0008_guardian_consent_requests
Revises: 0008_whatsapp_channel
Create Date: 2026-12-03 07:40:00

A lead sends a minor's guardian a link (by email or WhatsApp); the guardian confirms
with a one-time code and gives, refuses or later withdraws consent there. Consents
given that way record the channel, the consent text's version, the relationship and a
keyed digest of the contact; paper consents leave those empty.
"""
import sqlalchemy as sa
from alembic import op


revision = '0008_guardian_consent_requests'
down_revision = '0008_whatsapp_channel'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('consent_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('contact_hash', sa.String(length=64), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('text_version', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('sent_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('opened_at', sa.DateTime(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(), nullable=True),
    sa.Column('code_hash', sa.String(length=64), nullable=True),
    sa.Column('code_expires_at', sa.DateTime(), nullable=True),
    sa.Column('wrong_codes', sa.Integer(), nullable=False),
    sa.Column('locked_at', sa.DateTime(), nullable=True),
    sa.Column('guardian_name', sa.String(length=160), nullable=False),
    sa.Column('guardian_relationship', sa.String(length=60), nullable=False),
    sa.Column('consent_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'], name=op.f('fk_consent_requests_cohort_id_cohorts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['consent_id'], ['consents.id'], name=op.f('fk_consent_requests_consent_id_consents'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['sent_by_id'], ['users.id'], name=op.f('fk_consent_requests_sent_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['student_id'], ['users.id'], name=op.f('fk_consent_requests_student_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_requests')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_consent_requests_token_hash'))
    )
    with op.batch_alter_table('consent_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consent_requests_cohort_id'), ['cohort_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_consent_requests_student_id'), ['student_id'], unique=False)

    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('text_version', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('contact_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('guardian_relationship', sa.String(length=60), nullable=False,
                                      server_default=''))
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.alter_column('guardian_relationship', existing_type=sa.String(length=60), server_default=None)


def downgrade():
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.drop_column('guardian_relationship')
        batch_op.drop_column('contact_hash')
        batch_op.drop_column('text_version')
        batch_op.drop_column('channel')

    with op.batch_alter_table('consent_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consent_requests_student_id'))
        batch_op.drop_index(batch_op.f('ix_consent_requests_cohort_id'))

    op.drop_table('consent_requests')
