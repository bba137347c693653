"""Overviews: everyone's home page, and the lead's view of a cohort (progress, review
turnaround, mentor load, attendance, concerns)."""
