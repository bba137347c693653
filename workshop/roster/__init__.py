"""Roster import: a school's list of students and staff, read, previewed and imported into a cohort."""
