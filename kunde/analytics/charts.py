"""Server-rendered SVG charts for the dashboard: no JavaScript, no CDN, deterministic output.

`line_chart`, `bar_chart`, `heat_matrix` and `sparkline` return inline SVG as a SafeString.
Every label goes through `format_html` (labels come from user data), every chart carries
role="img", an aria-label summary, a <title> and a <desc> listing the values, and scales
with its container through its viewBox.

Colours are `currentColor` plus CSS classes (chart-series-N, chart-bar, chart-cell, ...)
so the page's CSS decides them and print and dark styles work. Only presentation
attributes are used, never style attributes or <style>: the CSP allows styles from 'self'
only. Series also differ by dash pattern, so they stay apart in greyscale print.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from django.utils.formats import number_format
from django.utils.functional import Promise
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext

Formatter = Callable[[float], str]
Bar = tuple[str, float | None]

FONT_SIZE = 12
# Rough advance of one character at FONT_SIZE; only used to reserve room for labels.
CHAR_WIDTH = 7.0
DASH_PATTERNS = ("none", "6 3", "2 3", "8 3 2 3", "1 2")
MISSING = "–"


@dataclass(frozen=True)
class Series:
    """A named line: (label, value) points in order; None leaves a gap."""

    name: str | Promise
    points: Sequence[tuple[str, float | None]]


def format_number(value: float) -> str:
    """A number in the active locale with no more decimals than needed (at most two)."""
    rounded = round(float(value), 2)
    if rounded.is_integer():
        decimals = 0
    elif round(rounded, 1) == rounded:
        decimals = 1
    else:
        decimals = 2
    return number_format(rounded + 0.0, decimal_pos=decimals)


def format_percent(value: float) -> str:
    """A share 0..1 as a whole percentage in the active locale, e.g. "45%"."""
    return gettext("%(number)s%%") % {"number": number_format(round(float(value) * 100) + 0, decimal_pos=0)}


# --- line chart ---------------------------------------------------------------------


def line_chart(
    series: Sequence[Series],
    *,
    title: str | Promise = "",
    y_format: Formatter = format_number,
    y_min: float | None = None,
    y_max: float | None = None,
    width: int = 640,
    height: int = 240,
) -> SafeString:
    """Trend lines over shared x labels (periods); None values leave gaps in the line.

    The x axis is the labels of all series in order of first appearance. The y axis spans
    the values (or `y_min`/`y_max`, e.g. -100..100 for NPS) rounded out to even ticks.
    """
    title = str(title) or gettext("Line chart")
    labels = _ordered_labels(series)
    values = [value for line in series for _, value in line.points if value is not None]
    if not values:
        return _no_data("line-chart", title, width, height)
    ticks = _nice_ticks(min(values) if y_min is None else y_min, max(values) if y_max is None else y_max)
    tick_texts = [y_format(tick) for tick in ticks]
    legend_height = 20 if len(series) > 1 else 0
    left = _text_width(tick_texts) + 10
    top, right, bottom = 10 + legend_height, 14, 26
    plot = _Plot(left, top, width - left - right, height - top - bottom, ticks[0], ticks[-1])
    # Inset the first and last point by half a label so their x labels are not clipped.
    inset = min(_text_width([_truncate(label, 12) for label in labels]) / 2, plot.width / 4)
    spacing = (plot.width - 2 * inset) / (len(labels) - 1) if len(labels) > 1 else 0.0

    def x_of(index: int) -> float:
        return plot.left + (inset + index * spacing if len(labels) > 1 else plot.width / 2)

    parts = [_y_axis(plot, ticks, tick_texts)]
    parts.append(_x_labels([x_of(i) for i in range(len(labels))], labels, plot.bottom + 16, spacing or plot.width))
    if legend_height:
        parts.append(_legend(series, plot.left, 14))
    position = {label: index for index, label in enumerate(labels)}
    for number, line in enumerate(series):
        points = [(x_of(position[label]), value, label) for label, value in line.points]
        parts.append(_line(number, str(line.name), points, plot, y_format))
    summary = gettext("%(series)d series over %(periods)d periods, from %(low)s to %(high)s") % {
        "series": len(series), "periods": len(labels), "low": y_format(min(values)), "high": y_format(max(values)),
    }
    desc = "; ".join(
        f"{line.name}: " + ", ".join(f"{label} {_value_text(value, y_format)}" for label, value in line.points)
        for line in series
    )
    return _svg("line-chart", width, height, title, summary, desc, parts)


def _ordered_labels(series: Sequence[Series]) -> list[str]:
    seen: dict[str, None] = {}
    for line in series:
        for label, _ in line.points:
            seen.setdefault(str(label), None)
    return list(seen)


def _line(
    number: int, name: str, points: list[tuple[float, float | None, str]], plot: _Plot, y_format: Formatter
) -> SafeString:
    dash = DASH_PATTERNS[number % len(DASH_PATTERNS)]
    circles = format_html_join(
        "",
        '<circle class="chart-point" cx="{}" cy="{}" r="3" fill="currentColor"><title>{}</title></circle>',
        (
            (_n(x), _n(plot.y(value)), f"{name}, {label}: {y_format(value)}")
            for x, value, label in points if value is not None
        ),
    )
    return format_html(
        '<g class="chart-series chart-series-{}"><path d="{}" fill="none" stroke="currentColor" stroke-width="2"'
        ' stroke-dasharray="{}" stroke-linejoin="round"/>{}</g>',
        number, _path([(x, value) for x, value, _ in points], plot), dash, circles,
    )


def _legend(series: Sequence[Series], left: float, baseline: float) -> SafeString:
    items = []
    x = left
    for number, line in enumerate(series):
        items.append(format_html(
            '<g class="chart-legend-item chart-series-{}"><line x1="{}" y1="{}" x2="{}" y2="{}" stroke="currentColor"'
            ' stroke-width="2" stroke-dasharray="{}"/><text x="{}" y="{}" font-size="{}" fill="currentColor">{}</text>'
            "</g>",
            number, _n(x), _n(baseline - 4), _n(x + 18), _n(baseline - 4),
            DASH_PATTERNS[number % len(DASH_PATTERNS)], _n(x + 22), _n(baseline), FONT_SIZE, line.name,
        ))
        x += 22 + _text_width([str(line.name)]) + 14
    return format_html('<g class="chart-legend">{}</g>', _join(items))


# --- bar chart ----------------------------------------------------------------------


def bar_chart(
    bars: Sequence[Bar],
    *,
    title: str | Promise = "",
    value_format: Formatter = format_number,
    horizontal: bool = False,
    width: int = 640,
    height: int | None = None,
) -> SafeString:
    """Bars from zero, one per (label, value): a histogram upright, a funnel with `horizontal=True`.

    A None value shows its label with a dash and no bar. Negative values grow below
    (or left of) the zero line.
    """
    title = str(title) or gettext("Bar chart")
    values = [value for _, value in bars if value is not None]
    if not values:
        return _no_data("bar-chart", title, width, height or 240)
    ticks = _nice_ticks(min(0.0, *values), max(0.0, *values))
    if horizontal:
        parts, height = _horizontal_bars(bars, ticks, value_format, width)
    else:
        height = height or 240
        parts = _vertical_bars(bars, ticks, value_format, width, height)
    summary = gettext("%(count)d bars, from %(low)s to %(high)s") % {
        "count": len(bars), "low": value_format(min(values)), "high": value_format(max(values)),
    }
    desc = ", ".join(f"{label}: {_value_text(value, value_format)}" for label, value in bars)
    return _svg("bar-chart" + (" chart-horizontal" if horizontal else ""), width, height, title, summary, desc, parts)


def _vertical_bars(
    bars: Sequence[Bar], ticks: list[float], value_format: Formatter, width: int, height: int
) -> list[SafeString]:
    tick_texts = [value_format(tick) for tick in ticks]
    left = _text_width(tick_texts) + 10
    plot = _Plot(left, 18, width - left - 10, height - 18 - 26, ticks[0], ticks[-1])
    slot = plot.width / len(bars)
    bar_width = max(1.0, slot * 0.7)
    parts = [_y_axis(plot, ticks, tick_texts)]
    centres = [plot.left + slot * (index + 0.5) for index in range(len(bars))]
    parts.append(_x_labels(centres, [str(label) for label, _ in bars], plot.bottom + 16, slot))
    zero = plot.y(0.0)
    for centre, (label, value) in zip(centres, bars, strict=True):
        if value is None:
            parts.append(_text(centre, zero - 4, MISSING, anchor="middle", css="chart-value"))
            continue
        top, bottom = sorted((plot.y(value), zero))
        parts.append(_bar(centre - bar_width / 2, top, bar_width, bottom - top, label, value_format(value)))
        if slot >= _text_width([value_format(value)]):
            label_y = top - 4 if value >= 0 else bottom + FONT_SIZE
            parts.append(_text(centre, label_y, value_format(value), anchor="middle", css="chart-value"))
    return parts


def _horizontal_bars(
    bars: Sequence[Bar], ticks: list[float], value_format: Formatter, width: int
) -> tuple[list[SafeString], int]:
    row_height, top = 24, 6
    labels = [_truncate(str(label), 28) for label, _ in bars]
    value_texts = [_value_text(value, value_format) for _, value in bars]
    left = min(_text_width(labels), 200) + 10
    right = _text_width(value_texts) + 10
    height = top + row_height * len(bars) + 6
    scale_width = width - left - right
    span = ticks[-1] - ticks[0]

    def x_of(value: float) -> float:
        return left + (value - ticks[0]) / span * scale_width

    zero = x_of(0.0)
    parts = []
    for index, ((label, value), short_label, value_text) in enumerate(zip(bars, labels, value_texts, strict=True)):
        middle = top + row_height * index + row_height / 2
        parts.append(_text(left - 6, middle + 4, short_label, anchor="end", css="chart-label"))
        if value is None:
            parts.append(_text(zero + 4, middle + 4, MISSING, anchor="start", css="chart-value"))
            continue
        start, end = sorted((x_of(value), zero))
        parts.append(_bar(start, middle - row_height * 0.35, end - start, row_height * 0.7, label, value_text))
        parts.append(_text(end + 4, middle + 4, value_text, anchor="start", css="chart-value"))
    parts.append(format_html(
        '<line class="chart-axis" x1="{}" y1="{}" x2="{}" y2="{}" stroke="currentColor" stroke-opacity="0.4"/>',
        _n(zero), top, _n(zero), height - 6,
    ))
    return parts, height


def _bar(x: float, y: float, width: float, height: float, label: str, value_text: str) -> SafeString:
    return format_html(
        '<rect class="chart-bar" x="{}" y="{}" width="{}" height="{}" fill="currentColor"><title>{}</title></rect>',
        _n(x), _n(y), _n(max(width, 0.0)), _n(max(height, 0.0)), f"{label}: {value_text}",
    )


# --- heat matrix --------------------------------------------------------------------


def heat_matrix(
    rows: Sequence[str],
    columns: Sequence[str],
    values: Sequence[Sequence[float | None]],
    *,
    title: str | Promise = "",
    value_format: Formatter = format_percent,
    min_value: float | None = None,
    max_value: float | None = None,
) -> SafeString:
    """A grid of cells shaded by value: cohort retention (0..1 as percent) or the RFM grid (counts).

    Cell opacity runs from `min_value` to `max_value` (default: the smallest and largest
    value; pass 0 and 1 for retention). None cells stay empty, e.g. the cohort triangle.
    """
    title = str(title) or gettext("Matrix")
    if len(values) != len(rows) or any(len(row) != len(columns) for row in values):
        raise ValueError(f"values must have {len(rows)} rows of {len(columns)} values each")
    present = [value for row in values for value in row if value is not None]
    if not present:
        return _no_data("heat-matrix", title, 640, 240)
    low = min(present) if min_value is None else min_value
    high = max(present) if max_value is None else max_value
    row_labels = [_truncate(str(label), 24) for label in rows]
    column_labels = [_truncate(str(label), 10) for label in columns]
    cell_texts = [[value_format(value) if value is not None else "" for value in row] for row in values]
    cell_width = max(36.0, _text_width([text for row in cell_texts for text in row] + column_labels) + 8)
    cell_height, top = 24.0, 22.0
    left = _text_width(row_labels) + 10
    width = math.ceil(left + cell_width * len(columns) + 4)
    height = math.ceil(top + cell_height * len(rows) + 4)
    parts = [
        _text(left + cell_width * (index + 0.5), top - 8, label, anchor="middle", css="chart-label")
        for index, label in enumerate(column_labels)
    ]
    for row_index, (row_label, row) in enumerate(zip(row_labels, values, strict=True)):
        y = top + cell_height * row_index
        parts.append(_text(left - 6, y + cell_height / 2 + 4, row_label, anchor="end", css="chart-label"))
        for column_index, value in enumerate(row):
            if value is None:
                continue
            x = left + cell_width * column_index
            parts.append(_cell(
                x, y, cell_width, cell_height, _intensity(value, low, high), cell_texts[row_index][column_index],
                f"{rows[row_index]}, {columns[column_index]}: {cell_texts[row_index][column_index]}",
            ))
    summary = gettext("%(rows)d rows by %(columns)d columns, from %(low)s to %(high)s") % {
        "rows": len(rows), "columns": len(columns), "low": value_format(min(present)),
        "high": value_format(max(present)),
    }
    desc = "; ".join(
        f"{label}: " + ", ".join(f"{column} {text or MISSING}" for column, text in zip(columns, texts, strict=True))
        for label, texts in zip(rows, cell_texts, strict=True)
    )
    # Unlike the other charts a matrix is sized by its cells, not its container: the width
    # attribute keeps a small grid from being blown up (CSS max-width: 100% still shrinks it).
    return _svg("heat-matrix", width, height, title, summary, desc, parts, natural_width=True)


def _intensity(value: float, low: float, high: float) -> float:
    if high <= low:
        return 1.0
    return min(1.0, max(0.0, (value - low) / (high - low)))


def _cell(x: float, y: float, width: float, height: float, intensity: float, text: str, tooltip: str) -> SafeString:
    opacity = 0.08 + 0.82 * intensity
    # On a strongly filled cell currentColor text would vanish; Canvas (the page background)
    # keeps contrast in light and dark colour schemes. The class lets CSS override it.
    text_fill, text_class = ("Canvas", "chart-cell-label chart-cell-label-inverse") if opacity > 0.5 else (
        "currentColor", "chart-cell-label")
    return format_html(
        '<g><title>{}</title><rect class="chart-cell" x="{}" y="{}" width="{}" height="{}" fill="currentColor"'
        ' fill-opacity="{}"/><text class="{}" x="{}" y="{}" font-size="{}" text-anchor="middle" fill="{}">{}</text>'
        "</g>",
        tooltip, _n(x + 1), _n(y + 1), _n(width - 2), _n(height - 2), f"{opacity:.2f}",
        text_class, _n(x + width / 2), _n(y + height / 2 + 4), FONT_SIZE - 1, text_fill, text,
    )


# --- sparkline ----------------------------------------------------------------------


def sparkline(
    values: Sequence[float | None],
    *,
    title: str | Promise = "",
    value_format: Formatter = format_number,
    width: int = 100,
    height: int = 24,
) -> SafeString:
    """A tiny trend line for a KPI tile, the latest value marked; None leaves a gap."""
    title = str(title) or gettext("Trend")
    present = [value for value in values if value is not None]
    if not present:
        return _no_data("sparkline", title, width, height, font_size=9)
    # A constant series has no span; _Plot.y then draws it across the middle.
    plot = _Plot(2, 2, width - 4, height - 4, min(present), max(present))
    spacing = plot.width / (len(values) - 1) if len(values) > 1 else 0.0
    points = [(plot.left + (index * spacing if len(values) > 1 else plot.width / 2), value)
              for index, value in enumerate(values)]
    last_x, last_value = next((x, value) for x, value in reversed(points) if value is not None)
    summary = gettext("from %(first)s to %(last)s, lowest %(low)s, highest %(high)s") % {
        "first": value_format(present[0]), "last": value_format(present[-1]),
        "low": value_format(min(present)), "high": value_format(max(present)),
    }
    parts = [format_html(
        '<path class="chart-sparkline-line" d="{}" fill="none" stroke="currentColor" stroke-width="1.5"'
        ' stroke-linejoin="round"/><circle class="chart-point" cx="{}" cy="{}" r="2" fill="currentColor"/>',
        _path(points, plot), _n(last_x), _n(plot.y(last_value)),
    )]
    desc = ", ".join(_value_text(value, value_format) for value in values)
    return _svg("sparkline", width, height, title, summary, desc, parts)


# --- shared pieces ------------------------------------------------------------------


@dataclass(frozen=True)
class _Plot:
    """The plotting area in viewBox units and the value range it shows."""

    left: float
    top: float
    width: float
    height: float
    low: float
    high: float

    @property
    def bottom(self) -> float:
        return self.top + self.height

    def y(self, value: float) -> float:
        span = self.high - self.low
        share = (value - self.low) / span if span else 0.5
        return self.bottom - share * self.height


def _nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Evenly spaced round tick values (steps of 1, 2, 2.5 or 5 times 10^n) covering low..high."""
    if high < low:
        low, high = high, low
    if high == low:
        padding = abs(low) * 0.1 or 1.0
        low, high = low - padding, high + padding
    raw_step = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw_step))
    step = next(factor * magnitude for factor in (1, 2, 2.5, 5, 10) if raw_step <= factor * magnitude * (1 + 1e-9))
    start = math.floor(low / step + 1e-9) * step
    end = math.ceil(high / step - 1e-9) * step
    return [round(start + index * step, 10) + 0.0 for index in range(round((end - start) / step) + 1)]


def _path(points: Sequence[tuple[float, float | None]], plot: _Plot) -> str:
    """SVG path data through the points; a None starts a new subpath, leaving a gap."""
    commands = []
    previous_missing = True
    for x, value in points:
        if value is None:
            previous_missing = True
            continue
        commands.append(f"{'M' if previous_missing else 'L'}{_n(x)} {_n(plot.y(value))}")
        previous_missing = False
    return " ".join(commands)


def _y_axis(plot: _Plot, ticks: list[float], texts: list[str]) -> SafeString:
    return format_html_join(
        "",
        '<line class="chart-grid" x1="{}" y1="{}" x2="{}" y2="{}" stroke="currentColor" stroke-opacity="0.15"/>'
        '<text class="chart-tick" x="{}" y="{}" font-size="{}" text-anchor="end" fill="currentColor">{}</text>',
        (
            (_n(plot.left), _n(plot.y(tick)), _n(plot.left + plot.width), _n(plot.y(tick)),
             _n(plot.left - 6), _n(plot.y(tick) + 4), FONT_SIZE, text)
            for tick, text in zip(ticks, texts, strict=True)
        ),
    )


def _x_labels(centres: list[float], labels: list[str], baseline: float, slot: float) -> SafeString:
    """Category labels under the plot, every n-th one when they would overlap."""
    widest = _text_width([_truncate(label, 12) for label in labels]) + 8
    every = max(1, math.ceil(widest / slot)) if slot > 0 else 1
    return _join(
        _text(centre, baseline, _truncate(label, 12), anchor="middle", css="chart-tick")
        for index, (centre, label) in enumerate(zip(centres, labels, strict=True)) if index % every == 0
    )


def _text(x: float, y: float, text: str, *, anchor: str, css: str) -> SafeString:
    return format_html(
        '<text class="{}" x="{}" y="{}" font-size="{}" text-anchor="{}" fill="currentColor">{}</text>',
        css, _n(x), _n(y), FONT_SIZE, anchor, text,
    )


def _svg(
    kind: str, width: int, height: int, title: str, summary: str, desc: str, parts: list[SafeString],
    *, natural_width: bool = False,
) -> SafeString:
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{}" viewBox="0 0 {} {}"{} role="img"'
        ' aria-label="{}" preserveAspectRatio="xMidYMid meet"><title>{}</title><desc>{}</desc>{}</svg>',
        kind, width, height, format_html(' width="{}"', width) if natural_width else "",
        f"{title}: {summary}", title, desc, _join(parts),
    )


def _no_data(kind: str, title: str, width: int, height: int, *, font_size: int = FONT_SIZE) -> SafeString:
    message = gettext("No data")
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{} chart-empty" viewBox="0 0 {} {}" role="img"'
        ' aria-label="{}"><title>{}</title><text class="chart-empty-text" x="{}" y="{}" font-size="{}"'
        ' text-anchor="middle" fill="currentColor">{}</text></svg>',
        kind, width, height, f"{title}: {message}", title, _n(width / 2), _n(height / 2 + font_size / 3),
        font_size, message,
    )


def _join(parts: Iterable[SafeString]) -> SafeString:
    # format_html_join escapes anything that is not already safe, so a stray str cannot inject markup.
    return format_html_join("", "{}", ((part,) for part in parts))


def _value_text(value: float | None, value_format: Formatter) -> str:
    return MISSING if value is None else value_format(value)


def _truncate(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def _text_width(texts: Iterable[str]) -> float:
    return max((len(text) for text in texts), default=0) * CHAR_WIDTH


def _n(value: float) -> str:
    """A coordinate with one decimal, locale-independent (SVG needs a dot), no "-0"."""
    text = f"{round(value, 1) + 0.0:.1f}"
    return text[:-2] if text.endswith(".0") else text
