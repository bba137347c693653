# Karya: `make run` starts everything on an embedded default; `make test` runs the suite.
# Both set up .venv from the pinned requirements first, so a fresh clone needs only
# Python 3.11, Node/npm and git.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := workshop

VENDOR := workshop/static/vendor

.PHONY: run test setup setup-dev translations messages frontend chromium nginx clean

run: setup
	$(BIN)/python -m workshop.embedded

# Two processes, one a core (pytest-xdist); each has a database and a Redis database of its own.
# tests/conftest.py marks each test with an xdist_group: its module, so that a module's fixtures
# are built once, or "browser" for tests/browser/, so that one process serves all the browser
# tests one live server. The groups go out in collection order, which tests/conftest.py sets
# (the long modules first). PYTEST_WORKERS=0 runs everything in this process.
PYTEST_WORKERS ?= 2
test: setup-dev
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadgroup --no-loadscope-reorder $(PYTEST_ARGS)

# 1 GiB through the tus endpoint of a real gunicorn process: throughput and the web
# worker's peak RSS growth (target <= 50 MB). BENCH_ARGS="--size-mib 256 --chunk-mib 8".
.PHONY: bench-upload
bench-upload: setup-dev
	$(BIN)/python bench/upload.py $(BENCH_ARGS)

# Two parts, each against a bare ffmpeg transcode of the same file in the same run,
# interleaved (targets: <= 1.05x; the remux path <= 0.05x). Clips are cached in
# instance/bench-media/.
# 1. bench/media.py: the job in-process on a 60 s 1080p30 clip. 9 rounds, about 7 minutes;
#    BENCH_MEDIA_ARGS="--repeats 5" for a quicker look.
# 2. bench/latency.py: what a student sees, end of a tus upload to `ready` through gunicorn
#    and a real worker.py, for 20 s and 60 s portrait phone clips. 5 rounds, about
#    12 minutes; BENCH_LATENCY_ARGS="--quick" (2 rounds, 20 s only) or "--rounds 9".
.PHONY: bench-media
bench-media: setup-dev
	$(BIN)/python bench/media.py $(BENCH_MEDIA_ARGS)
	$(BIN)/python bench/latency.py $(BENCH_LATENCY_ARGS)

# The lead dashboard, the mentor queue and a student's home page under 20 concurrent
# clients against gunicorn, on a database seeded at programme scale (100 cohorts,
# 2,500 students, 200 mentors, 20,000 versions), on SQLite and on PostgreSQL.
# Target: p95 <= 150 ms. BENCH_WEB_ARGS="--database sqlite".
.PHONY: bench-web
bench-web: setup-dev
	$(BIN)/python bench/web.py $(BENCH_WEB_ARGS)

setup: $(VENV)/.runtime-installed translations frontend

setup-dev: $(VENV)/.dev-installed translations frontend chromium nginx

# The browser tests drive Debian's Chromium; Playwright never downloads a browser here.
chromium:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "Browser tests need Debian's Chromium: sudo apt-get install chromium"; fi; }

# tests/test_deploy.py runs deploy/nginx.conf in a real nginx, in front of both gunicorn pools.
nginx:
	@command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null; \
	  else echo "The deploy tests need nginx: sudo apt-get install nginx"; fi; }

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime-installed: requirements.txt | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.runtime-installed $@

# Browser libraries come from the npm registry at the versions package-lock.json pins,
# and are served from Karya's own origin (the Content-Security-Policy allows no other).
frontend: $(VENDOR)/.copied

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(VENDOR)/.copied: node_modules/.installed
	mkdir -p $(VENDOR)/uppy
	cp node_modules/uppy/dist/uppy.min.js node_modules/uppy/dist/uppy.min.css \
	   node_modules/@uppy/locales/dist/id_ID.min.js $(VENDOR)/uppy/
	touch $@

# Compiled catalogues are build output (.mo files are not committed).
translations: $(VENV)/.runtime-installed
	$(BIN)/pybabel -q compile -d workshop/translations

# After changing user-facing strings: extract them and merge into both catalogues.
messages: $(VENV)/.runtime-installed
	$(BIN)/pybabel -q extract -F babel.cfg -k _l --sort-by-file --project Karya --no-wrap -o workshop/translations/messages.pot .
	$(BIN)/pybabel -q update --no-wrap -N -i workshop/translations/messages.pot -d workshop/translations

clean:
	rm -rf $(VENV) instance .pytest_cache node_modules $(VENDOR)
