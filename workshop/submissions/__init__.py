"""Submissions: one student's work on one assignment, and its uploaded versions."""
