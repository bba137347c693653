"""default checklist templates; email preferences

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 17:00:00

The four default checklist templates (workshop/review/default_checklists.json, a copy of
the programme's reviewed list) become site-wide rows (cohort_id NULL) that leads copy
into their cohorts. Later edits to the JSON file need a migration of their own.
"""
import json
from datetime import datetime, timezone
from pathlib import Path

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

DEFAULTS = Path(__file__).resolve().parents[2] / "review" / "default_checklists.json"


def upgrade():
    op.create_table('email_preferences',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('email', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_email_preferences_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'kind', name=op.f('pk_email_preferences'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_user_unread', ['user_id', 'read_at'], unique=False)

    templates = sa.table('checklist_templates', sa.column('id', sa.Integer), sa.column('cohort_id', sa.Integer),
                         sa.column('key', sa.String), sa.column('name_en', sa.String),
                         sa.column('name_id', sa.String), sa.column('created_at', sa.DateTime))
    items = sa.table('checklist_items', sa.column('template_id', sa.Integer), sa.column('key', sa.String),
                     sa.column('position', sa.Integer), sa.column('severity', sa.String),
                     sa.column('text_en', sa.Text), sa.column('text_id', sa.Text), sa.column('source', sa.Text))
    connection = op.get_bind()
    data = json.loads(DEFAULTS.read_text(encoding="utf-8"))
    now = datetime.now(timezone.utc).replace(tzinfo=None)  # stored as naive UTC, as UTCDateTime does
    for template in data["templates"]:
        template_id = connection.execute(templates.insert().values(
            cohort_id=None, key=template["key"], name_en=template["name"]["en"], name_id=template["name"]["id"],
            created_at=now).returning(templates.c.id)).scalar_one()
        connection.execute(items.insert(), [
            {"template_id": template_id, "key": item["key"], "position": position, "severity": item["severity"],
             "text_en": item["text"]["en"], "text_id": item["text"]["id"], "source": item.get("source", "")}
            for position, item in enumerate(template["items"])])


def downgrade():
    op.execute("DELETE FROM checklist_templates WHERE cohort_id IS NULL")
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_user_unread')
    op.drop_table('email_preferences')
