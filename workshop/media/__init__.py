"""The media pipeline: sniffing, probing and processing with ffmpeg (modules free of Flask
and the database), the RQ jobs and the watchdog that run it for versions, storage, and
serving and showing a version's media."""
