"""``python -m workshop.api_reference``: rewrite docs/api.md's reference from the OpenAPI
document of an app built here (``api/reference.py`` renders it; ``tests/test_openapi.py``
fails while the page differs from the declarations)."""

from __future__ import annotations

import sys
from pathlib import Path

from . import create_app
from .api.openapi import build
from .api.reference import rewrite


def main() -> None:
    app = create_app({"TESTING": True, "SECRET_KEY": "reference", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    target = Path(__file__).resolve().parents[1] / "docs" / "api.md"
    changed = rewrite(target, build(app))
    print(f"{target}: {'rewritten' if changed else 'already up to date'}", file=sys.stderr)


if __name__ == "__main__":
    main()
