"""Assignments: writing one (brief, due date, length, checklists) and the assignment page."""
