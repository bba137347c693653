"""Membership changes: a member's new role, or a member's removal, and what each takes with it."""
