"""CSV exports that a spreadsheet opens as data, never as formulas (CSV injection).

Every CSV Karya writes goes through :func:`csv_stream`, so one rule holds everywhere:

* a cell that starts with a character a spreadsheet reads as a formula gets a leading ``'``;
* a cell holding a comma, a semicolon, a quote or a line break is quoted. Excel in
  locales whose list separator is ``;`` (Indonesian among them) splits an unquoted
  ``Budi;=cmd|...`` into a second cell that *starts* with ``=``; quoted, it stays one cell;
* quoting alone is not enough for that Excel: it honours a quote only at the start of
  what *it* takes for a cell, so ``2020-03-10,"Budi;=cmd"`` still splits into
  ``2020-03-10,"Budi`` and ``=cmd"``. So every part of a cell that follows a ``;`` or a
  line break is neutralised as if it began a cell (``Budi;'=cmd``).

The rows are written by hand rather than with :mod:`csv` because its writer only quotes
for its own delimiter, never for the ``;`` another locale's Excel splits on.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A cell holding one of these is quoted: field separators of any locale, quotes, line breaks.
_NEEDS_QUOTES = (",", ";", '"', "\r", "\n")
# Where a spreadsheet parsing with another separator may start a new cell inside ours.
_CELL_BREAKS = re.compile(r"([;\r\n])")
BYTE_ORDER_MARK = "\ufeff"  # so that Excel reads the file as UTF-8


def neutralise(cell) -> str:
    """The cell as text, with a ' before its start and before every part after a ``;`` or a
    line break that a spreadsheet would run as a formula."""
    text = "" if cell is None else str(cell)
    return "".join(_neutral_part(part) for part in _CELL_BREAKS.split(text))


def _neutral_part(part: str) -> str:
    # Spaces and quotes before the formula sign do not stop every spreadsheet from running it.
    return "'" + part if part.lstrip(' "').startswith(FORMULA_STARTS) else part


def csv_cell(cell) -> str:
    """The cell as it is written in the file: neutralised, then quoted when it must be."""
    text = neutralise(cell)
    if any(char in text for char in _NEEDS_QUOTES):
        return '"' + text.replace('"', '""') + '"'
    return text


def csv_line(cells: Iterable) -> str:
    """One CSV record, comma-separated and ending in CRLF (RFC 4180)."""
    return ",".join(csv_cell(cell) for cell in cells) + "\r\n"


def csv_stream(rows: Iterable[Iterable]) -> Iterator[str]:
    """The whole file as text chunks, one per row, opening with a byte-order mark."""
    yield BYTE_ORDER_MARK
    for row in rows:
        yield csv_line(row)
