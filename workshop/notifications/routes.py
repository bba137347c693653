"""The notification list, opening one, and the email settings; plus the bell's count."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, flash, g, has_request_context, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from ..access import signed_in
from ..errors import ApiError
from ..extensions import db
from ..forms import show_error_on
from . import service
from .forms import EmailChoicesForm

log = logging.getLogger("karya.notifications")

bp = Blueprint("notifications", __name__)


@bp.app_context_processor
def _bell():
    """``unread_notifications()`` for the header: one COUNT per request, only if asked."""
    def unread_notifications() -> int:
        if not (has_request_context() and current_user.is_authenticated):
            return 0
        if "unread_notifications" not in g:
            try:
                g.unread_notifications = service.unread_count(current_user.id)
            except SQLAlchemyError:  # the error page of a failed request must still render
                log.exception("could not count unread notifications")
                g.unread_notifications = 0
        return g.unread_notifications

    return {"unread_notifications": unread_notifications}


@bp.get("/notifications")
@signed_in
def index():
    notifications = service.recent(current_user.id)
    return render_template("notifications/index.html", notifications=notifications,
                           message=service.message, any_unread=any(n.read_at is None for n in notifications))


@bp.post("/notifications/read-all")
@signed_in
def read_all():
    service.mark_read(current_user.id)
    flash(_("All notifications are marked as read."), "success")
    return redirect(url_for("notifications.index"))


@bp.post("/notifications/<int:notification_id>/open")
@signed_in
def open_notification(notification_id: int):
    notification = service.for_user(current_user.id, notification_id)
    if notification is None:
        abort(404)  # someone else's looks the same as none at all
    service.mark_read(current_user.id, notification.id)
    # notify() only stores local paths; checked again so a bad row can never send anyone off-site.
    if service.is_local_path(notification.link):
        return redirect(notification.link)
    return redirect(url_for("notifications.index"))


@bp.route("/settings/notifications", methods=["GET", "POST"])
@signed_in
def settings():
    offer_whatsapp = service.whatsapp_available()
    form = EmailChoicesForm(data={"phone": current_user.phone, "whatsapp_opt_in": current_user.whatsapp_opt_in})
    choices = service.channel_choices(current_user.id)
    status = 200
    if form.validate_on_submit():
        try:
            if offer_whatsapp:
                service.set_whatsapp(current_user, phone=form.phone.data, opt_in=form.whatsapp_opt_in.data)
            service.set_choices(current_user.id, email=form.email.data,
                                whatsapp_kinds=form.whatsapp.data if offer_whatsapp else None)
        except ApiError as exc:
            db.session.rollback()
            show_error_on(form, exc)
            status = exc.status
            # What was ticked stays ticked: nothing the person chose is lost to the refusal.
            choices = {kind: {"email": kind in form.email.data, "whatsapp": kind in form.whatsapp.data}
                       for kind in service.KINDS}
        else:
            flash(_("Your notification settings are saved."), "success")
            return redirect(url_for("notifications.settings"))
    return render_template("notifications/settings.html", form=form, choices=choices, kinds=service.KINDS,
                           offer_whatsapp=offer_whatsapp), status
