"""Draws Wallfacer's icons with pillow: `python assets/icons/make_icons.py`.

The mark is a board seen from afar: three columns of cards of different
heights on a rounded square. Tray variants keep the mark and add a state:
idle (muted), running (bright columns) and needs-attention (an amber dot).
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent
NAVY = (31, 42, 68, 255)
COLUMNS = ((122, 162, 255), (155, 231, 196), (255, 210, 122))  # blue, mint, amber
HEIGHTS = (0.62, 0.40, 0.52)
SIZES = (16, 32, 64, 128, 256, 512)


def mark(size: int, colours: tuple[tuple[int, int, int], ...] = COLUMNS) -> Image.Image:
    """Drawn at 4x and scaled down, so small sizes stay crisp."""
    scale = 4
    big = size * scale
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=big * 0.22, fill=NAVY)
    pad, gap = big * 0.19, big * 0.06
    width = (big - 2 * pad - 2 * gap) / 3
    top = big * 0.22
    for n, (colour, height) in enumerate(zip(colours, HEIGHTS, strict=True)):
        left = pad + n * (width + gap)
        draw.rounded_rectangle(
            (left, top, left + width, top + big * height), radius=width * 0.28, fill=(*colour, 255)
        )
    return image.resize((size, size), Image.Resampling.LANCZOS)


def tray(state: str, size: int = 64) -> Image.Image:
    if state == "idle":
        return mark(size, ((150, 160, 180),) * 3)
    image = mark(size)
    if state == "attention":
        draw = ImageDraw.Draw(image)
        r = size * 0.2
        cx, cy = size - r - 1, size - r - 1
        draw.ellipse(
            (cx - r, cy - r, cx + r, cy + r),
            fill=(255, 176, 32, 255),
            outline=NAVY,
            width=max(1, size // 32),
        )
    return image


def main() -> None:
    images = {size: mark(size) for size in SIZES}
    for size, image in images.items():
        image.save(HERE / f"wallfacer-{size}.png")
    images[256].save(HERE / "wallfacer.ico", sizes=[(s, s) for s in SIZES if s <= 256])
    images[512].save(HERE / "wallfacer.icns")
    for state in ("idle", "running", "attention"):
        tray(state).save(HERE / f"tray-{state}.png")


if __name__ == "__main__":
    main()
