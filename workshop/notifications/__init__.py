"""Notifications: in the app (the bell), by email and by WhatsApp."""
