"""Writing filter graphs as text, for the graphs ffmpeg-python cannot express.

ffmpeg-python builds one ``-filter_complex``; the stills and the analysis run in
graphs of their own (see :mod:`commands`), written here with the escaping ffmpeg
expects: an option's value is escaped, then the whole filter text is escaped again
for the graph parser.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Chain:
    """A linear filter chain: ``[source]f1,f2,...[label]...``.

    A chain ending in a filter with several outputs (``split``) names one label each.
    """

    source: str  # an input stream specifier ("0:1") or another chain's label
    filters: tuple[tuple[str, dict], ...]
    labels: tuple[str, ...]

    def text(self) -> str:
        return f"[{self.source}]" + ",".join(filter_text(name, options) for name, options in self.filters) \
            + "".join(f"[{label}]" for label in self.labels)


def graph_text(chains: list[Chain]) -> str:
    """One filter graph (one ``-filter_complex`` value) made of the given chains."""
    return ";".join(chain.text() for chain in chains)


# Characters escaped in an option's value, then in the filter's text within the graph
# (the same two levels, and the same sets, as ffmpeg-python uses).
_OPTION_SPECIAL = "\\'=:"
_GRAPH_SPECIAL = "\\'[],;"


def filter_text(name: str, options: dict) -> str:
    """One filter with its options, escaped twice as ffmpeg reads them (option value, then graph)."""
    text = name
    if options:
        text += "=" + ":".join(f"{key}={_escape(value, _OPTION_SPECIAL)}" for key, value in options.items())
    return _escape(text, _GRAPH_SPECIAL)


def _escape(value, chars: str) -> str:
    text = str(value)
    for char in chars:  # the backslash is first in both sets, so added escapes are not escaped again
        text = text.replace(char, "\\" + char)
    return text
