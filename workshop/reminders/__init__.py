"""Reminders before things are late, and daily and weekly digests, sent by the workers' chores.

``schedule.py`` says when each may go, ``service.py`` finds what is due and sends each once,
``models.py`` keeps the ones sent.
"""
