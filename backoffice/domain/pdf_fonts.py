"""The font every generated PDF (tickets, invoices) writes with.

PDF's built-in fonts only know Latin-1, so "Łukasz" or "Øster" would be lost. A TrueType font
with wide coverage is embedded instead: the one named by the PDF_FONT setting (a .ttf path, with
optional PDF_FONT_BOLD), else DejaVu Sans or Liberation Sans where Debian/Ubuntu (fonts-dejavu-core,
fonts-liberation) and most other systems put them. Without any of them the PDF still renders with
Helvetica, and characters outside Latin-1 become "?" rather than failing the download.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from fpdf import FPDF

# Embedding a font subsets it; fontTools reports every step of that at INFO level.
logging.getLogger("fontTools").setLevel(logging.WARNING)

FAMILY = "Body"
FALLBACK = "helvetica"

# (regular, bold) pairs, best first
CANDIDATES = (
    ("dejavu/DejaVuSans.ttf", "dejavu/DejaVuSans-Bold.ttf"),
    ("liberation/LiberationSans-Regular.ttf", "liberation/LiberationSans-Bold.ttf"),
    ("liberation2/LiberationSans-Regular.ttf", "liberation2/LiberationSans-Bold.ttf"),
)
FONT_DIRS = ("/usr/share/fonts/truetype", "/usr/share/fonts/TTF", "/usr/share/fonts", "/usr/local/share/fonts",
             "/Library/Fonts")


@dataclass(frozen=True)
class FontFiles:
    regular: str
    bold: str


@lru_cache(maxsize=1)
def font_files() -> FontFiles | None:
    """The TrueType files to embed, or None when only the built-in fonts are available."""
    configured = os.environ.get("PDF_FONT")
    if configured and Path(configured).is_file():
        bold = os.environ.get("PDF_FONT_BOLD")
        return FontFiles(configured, bold if bold and Path(bold).is_file() else configured)
    for base in FONT_DIRS:
        for regular, bold in CANDIDATES:
            path = Path(base) / regular
            if path.is_file():
                bold_path = Path(base) / bold
                return FontFiles(str(path), str(bold_path) if bold_path.is_file() else str(path))
    return None


def use_font(pdf: FPDF) -> str:
    """Register the body font on `pdf` (regular and bold "B") and return its family name."""
    files = font_files()
    if files is None:
        return FALLBACK
    pdf.add_font(FAMILY, "", files.regular)
    pdf.add_font(FAMILY, "B", files.bold)
    return FAMILY


def printable(text: str | None, family: str) -> str:
    """`text` as the chosen font can write it: unchanged for an embedded font; Latin-1 with "?"
    for anything else when only the built-in font is there."""
    text = text or ""
    if family != FALLBACK:
        return text
    return text.encode("latin-1", "replace").decode("latin-1")
