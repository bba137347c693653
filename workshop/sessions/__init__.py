"""Workshop sessions: scheduling, attendance, the attendance export and calendar feeds."""
