"""Uploads: resumable (tus 1.0.0) and plain form uploads of video drafts, and the version each becomes."""
