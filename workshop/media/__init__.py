"""The media pipeline: probing, processing with ffmpeg, storage."""
