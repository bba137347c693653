"""Accounts: people, passwords, sign-up, log-in, password reset and API tokens."""
