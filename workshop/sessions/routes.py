"""Pages for sessions and attendance, the attendance export and the calendar feeds."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, stream_with_context, url_for
from flask_babel import format_percent
from flask_babel import gettext as _
from flask_login import current_user

from ..access import public, requires, signed_in
from ..audit.service import record
from ..cohorts.models import Cohort
from ..extensions import db
from ..forms import first_error
from ..localtime import cohort_zone
from ..roles import Role
from ..templating import format_clock, format_day
from ..urls import absolute_url
from . import export, feeds, ics, service
from .forms import CalendarRotateForm, SessionForm, attendance_form_for
from .labels import STATUS_LABELS
from .models import AttendanceStatus, WorkshopSession

bp = Blueprint("sessions", __name__)


def session_when(session: WorkshopSession, zone) -> str:
    """"Tuesday, 3 June 2025, 09:00 – 11:00" in the reader's language and the cohort's zone."""
    text = f"{format_day(session.starts_at, 'full', zone)}, {format_clock(session.starts_at, zone)}"
    if session.ends_at:
        text += " – " + format_clock(session.ends_at, zone)
    return text


@bp.context_processor
def _helpers():
    return {"session_when": session_when, "status_labels": STATUS_LABELS, "statuses": list(AttendanceStatus),
            "percent": lambda rate: format_percent(rate) if rate is not None else "–"}


# --- the list and scheduling ----------------------------------------------------------------

@bp.get("/cohorts/<int:cohort_id>/sessions")
@requires(Role.STUDENT, Cohort)
def index(cohort: Cohort):
    role = g.cohort_role
    upcoming, past = service.split_upcoming(service.sessions_of(cohort.id))
    my_feed = absolute_url("sessions.my_feed", token=feeds.ensure_token(current_user._get_current_object()))
    # The cohort's feed address is shared by everyone who has it, so only staff see it;
    # students subscribe with their own address, which stops working when they leave.
    cohort_feed = (absolute_url("sessions.cohort_feed", token=feeds.ensure_token(cohort))
                   if role.at_least(Role.MENTOR) else None)
    db.session.commit()
    return render_template("sessions/list.html", cohort=cohort, role=role, upcoming=upcoming, past=past,
                           zone=cohort_zone(cohort), my_feed=my_feed, cohort_feed=cohort_feed)


@bp.route("/cohorts/<int:cohort_id>/sessions/new", methods=["GET", "POST"])
@requires(Role.LEAD, Cohort)
def new(cohort: Cohort):
    return _form(cohort, None)


@bp.route("/sessions/<int:workshop_session_id>/edit", methods=["GET", "POST"])
@requires(Role.LEAD, WorkshopSession)
def edit(workshop_session: WorkshopSession):
    return _form(workshop_session.cohort, workshop_session)


def _form(cohort: Cohort, session: WorkshopSession | None):
    zone = cohort_zone(cohort)
    form = SessionForm() if request.method == "POST" else SessionForm.of(session, zone)
    if form.validate_on_submit():
        data, problems = form.read(zone)
        try:
            service.save_session(cohort, data, session, problems)
            db.session.commit()
        except service.SessionInvalid as exc:
            db.session.rollback()
            form.show_errors(exc.errors)
        else:
            flash(_("The session is saved."), "success")
            return redirect(url_for("sessions.index", cohort_id=cohort.id))
    return render_template("sessions/form.html", cohort=cohort, session=session, form=form,
                           zone=zone), 422 if form.errors else 200


@bp.route("/sessions/<int:workshop_session_id>/delete", methods=["GET", "POST"])
@requires(Role.LEAD, WorkshopSession)
def delete(workshop_session: WorkshopSession):
    """GET asks for confirmation (no script needed); POST deletes."""
    cohort = workshop_session.cohort
    if request.method == "POST":
        service.delete_session(workshop_session)
        db.session.commit()
        flash(_("The session is deleted."), "success")
        return redirect(url_for("sessions.index", cohort_id=cohort.id))
    return render_template("sessions/delete.html", cohort=cohort, session=workshop_session,
                           zone=cohort_zone(cohort))


# --- attendance -------------------------------------------------------------------------------

@bp.route("/sessions/<int:workshop_session_id>/attendance", methods=["GET", "POST"])
@requires(Role.MENTOR, WorkshopSession)
def attendance(workshop_session: WorkshopSession):
    cohort = workshop_session.cohort
    students = service.students_of(cohort.id)
    if request.method == "POST":
        form = attendance_form_for(students)
        if form.validate_on_submit():
            service.record_attendance(workshop_session, form.statuses(), current_user)
            db.session.commit()
            flash(_("Attendance saved."), "success")
            return redirect(url_for("sessions.attendance", workshop_session_id=workshop_session.id))
    else:
        form = attendance_form_for(students, service.statuses_for(workshop_session))
    chosen = form.chosen()
    return render_template("sessions/attendance.html", cohort=cohort, session=workshop_session,
                           students=students, chosen=chosen, error=first_error(form), zone=cohort_zone(cohort),
                           recorded=sum(1 for s in students if chosen.get(s.id))), 422 if form.errors else 200


@bp.get("/cohorts/<int:cohort_id>/attendance")
@requires(Role.MENTOR, Cohort)
def summary(cohort: Cohort):
    return render_template("sessions/summary.html", cohort=cohort, role=g.cohort_role,
                           summary=service.attendance_summary(cohort), zone=cohort_zone(cohort))


@bp.get("/cohorts/<int:cohort_id>/attendance.csv")
@requires(Role.LEAD, Cohort)
def attendance_csv(cohort: Cohort):
    """Streamed: rows are written as they are read, whatever the cohort's size."""
    chunks = export.attendance_csv(cohort)
    record("attendance.exported", target=cohort)  # students' names and emails leave Karya
    db.session.commit()
    response = Response(stream_with_context(chunks), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="attendance-cohort-{cohort.id}.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response


# --- calendars --------------------------------------------------------------------------------

def _calendar_response(body: bytes, download_name: str | None = None) -> Response:
    response = Response(body, mimetype="text/calendar")
    response.headers["Cache-Control"] = "private, no-cache"
    if download_name:
        response.headers["Content-Disposition"] = f'attachment; filename="{download_name}"'
    return response


@bp.get("/sessions/<int:workshop_session_id>/event.ics")
@requires(Role.STUDENT, WorkshopSession)
def event_ics(workshop_session: WorkshopSession):
    """One session, for "Add to my calendar" (the same UID as in the feeds)."""
    body = ics.calendar(workshop_session.cohort.name, [workshop_session])
    return _calendar_response(body, f"session-{workshop_session.id}.ics")


@bp.get("/calendar/cohort/<token>.ics")
@public  # calendar apps send no cookies: the unguessable token is the access check
def cohort_feed(token: str):
    cohort = feeds.cohort_by_token(token)
    if cohort is None:
        abort(404)
    return _calendar_response(ics.calendar(f"{cohort.name} · Karya", service.sessions_of(cohort.id)))


@bp.get("/calendar/me/<token>.ics")
@public  # as above; the person's own token
def my_feed(token: str):
    user = feeds.user_by_token(token)
    if user is None:
        abort(404)
    sessions = feeds.sessions_of_user(user)
    several = len({s.cohort_id for s in sessions}) > 1
    return _calendar_response(ics.calendar(
        "Karya", sessions, summary=(lambda s: f"{s.title} ({s.cohort.name})") if several else None))


@bp.post("/cohorts/<int:cohort_id>/calendar/rotate")
@requires(Role.LEAD, Cohort)
def rotate_cohort_feed(cohort: Cohort):
    feeds.rotate_token(cohort)
    db.session.commit()
    flash(_("The cohort's calendar has a new address. The old address no longer works."), "success")
    return redirect(url_for("sessions.index", cohort_id=cohort.id))


@bp.post("/calendar/me/rotate")
@signed_in
def rotate_my_feed():
    feeds.rotate_token(current_user._get_current_object())
    db.session.commit()
    flash(_("Your calendar has a new address. The old address no longer works."), "success")
    back = CalendarRotateForm().cohort_id.data
    return redirect(url_for("sessions.index", cohort_id=back) if back is not None else url_for("dashboard.home"))
