"""Drawings on a paused frame: the shapes a comment carries, checked and drawn.

A drawing is a list of shapes, each ``{"kind": "pen" | "arrow" | "box", "color": <a
palette name>, "points": [[x, y], ...]}``. Coordinates are fractions of the frame (0..1
from its left and top edges), so a drawing scales with any player and any rendition.
A pen stroke is a line through its points; an arrow runs from its first point to its
second; a box has two opposite corners. The bounds keep a drawing small (a few tens
of kilobytes at most) whether it comes from the page's form or from the API.
"""

from __future__ import annotations

import math

from flask_babel import lazy_gettext as _l

from ..errors import Invalid

KINDS = ("pen", "arrow", "box")
COLORS = ("red", "yellow", "green", "blue", "white")
MAX_SHAPES = 30
MAX_PEN_POINTS = 400
MAX_POINTS = 2000  # in the whole drawing
PRECISION = 4  # decimals kept: a ten-thousandth of the frame is finer than a pixel of 4K


def cleaned(drawing) -> list[dict] | None:
    """``drawing`` as it is stored (coordinates rounded), or None for no drawing; refused
    (``Invalid`` on the field ``drawing``) when it is not a drawing within the bounds."""
    if drawing is None or drawing == []:
        return None
    if not isinstance(drawing, list):
        raise _refused(_l("A drawing must be a list of shapes."))
    if len(drawing) > MAX_SHAPES:
        raise _refused(_l("A drawing can have at most %(n)d shapes.", n=MAX_SHAPES))
    shapes, total = [], 0
    for shape in drawing:
        if not isinstance(shape, dict) or shape.get("kind") not in KINDS:
            raise _refused(_l("Each shape must be a pen stroke, an arrow or a box."))
        if shape.get("color") not in COLORS:
            raise _refused(_l("Choose a colour for each shape: %(colors)s.", colors=", ".join(COLORS)))
        points = shape.get("points")
        most = MAX_PEN_POINTS if shape["kind"] == "pen" else 2
        if not isinstance(points, list) or not 2 <= len(points) <= most:
            raise _refused(_l("A pen stroke has 2 to %(n)d points; an arrow and a box have 2.", n=MAX_PEN_POINTS))
        total += len(points)
        if total > MAX_POINTS:
            raise _refused(_l("A drawing can have at most %(n)d points in all.", n=MAX_POINTS))
        shapes.append({"kind": shape["kind"], "color": shape["color"],
                       "points": [_point(point) for point in points]})
    return shapes


def _point(point) -> list[float]:
    if (not isinstance(point, list) or len(point) != 2
            or not all(isinstance(c, (int, float)) and not isinstance(c, bool) and math.isfinite(c) and 0 <= c <= 1
                       for c in point)):
        raise _refused(_l("Each point of a shape is two numbers from 0 to 1."))
    return [round(float(point[0]), PRECISION), round(float(point[1]), PRECISION)]


def _refused(message) -> Invalid:
    return Invalid(message, field="drawing")


def svg_paths(drawing: list[dict] | None, width: int, height: int) -> list[tuple[str, str]]:
    """Each shape as ``(color, path data)`` in a viewBox of ``width`` x ``height`` (the
    frame's size), for drawing a comment's shapes on the server (the previews beside
    comments); ``static/js/drawing.js`` draws them the same way in the player."""
    paths = []
    for shape in drawing or []:
        points = [(x * width, y * height) for x, y in shape["points"]]
        if shape["kind"] == "box":
            (x0, y0), (x1, y1) = points
            d = f"M{x0:.1f} {y0:.1f}H{x1:.1f}V{y1:.1f}H{x0:.1f}Z"
        elif shape["kind"] == "arrow":
            d = _arrow(points[0], points[1], math.hypot(width, height))
        else:
            d = "M" + "L".join(f"{x:.1f} {y:.1f}" for x, y in points)
        paths.append((shape["color"], d))
    return paths


def _arrow(start, end, diagonal: float) -> str:
    """A line with a two-stroke head at ``end``, the head 3 % of the frame's diagonal."""
    (x0, y0), (x1, y1) = start, end
    angle, head = math.atan2(y1 - y0, x1 - x0), diagonal * 0.03
    wings = [(x1 - head * math.cos(angle - s), y1 - head * math.sin(angle - s)) for s in (0.5, -0.5)]
    return (f"M{x0:.1f} {y0:.1f}L{x1:.1f} {y1:.1f}"
            + "".join(f"M{wx:.1f} {wy:.1f}L{x1:.1f} {y1:.1f}" for wx, wy in wings))
