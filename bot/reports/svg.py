"""Bar charts as SVG, drawn on the server: no script, no library, nothing fetched from anywhere.

Each chart has a <title> and <desc> (screen readers announce them) and the page puts a table with the same
figures beside it. A suppressed figure has no bar, only its "< 5", so the drawing hides what the table does.
Colours come from the console's stylesheet (classes), never inline styles (the console's CSP). The
drawing is laid out left to right in every language (`direction="ltr"`: labels end where bars begin); each
label is still written in its own script and direction.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from bot.reports.suppress import Figure

WIDTH = 640
LABEL_WIDTH = 210
VALUE_WIDTH = 56
ROW_HEIGHT = 24
BAR_HEIGHT = 16
PADDING = 6
MAX_LABEL_CHARS = 30


def bar_chart(chart_id: str, title: str, description: str, bars: Sequence[tuple[str, Figure]]) -> Markup:
    """A horizontal bar chart: one labelled bar per figure, scaled to the largest shown figure."""
    largest = max((figure.value or 0 for _label, figure in bars), default=0)
    span = WIDTH - LABEL_WIDTH - VALUE_WIDTH - 2 * PADDING
    height = max(1, len(bars)) * ROW_HEIGHT + 2 * PADDING
    parts = [
        f'<svg class="chart" id="{escape(chart_id)}" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" direction="ltr" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(description)}</desc>',
    ]
    for row, (label, figure) in enumerate(bars):
        top = PADDING + row * ROW_HEIGHT
        middle = top + ROW_HEIGHT / 2
        short = label if len(label) <= MAX_LABEL_CHARS else label[: MAX_LABEL_CHARS - 1] + "…"
        parts.append(
            f'<text class="chart-label" x="{LABEL_WIDTH - PADDING}" y="{middle:.1f}" '
            f'text-anchor="end" dominant-baseline="middle">{escape(short)}</text>'
        )
        width = 0.0
        if figure.value and largest:
            width = max(1.0, span * figure.value / largest)
            parts.append(
                f'<rect class="chart-bar" x="{LABEL_WIDTH}" y="{top + (ROW_HEIGHT - BAR_HEIGHT) / 2:.1f}" '
                f'width="{width:.1f}" height="{BAR_HEIGHT}"/>'
            )
        kind = "chart-value suppressed" if figure.suppressed else "chart-value"
        parts.append(
            f'<text class="{kind}" x="{LABEL_WIDTH + width + PADDING:.1f}" y="{middle:.1f}" '
            f'dominant-baseline="middle">{escape(figure.text)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
