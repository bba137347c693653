"""WhatsApp as a channel: people's phone numbers and opt-in, guardians' opt-out,
per-kind WhatsApp choices, sent messages; guardian contacts in E.164

Revision ID: 0008_whatsapp_channel
Revises: 0008_sent_reminders
Create Date: 2026-12-03 08:00:00

Guardian contacts already stored that read as phone numbers are rewritten in E.164
(``0812...`` becomes ``+62812...``), as the roster and the forms now store them; email
addresses, and anything that does not parse as a valid number, are left as they were.
"""
import phonenumbers
import sqlalchemy as sa
from alembic import op


revision = '0008_whatsapp_channel'
down_revision = '0008_sent_reminders'
branch_labels = None
depends_on = None


def _e164(contact):
    """The contact in E.164 when it is a valid phone number (Indonesia by default), else None."""
    text = (contact or '').strip()
    if not text or '@' in text:
        return None
    if text.startswith('00'):
        text = '+' + text[2:]
    elif text.startswith('62'):
        text = '+' + text
    try:
        number = phonenumbers.parse(text, 'ID')
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _normalise_contacts(table):
    rows = op.get_bind().execute(sa.text(f"SELECT id, guardian_contact FROM {table} WHERE guardian_contact != ''"))
    for row_id, contact in rows.fetchall():
        e164 = _e164(contact)
        if e164 and e164 != contact:
            op.get_bind().execute(sa.text(f"UPDATE {table} SET guardian_contact = :contact WHERE id = :id"),
                                  {"contact": e164, "id": row_id})


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('guardian_whatsapp_opt_out', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('phone', sa.String(length=16), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('whatsapp_opt_in', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('guardian_whatsapp_opt_out', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    with op.batch_alter_table('email_preferences', schema=None) as batch_op:
        batch_op.add_column(sa.Column('whatsapp', sa.Boolean(), nullable=False, server_default=sa.true()))
    op.create_table(
        'whatsapp_messages',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('template', sa.String(length=64), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=False),
        sa.Column('recipient_digest', sa.String(length=64), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('platform_message_id', sa.String(length=128), nullable=True),
        sa.Column('error_code', sa.Integer(), nullable=True),
        sa.Column('error', sa.String(length=500), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_whatsapp_messages')),
    )
    with op.batch_alter_table('whatsapp_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_whatsapp_messages_recipient_digest'), ['recipient_digest'], unique=False)
    _normalise_contacts('users')
    _normalise_contacts('consents')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('guardian_whatsapp_opt_out', server_default=None)
        batch_op.alter_column('phone', server_default=None)
        batch_op.alter_column('whatsapp_opt_in', server_default=None)
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.alter_column('guardian_whatsapp_opt_out', server_default=None)
    with op.batch_alter_table('email_preferences', schema=None) as batch_op:
        batch_op.alter_column('whatsapp', server_default=None)


def downgrade():
    with op.batch_alter_table('whatsapp_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_whatsapp_messages_recipient_digest'))
    op.drop_table('whatsapp_messages')
    with op.batch_alter_table('email_preferences', schema=None) as batch_op:
        batch_op.drop_column('whatsapp')
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.drop_column('guardian_whatsapp_opt_out')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('whatsapp_opt_in')
        batch_op.drop_column('phone')
        batch_op.drop_column('guardian_whatsapp_opt_out')
