"""Who may open which route: the one authorisation mechanism every view uses.

Each view function carries exactly one of these decorators:

* :func:`public` — anyone, signed in or not (log-in page, health check);
* :func:`signed_in` — any signed-in person (their home page);
* :func:`requires` — a minimum role in the cohort that owns the object named in the URL;
* :func:`admin_only` — site administrators.

The decorator records its policy on the view (``view.access``) so that a test can
walk ``app.url_map`` and refuse any route that has none.

Refusals raise HTTP exceptions; ``errors.py`` turns them into a friendly page for
people and a JSON error for the API. Someone outside a cohort gets 404, not 403:
a cohort (and anything in it) is invisible to people who are not in it.

An account whose email address is not confirmed holds no role in any cohort, whatever
memberships it has: anyone can sign up with, or be shown a link for, an address they do
not read. Such a person gets a page (or API error) asking them to confirm, before any
row is loaded, so it tells them nothing about the cohort they asked for.

Every feature's routes use this module, the cohorts package's included, so it imports
no feature: the app factory tells it where memberships and cohorts are kept
(:func:`use_memberships`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from flask import abort, g, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .db_types import possible_id
from .errors import Conflict, Forbidden, wants_json
from .extensions import db
from .roles import Role

# Methods that only read: allowed in an archived cohort and free of the API's CSRF check.
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


# The models holding memberships (user, cohort, role) and cohorts (archived or not).
_models: dict[str, type] = {}


def use_memberships(membership: type, cohort: type) -> None:
    """Tell the access check where roles are kept: ``membership`` rows (``user_id``,
    ``cohort_id``, ``role``) and ``cohort`` rows (``archived_at``)."""
    _models.update(membership=membership, cohort=cohort)


def is_confirmed(user) -> bool:
    """Whether ``user`` has proved they read their address (administrators always have);
    until then they hold no role in any cohort."""
    return bool(getattr(user, "is_authenticated", False)
                and (user.is_admin or user.email_confirmed_at is not None))


@dataclass(frozen=True)
class Policy:
    kind: str  # "public", "signed_in", "cohort" or "admin"
    min_role: Role | None = None
    model: type | None = None
    url_arg: str | None = None


def _mark(view, policy: Policy):
    view.access = policy
    return view


def public(view):
    """Anyone may open this route."""
    return _mark(view, Policy("public"))


def signed_in(view):
    """Any signed-in person may open this route."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            abort(401)
        return view(*args, **kwargs)

    return _mark(wrapper, Policy("signed_in"))


def admin_only(view):
    """Only site administrators may open this route."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            abort(401)
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return _mark(wrapper, Policy("admin"))


class EmailUnconfirmed(Forbidden):
    """The signed-in account has not confirmed its address, so it may act in no cohort."""

    code = "email_unconfirmed"

    def __init__(self):
        super().__init__(_l("Confirm your email address first: open the link we emailed you. "
                            "You can ask for a new one."))


def unconfirmed_response():
    """What a page answers to an account that must confirm its address first: an
    explanation with the resend button rather than a bare refusal."""
    if wants_json():
        raise EmailUnconfirmed()
    return render_template("accounts/confirm_needed.html"), 403


def role_in_cohort(user, cohort_id: int) -> Role | None:
    """The role ``user`` holds in a cohort; administrators act as leads everywhere.
    An account with an unconfirmed address holds none."""
    if not is_confirmed(user):
        return None
    if user.is_admin:
        return Role.LEAD
    membership = _models["membership"]
    return db.session.scalar(db.select(membership.role).where(membership.user_id == user.id,
                                                              membership.cohort_id == cohort_id))


def requires(min_role: Role, model: type, url_arg: str | None = None, *, while_archived: bool = False):
    """Load ``model`` by the id in the URL and check the caller's role in its cohort.

    The view receives the loaded row instead of the id: ``url_arg`` (default
    ``<model>_id``, e.g. ``assignment_id``) becomes ``assignment``. Every model
    used here answers ``cohort_id``. A student may only reach rows that are
    their own where a row has an owner (``student_id``): other students' work
    is invisible to them.

    An archived cohort is read-only: requests that change something (any method but
    GET, HEAD, OPTIONS) answer 409 with a message, unless the view says
    ``while_archived=True`` (unarchiving; consent records, which the law still needs).
    """
    arg = url_arg or f"{_snake(model.__name__)}_id"
    param = arg.removesuffix("_id")

    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                abort(401)
            if not is_confirmed(current_user):
                return unconfirmed_response()
            ident = kwargs.pop(arg)
            obj, role = _row_and_role(model, ident, current_user) if possible_id(ident) else (None, None)
            if obj is None:
                abort(404)
            if role is None:
                abort(404)
            owner_id = getattr(obj, "student_id", None)
            if role is Role.STUDENT and owner_id is not None and owner_id != current_user.id:
                abort(404)
            if not role.at_least(min_role):
                abort(403)
            if not while_archived and request.method not in READ_ONLY_METHODS and _archived(obj.cohort_id):
                raise Conflict(_l("This cohort is archived, so it cannot be changed. "
                                  "A workshop lead can unarchive it."), code="archived")
            g.cohort_role = role
            kwargs[param] = obj
            return view(*args, **kwargs)

        return _mark(wrapper, Policy("cohort", min_role, model, arg))

    return decorate


def _row_and_role(model: type, ident: int, user) -> tuple[object | None, Role | None]:
    """The row named in the URL and ``user``'s role in its cohort, in one round trip."""
    if user.is_admin:  # a lead everywhere, member or not
        obj = db.session.get(model, ident)
        return obj, Role.LEAD if obj is not None else None
    # A cohort is its own cohort; every other model has ``cohort_id``.
    cohort_id = model.id if model.__tablename__ == "cohorts" else model.cohort_id
    # An alias only where the model is Membership itself: building one costs more than the query.
    membership = _models["membership"]
    caller = db.aliased(membership) if model is membership else membership
    row = db.session.execute(
        db.select(model, caller.role)
        .outerjoin(caller, (caller.cohort_id == cohort_id) & (caller.user_id == user.id))
        .where(model.id == ident)).first()
    return (row[0], row[1]) if row is not None else (None, None)


def _archived(cohort_id: int) -> bool:
    cohort = _models["cohort"]
    return db.session.scalar(db.select(cohort.archived_at).where(cohort.id == cohort_id)) is not None


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")
