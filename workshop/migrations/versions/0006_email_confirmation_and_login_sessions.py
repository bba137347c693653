"""confirmed email addresses and server-side login sessions

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 12:00:00

Existing accounts start unconfirmed, except administrators: an address counts as
owned only once a link sent to it has been opened, and nothing before this revision
proved that. People confirm with one click from the link Karya sends them.

Reviews that escalated to a safeguarding concern lose their summary: that text is
the concern's, readable by the cohort's leads and the mentor who raised it only.

Notifications name the cohort they are about in a column of their own, so that the
list, the bell and the emails reach only the cohort's current members. Existing rows
get it from their data where they named it, else from what they link to: a version, a
safeguarding concern or a cohort page.
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

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cohort_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_notifications_cohort_id_cohorts'), 'cohorts',
                                    ['cohort_id'], ['id'], ondelete='CASCADE')
    _backfill_notification_cohorts()
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_user_unread')
        batch_op.create_index('ix_notifications_user_unread', ['user_id', 'read_at', 'cohort_id'], unique=False)
        batch_op.create_index('ix_notifications_cohort_user', ['cohort_id', 'user_id'], unique=False)


_DIGITS = '0123456789'


def _backfill_notification_cohorts():
    """Name each existing notification's cohort, in SQL that SQLite and PostgreSQL both run."""
    notifications = sa.table('notifications', sa.column('cohort_id', sa.Integer), sa.column('data', sa.JSON),
                             sa.column('link', sa.String))
    cohorts = sa.table('cohorts', sa.column('id', sa.Integer))
    named = notifications.c.data['cohort_id'].as_integer()
    op.execute(notifications.update()
               .where(notifications.c.cohort_id.is_(None), named.in_(sa.select(cohorts.c.id)))
               .values(cohort_id=named))
    # Named a cohort that is gone: the new foreign key would have deleted them with it.
    op.execute(notifications.delete().where(notifications.c.cohort_id.is_(None), named.is_not(None)))

    link = notifications.c.link
    for table, prefix in (('versions', '/versions/'), ('safeguarding_concerns', '/concerns/')):
        rows = sa.table(table, sa.column('id', sa.Integer), sa.column('cohort_id', sa.Integer))
        op.execute(notifications.update()
                   .where(notifications.c.cohort_id.is_(None), link.like(prefix + '%'))
                   .values(cohort_id=sa.select(rows.c.cohort_id)
                           .where(rows.c.id == _id_after(link, prefix, '#')).scalar_subquery()))
    op.execute(notifications.update()
               .where(notifications.c.cohort_id.is_(None), link.like('/cohorts/%'))
               .values(cohort_id=sa.select(cohorts.c.id)
                       .where(cohorts.c.id == _id_after(link, '/cohorts/', '/#')).scalar_subquery()))


def _id_after(link, prefix, ends):
    """SQL: the id in ``link`` = ``prefix`` + digits, alone or followed by one of ``ends``
    and anything; NULL for any other link. Never a failing cast, so no row stops the upgrade."""
    rest = sa.func.substr(link, len(prefix) + 1)
    tail = sa.func.ltrim(rest, _DIGITS)
    digits = sa.func.substr(rest, 1, sa.func.length(rest) - sa.func.length(tail))
    valid = sa.and_(link.like(prefix + '%'), sa.func.length(digits).between(1, 18),
                    sa.or_(tail == '', *[tail.like(end + '%') for end in ends]))
    return sa.cast(sa.case((valid, digits)), sa.BigInteger)


def downgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_cohort_user')
        batch_op.drop_index('ix_notifications_user_unread')
        batch_op.create_index('ix_notifications_user_unread', ['user_id', 'read_at'], unique=False)
        batch_op.drop_constraint(batch_op.f('fk_notifications_cohort_id_cohorts'), type_='foreignkey')
        batch_op.drop_column('cohort_id')
    op.drop_index('ix_login_sessions_user_id', table_name='login_sessions')
    op.drop_table('login_sessions')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('email_confirmed_at')
