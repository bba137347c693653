"""The lead's buttons on a cohort's people page: change a member's role, remove a member."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, url_for
from flask_babel import gettext as _

from ..access import requires
from ..cohorts.models import Membership
from ..errors import ApiError
from ..extensions import db
from ..roles import Role
from ..templating import ROLE_LABELS
from . import service
from .forms import RoleForm

bp = Blueprint("membership", __name__)


@bp.post("/memberships/<int:membership_id>/role")
@requires(Role.LEAD, Membership)
def change_role(membership: Membership):
    cohort = membership.cohort
    form = RoleForm()
    if not form.validate_on_submit():
        abort(400)
    role = Role(form.role.data)
    try:
        service.change_role(membership, role)
    except ApiError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        db.session.commit()
        flash(_("%(name)s is now: %(role)s.", name=membership.user.name, role=ROLE_LABELS[role]), "success")
    return redirect(url_for("cohorts.people", cohort_id=cohort.id))


@bp.post("/memberships/<int:membership_id>/remove")
@requires(Role.LEAD, Membership)
def remove_member(membership: Membership):
    cohort, name = membership.cohort, membership.user.name
    try:
        service.remove_member(membership)
    except ApiError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        db.session.commit()
        flash(_("%(name)s is no longer in %(cohort)s.", name=name, cohort=cohort.name), "success")
    return redirect(url_for("cohorts.people", cohort_id=cohort.id))
