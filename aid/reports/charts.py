"""Server-rendered SVG bar charts: no JavaScript, no inline styles (the CSP allows
SVG presentation attributes such as fill=), and they print."""
from __future__ import annotations

from markupsafe import Markup, escape

PALETTE = ("#1d4ed8", "#b42318", "#067647", "#b54708", "#6941c6", "#0e7090")


def bar_chart(items: list[tuple[str, int]], title: str, unit: str = "", width: int = 560) -> Markup:
    """Horizontal bars, one per (label, value); values are integers."""
    bar_h, gap, label_w, top = 22, 8, 170, 28
    height = top + len(items) * (bar_h + gap) + 8
    peak = max([v for _, v in items] + [1])
    span = width - label_w - 90
    parts = [f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
             f'width="100%" role="img" aria-label="{escape(title)}">',
             f'<title>{escape(title)}</title>',
             f'<text x="0" y="18" font-size="14" font-weight="bold" fill="#1f2933">{escape(title)}</text>']
    if not items:
        parts.append(f'<text x="0" y="{top + 14}" font-size="12" fill="#6b7280">暂无数据</text>')
    for i, (label, value) in enumerate(items):
        y = top + i * (bar_h + gap)
        w = max(1, round(span * value / peak)) if value else 0
        text = label if len(label) <= 12 else label[:11] + "…"
        parts.append(f'<text x="{label_w - 6}" y="{y + 15}" font-size="12" text-anchor="end" fill="#1f2933">{escape(text)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y}" width="{w}" height="{bar_h}" fill="{PALETTE[i % len(PALETTE)]}"/>')
        parts.append(f'<text x="{label_w + w + 6}" y="{y + 15}" font-size="12" fill="#1f2933">{value:,}{escape(unit)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
