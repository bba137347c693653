"""Draw Karya's icons: the favicon (SVG and 32 px PNG), the 180 px apple-touch-icon and the
web app manifest's 192 and 512 px icons, all in workshop/static/icons/.

    .venv/bin/python scripts/make_icons.py

The PNGs are committed; run this again only when the mark changes. The mark is a white "K"
on the brand green (--brand in karya.css) with a dot in the accent colour: a play button's
place in a video, and Karya's two colours.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

ICONS = Path(__file__).resolve().parent.parent / "workshop" / "static" / "icons"
BRAND, ACCENT, WHITE = "#0b6e4f", "#f97316", "#ffffff"

# The mark on a 64-unit square: a rounded square, the K's stem and its two arms, and the dot.
SVG = f"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">
  <rect width="64" height="64" rx="14" fill="{BRAND}"/>
  <path d="M21 15v34M43 15 24 33l17 16" fill="none" stroke="{WHITE}" stroke-width="8" stroke-linecap="round" stroke-linejoin="round"/>
  <circle cx="52" cy="50" r="5" fill="{ACCENT}"/>
</svg>
"""


def draw(size: int, *, rounded: bool = True, padding: float = 0.0) -> Image.Image:
    """The mark at ``size`` pixels, drawn four times larger and scaled down (smooth edges).
    ``padding`` (a share of the side) keeps it in a maskable icon's safe zone; an icon
    without ``rounded`` corners is cut by the platform (iOS rounds its own)."""
    scale = 4
    side = size * scale
    image = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    pen.rounded_rectangle((0, 0, side - 1, side - 1), radius=side * 14 / 64 if rounded else 0, fill=BRAND)
    inner = side * (1 - 2 * padding)
    offset = side * padding

    def at(x: float, y: float) -> tuple[float, float]:
        return offset + x * inner / 64, offset + y * inner / 64

    width = round(8 * inner / 64)
    for line in ([at(21, 15), at(21, 49)], [at(43, 15), at(24, 33), at(41, 49)]):
        pen.line(line, fill=WHITE, width=width, joint="curve")
        for x, y in (line[0], line[-1]):  # round caps
            pen.ellipse((x - width / 2, y - width / 2, x + width / 2, y + width / 2), fill=WHITE)
    cx, cy = at(52, 50)
    r = 5 * inner / 64
    pen.ellipse((cx - r, cy - r, cx + r, cy + r), fill=ACCENT)
    return image.resize((size, size), Image.LANCZOS)


def main() -> None:
    ICONS.mkdir(parents=True, exist_ok=True)
    (ICONS / "favicon.svg").write_text(SVG, encoding="utf-8")
    draw(32).save(ICONS / "favicon-32.png", optimize=True)
    draw(180, rounded=False, padding=0.08).convert("RGB").save(ICONS / "apple-touch-icon.png", optimize=True)
    draw(192).save(ICONS / "icon-192.png", optimize=True)
    draw(512).save(ICONS / "icon-512.png", optimize=True)
    draw(512, rounded=False, padding=0.12).save(ICONS / "icon-maskable-512.png", optimize=True)


if __name__ == "__main__":
    main()
