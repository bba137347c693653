"""Review: the version page, checklists, mentors' reviews and verdicts, time-coded comments,
safeguarding concerns."""
