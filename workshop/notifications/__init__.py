"""Notifications: in the app (the bell) and by email."""
