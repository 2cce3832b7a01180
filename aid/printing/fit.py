"""Fitting text into the fixed cells of printed forms.

A ledger page has a fixed number of rows of fixed height (so that every page holds the same
number of signature lines), and its cells do not wrap: a long name (维吾尔族 names written with
"·", a class name with its major) would be cut off at the cell's edge, on a paper that
students sign. `cell_fit` shrinks the type of such a cell until it fits, and below the smallest
legible size lets it wrap onto two lines, which still fit in the row.
"""
from __future__ import annotations

import math
import unicodedata

from markupsafe import Markup

MM_PER_PT = 25.4 / 72
CELL_PADDING_MM = 2 * 1.2 + 0.3  # left and right padding plus the rule, as in the ledger's CSS
LEGIBLE_MIN_PT = 6.0


def text_width_em(text: str) -> float:
    """A safe upper estimate of the printed width in ems: wide and ambiguous characters (CJK,
    full-width forms, "·") one em each, everything else (Latin letters, digits) 0.6 em."""
    return sum(1.0 if unicodedata.east_asian_width(ch) in "WFA" else 0.6 for ch in text)


def fitted_size(text: str, width_mm: float, size_pt: float) -> tuple[float, bool]:
    """(font size in pt, wraps) for `text` in a cell `width_mm` wide set at `size_pt`: the size
    unchanged when it fits, else shrunk to fit on one line (to 0.1 pt, never below 6 pt), else
    6 pt on two lines."""
    usable_pt = (width_mm - CELL_PADDING_MM) / MM_PER_PT
    ems = text_width_em(text or "")
    if ems * size_pt <= usable_pt:
        return size_pt, False
    shrunk = math.floor(usable_pt / ems * 10) / 10
    if shrunk >= LEGIBLE_MIN_PT:
        return shrunk, False
    return LEGIBLE_MIN_PT, True


def cell_fit(text: str, width_mm: float, size_pt: float = 9.5) -> Markup:
    """A ` style="…"` attribute for a <td> that makes `text` fit, or nothing when it already does."""
    size, wraps = fitted_size(str(text or ""), width_mm, size_pt)
    if size == size_pt and not wraps:
        return Markup("")
    style = f"font-size:{size:g}pt"
    if wraps:
        style += ";white-space:normal;line-height:1.05;word-break:break-all"
    return Markup(f' style="{style}"')
