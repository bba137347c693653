"""The lead's view of a cohort: progress, review turnaround, mentor load, attendance, concerns."""
