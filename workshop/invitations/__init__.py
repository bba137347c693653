"""Invitations: bringing people into a cohort by an emailed (or shown) link, signing up or
accepting through it, and the welcome link of an account a lead made for someone."""
