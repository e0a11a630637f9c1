"""Server-rendered SVG charts: well-formed, accessible, escaped, deterministic."""

import xml.etree.ElementTree as ET

import pytest
from django.utils import translation
from django.utils.safestring import SafeString

from kunde.analytics import charts

SVG = "{http://www.w3.org/2000/svg}"
EVIL = '<script>alert("x")</script>'


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _parse(svg: SafeString) -> ET.Element:
    assert isinstance(svg, SafeString)
    root = ET.fromstring(str(svg))  # noqa: S314 - our own output, not untrusted input
    assert root.tag == f"{SVG}svg"
    return root


def _with_class(root: ET.Element, css: str) -> list[ET.Element]:
    return [element for element in root.iter() if css in (element.get("class") or "").split()]


def _texts(root: ET.Element) -> list[str]:
    return [element.text or "" for element in root.iter(f"{SVG}text")]


def _assert_accessible(root: ET.Element, title: str) -> None:
    assert root.get("role") == "img"
    assert root.get("viewBox", "").startswith("0 0 ")
    assert root.get("aria-label", "").startswith(f"{title}: ")
    assert root.find(f"{SVG}title").text == title


NPS = [
    charts.Series("NPS", [("Jan", 10.0), ("Feb", None), ("Mar", 30.0), ("Apr", 25.0)]),
    charts.Series("CSAT", [("Jan", 5.0), ("Apr", 40.0)]),
]


def test_line_chart_draws_one_point_per_value_and_gaps_for_none():
    """Each non-None value is a point; a None splits the line into subpaths."""
    root = _parse(charts.line_chart(NPS, title="NPS trend"))
    _assert_accessible(root, "NPS trend")
    assert len(_with_class(root, "chart-point")) == 5
    first, second = (group.find(f"{SVG}path").get("d") for group in _with_class(root, "chart-series"))
    assert first.count("M") == 2 and first.count("L") == 1  # Jan | Mar-Apr
    assert second.count("M") == 1 and second.count("L") == 1
    assert "2 series over 4 periods, from 5 to 40" in root.get("aria-label")
    assert "NPS: Jan 10, Feb –, Mar 30, Apr 25" in root.find(f"{SVG}desc").text


def test_line_chart_axis_uses_the_formatter():
    """Y tick labels and point titles go through y_format; x labels are the periods."""
    root = _parse(charts.line_chart(NPS, title="NPS", y_format=lambda value: f"{value:.0f} pts"))
    texts = _texts(root)
    assert {"0 pts", "10 pts", "20 pts", "30 pts", "40 pts"} <= set(texts)
    assert {"Jan", "Feb", "Mar", "Apr"} <= set(texts)
    assert "CSAT, Apr: 40 pts" in [title.text for title in root.iter(f"{SVG}title")]


def test_line_chart_respects_a_fixed_range():
    """y_min/y_max fix the axis, e.g. -100..100 for NPS."""
    root = _parse(charts.line_chart(NPS, title="NPS", y_min=-100, y_max=100))
    assert {"-100", "0", "100"} <= set(_texts(root))


def test_bar_chart_draws_one_rect_per_value():
    """One bar per numeric value; a None bar shows a dash and no rect; labels carry formatted values."""
    bars = [("0-100", 40.0), ("100-200", 25.0), ("200-300", None), ("300+", 1234.5)]
    root = _parse(charts.bar_chart(bars, title="CLV", value_format=lambda value: f"{value:,.1f} €"))
    _assert_accessible(root, "CLV")
    rects = _with_class(root, "chart-bar")
    assert [rect.find(f"{SVG}title").text for rect in rects] == ["0-100: 40.0 €", "100-200: 25.0 €", "300+: 1,234.5 €"]
    texts = _texts(root)
    assert "–" in texts and "1,234.5 €" in texts and "0.0 €" in texts
    assert all(float(rect.get("height")) >= 0 for rect in rects)


def test_horizontal_bars_for_a_funnel():
    """Horizontal bars shrink with the value and are labelled on the left."""
    root = _parse(charts.bar_chart([("Leads", 1000), ("Deals", 400), ("Won", 80)], title="Funnel", horizontal=True))
    widths = [float(rect.get("width")) for rect in _with_class(root, "chart-bar")]
    assert len(widths) == 3 and widths[0] > widths[1] > widths[2] > 0
    assert {"Leads", "Deals", "Won", "1000", "400", "80"} <= set(_texts(root))


def test_negative_bars_grow_below_zero():
    """A negative value's bar starts at the zero line and has a positive height."""
    root = _parse(charts.bar_chart([("Refunds", -30.0), ("Sales", 60.0)], title="Net"))
    refunds, sales = _with_class(root, "chart-bar")
    assert float(refunds.get("y")) == pytest.approx(float(sales.get("y")) + float(sales.get("height")))
    assert float(refunds.get("height")) > 0


def test_heat_matrix_shades_cells_and_skips_none():
    """Cohort retention: one cell per value, opacity by value, percent labels, empty triangle."""
    values = [[1.0, 0.45, 0.3], [1.0, 0.5, None]]
    root = _parse(charts.heat_matrix(["2025-01", "2025-02"], ["0", "1", "2"], values, title="Retention",
                                     min_value=0, max_value=1))
    _assert_accessible(root, "Retention")
    cells = _with_class(root, "chart-cell")
    assert len(cells) == 5
    opacities = [float(cell.get("fill-opacity")) for cell in cells]
    assert opacities[0] == max(opacities) and opacities[2] == min(opacities)
    assert {"100%", "45%", "30%", "50%", "2025-01", "2025-02"} <= set(_texts(root))
    assert "2025-02: 0 100%, 1 50%, 2 –" in root.find(f"{SVG}desc").text


def test_heat_matrix_for_rfm_counts():
    """Counts with a number format, the range from the data."""
    root = _parse(charts.heat_matrix(["5", "4"], ["1", "2"], [[3, 10], [0, 7]], title="RFM",
                                     value_format=charts.format_number))
    assert {"3", "10", "0", "7"} <= set(_texts(root))
    assert [cell.get("fill-opacity") for cell in _with_class(root, "chart-cell")] == ["0.33", "0.90", "0.08", "0.65"]


def test_heat_matrix_rejects_a_ragged_grid():
    """values must have one row per row label and one value per column."""
    with pytest.raises(ValueError):
        charts.heat_matrix(["a"], ["x", "y"], [[1.0]])


def test_sparkline_marks_the_latest_value():
    """A sparkline is one path (with gaps) and a dot on the latest value."""
    root = _parse(charts.sparkline([3, 4, None, 6, 5], title="Revenue"))
    _assert_accessible(root, "Revenue")
    assert root.find(f"{SVG}path").get("d").count("M") == 2
    assert len(_with_class(root, "chart-point")) == 1
    assert "from 3 to 5, lowest 3, highest 6" in root.get("aria-label")


@pytest.mark.parametrize(
    "render",
    [
        lambda label: charts.line_chart([charts.Series(label, [(label, 1.0), ("b", 2.0)])], title=label),
        lambda label: charts.bar_chart([(label, 1.0)], title=label),
        lambda label: charts.bar_chart([(label, 1.0)], title=label, horizontal=True),
        lambda label: charts.heat_matrix([label], [label], [[0.5]], title=label),
        lambda label: charts.sparkline([1.0, 2.0], title=label),
        lambda label: charts.bar_chart([], title=label),
    ],
)
def test_labels_from_user_data_are_escaped(render):
    """A malicious label never reaches the page as markup, and still reads correctly."""
    svg = str(render(EVIL))
    assert "<script" not in svg
    assert "&lt;script&gt;" in svg
    root = _parse(render(EVIL))
    assert root.find(f"{SVG}title").text == EVIL
    assert not list(root.iter(f"{SVG}script"))


@pytest.mark.parametrize(
    "render",
    [
        lambda: charts.line_chart([], title="Empty"),
        lambda: charts.line_chart([charts.Series("NPS", [("Jan", None)])], title="Empty"),
        lambda: charts.bar_chart([("a", None)], title="Empty"),
        lambda: charts.heat_matrix([], [], [], title="Empty"),
        lambda: charts.sparkline([None, None], title="Empty"),
        lambda: charts.sparkline([], title="Empty"),
    ],
)
def test_no_values_render_a_no_data_text(render):
    """Without any value a chart says so instead of drawing empty axes."""
    root = _parse(render())
    assert _texts(root) == ["No data"]
    assert root.get("aria-label") == "Empty: No data"
    assert root.get("role") == "img"


def test_single_values_and_flat_series_render():
    """One point, or all-equal values, still give a valid chart with a finite axis."""
    for svg in (
        charts.line_chart([charts.Series("x", [("Jan", 5.0)])], title="One"),
        charts.line_chart([charts.Series("x", [("Jan", 0.0), ("Feb", 0.0)])], title="Flat"),
        charts.bar_chart([("a", 0.0)], title="Zero"),
        charts.sparkline([7.0], title="One"),
        charts.sparkline([2.0, 2.0, 2.0], title="Flat"),
        charts.heat_matrix(["a"], ["b"], [[0.4]], title="One"),
    ):
        root = _parse(svg)
        assert "nan" not in str(svg).lower() and "inf" not in str(svg).lower()
        assert root.get("aria-label")


def test_output_is_deterministic_and_uses_no_inline_styles():
    """The same input gives byte-identical SVG; colours come from currentColor, never style attributes."""
    first = charts.line_chart(NPS, title="NPS")
    assert first == charts.line_chart(NPS, title="NPS")
    for svg in (first, charts.heat_matrix(["a"], ["b"], [[1.0]]), charts.bar_chart([("a", 1.0)])):
        assert "style" not in str(svg) and "currentColor" in str(svg)


def test_german_number_format_in_labels_keeps_coordinates_with_dots():
    """Labels follow the locale (decimal comma), coordinates stay machine-readable."""
    with translation.override("de"):
        svg = charts.bar_chart([("a", 2.5), ("b", 1.25)], title="Werte")
    root = _parse(svg)
    assert "2,5" in _texts(root) and "1,25" in _texts(root)
    for rect in _with_class(root, "chart-bar"):
        float(rect.get("x")), float(rect.get("width"))


def test_lazy_translated_names_and_titles_work():
    """Views pass gettext_lazy strings as titles and series names."""
    from django.utils.translation import gettext_lazy

    root = _parse(charts.line_chart([charts.Series(gettext_lazy("NPS"), [("Jan", 1.0)])], title=gettext_lazy("Trend")))
    _assert_accessible(root, "Trend")
    assert _parse(charts.bar_chart([], title=gettext_lazy("Empty"))).get("aria-label") == "Empty: No data"


def test_formatters():
    """format_number trims decimals; format_percent shows whole percent."""
    assert [charts.format_number(value) for value in (3, 2.5, 1.234, -0.0)] == ["3", "2.5", "1.23", "0"]
    assert [charts.format_percent(value) for value in (0.456, 1, 0)] == ["46%", "100%", "0%"]
