"""Column-only reads on the session's connection (workshop/reads.py)."""

from __future__ import annotations

from sqlalchemy import bindparam, func, select


def test_reads_see_what_the_session_has_not_flushed_yet_and_match_the_orm(app, make):
    from workshop import reads
    from workshop.accounts.models import User
    from workshop.extensions import db

    make.user(email="first@karya.test", name="First")
    by_email = select(User.id, User.name).where(User.email.like(bindparam("pattern"))).order_by(User.id)
    with app.app_context():
        db.session.add(User(email="pending@karya.test", name="Pending", password_hash="x"))
        # Not flushed yet: reads flush first, as db.session.execute would.
        names = [name for _id, name in reads.rows(by_email, {"pattern": "%@karya.test"})]
        assert names == ["First", "Pending"]
        assert [tuple(r) for r in reads.rows(by_email, {"pattern": "%@karya.test"})] == \
            [tuple(r) for r in db.session.execute(by_email, {"pattern": "%@karya.test"})]
        assert reads.scalar(select(func.count(User.id))) == 2
        assert reads.scalars(select(User.name).order_by(User.name)) == ["First", "Pending"]
        db.session.rollback()  # the same transaction as the session's: nothing was written
        assert reads.scalars(select(User.name)) == ["First"]
