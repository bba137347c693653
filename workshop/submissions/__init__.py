"""Submissions: one student's work on one assignment, its uploaded versions and the
safeguarding concerns that lock it; the lifecycle of all three, and which mentor reviews it."""
