"""The form that moves a submission to another mentor (on the dashboard and assignment pages)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField

from ..forms import WholeNumberField


class ReassignForm(FlaskForm):
    mentor_id = WholeNumberField()  # allocation.reassign refuses anyone who is not the cohort's mentor
    next = HiddenField()  # the page to go back to
