"""Cohorts: the workshop groups people join, with their roles, sessions and assignments."""
