"""Charts as inline SVG drawn on the server: horizontal bars, each bar a link to its list."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from markupsafe import Markup

ROW = 28
WIDTH = 320
LABEL = 150


@dataclass(frozen=True)
class Bar:
    """One bar: its label, its value, an optional second value (last year), and its list."""

    label: str
    value: int
    href: str | None = None
    previous: int | None = None
    note: str = ""


def bars(title: str, items: list[Bar], empty: str = "") -> Markup:
    """A labelled bar chart; last year's value, when given, is a thin grey bar beneath; with no
    bars, the sentence `empty` says what that means."""
    if not items and empty:
        return Markup('<p class="empty">{}</p>').format(empty)
    top = max([1, *(b.value for b in items), *(b.previous or 0 for b in items)])
    span = WIDTH - LABEL - 60
    height = ROW * max(1, len(items)) + 8
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>"
    ]
    for i, bar in enumerate(items):
        y = 4 + i * ROW
        length = round(span * bar.value / top)
        text = f"{bar.value}{bar.note}"
        body = (
            f'<text x="0" y="{y + 15}" class="lbl">{escape(bar.label[:24])}</text>'
            f'<rect x="{LABEL}" y="{y + 3}" width="{max(length, 1)}" height="14" class="bar"/>'
            f'<text x="{LABEL + length + 4}" y="{y + 15}" class="val">{escape(text)}</text>'
        )
        if bar.previous is not None:
            prev = round(span * bar.previous / top)
            body += (
                f'<rect x="{LABEL}" y="{y + 19}" width="{max(prev, 1)}" height="4" class="prev">'
                f"<title>{bar.previous}</title></rect>"
            )
        if bar.href:
            body = f'<a href="{escape(bar.href)}">{body}</a>'
        parts.append(body)
    parts.append("</svg>")
    return Markup("".join(parts))  # every interpolated text is escaped above
