"""Review: checklists, mentors' reviews and verdicts, time-coded comments, safeguarding."""
