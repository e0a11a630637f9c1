"""RFM scores, segments, movement and the segment summary."""

import time

import numpy as np
import pytest
from scipy.stats import rankdata

from kunde.analytics import rfm


def test_ten_distinct_customers_fill_each_quintile_with_two():
    """With 10 distinct values each score 1..5 holds exactly two customers, 5 = best."""
    recency = np.arange(10)  # 0 days = most recent
    frequency = np.arange(1, 11)
    monetary = np.arange(10) * 10.0
    scores = rfm.score(recency, frequency, monetary)
    assert scores.r.tolist() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
    assert scores.f.tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert scores.m.tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert len(scores) == 10


def test_equal_values_always_share_a_score():
    """Ties get their average rank, so equal inputs never land in different quintiles."""
    frequency = np.array([1, 1, 1, 1, 1, 1, 2, 3, 4, 5])
    scores = rfm.score(np.arange(10), frequency, np.arange(10))
    # The six 1s share average rank 3.5 -> percentile 0.3 -> score 2.
    assert scores.f.tolist() == [2, 2, 2, 2, 2, 2, 4, 4, 5, 5]


@pytest.mark.parametrize("size", [1, 2, 3, 7, 10, 11, 99, 1001])
def test_scores_match_average_rank_quintiles(size):
    """Scores equal floor(5 * (rankdata average - 0.5) / n) + 1 on tie-heavy and distinct data."""
    rng = np.random.default_rng(size)
    for values in (rng.integers(0, 4, size).astype(float), rng.integers(0, 50, size).astype(float), rng.random(size)):
        expected = np.floor((rankdata(values, method="average") - 0.5) / size * 5).astype(int) + 1
        scores = rfm.score(-values, values, values)
        assert scores.r.tolist() == scores.f.tolist() == scores.m.tolist() == expected.tolist()


def test_everyone_equal_scores_the_middle():
    """A column without differences scores 3 for everybody."""
    scores = rfm.score(np.full(7, 30), np.full(7, 2), np.full(7, 99.5))
    assert set(scores.r.tolist()) == set(scores.f.tolist()) == set(scores.m.tolist()) == {3}


def test_a_single_customer_scores_the_middle():
    """With nobody to compare against, a lone buyer is average: 3, 3, 3."""
    scores = rfm.score(np.array([400]), np.array([1]), np.array([10.0]))
    assert (scores.r.tolist(), scores.f.tolist(), scores.m.tolist()) == ([3], [3], [3])
    assert rfm.segment_keys(scores.r, scores.f).tolist() == ["need_attention"]


def test_empty_input_gives_empty_scores():
    """No buyers: empty scores, empty segments, a zero summary."""
    scores = rfm.score(np.array([]), np.array([]), np.array([]))
    assert len(scores) == 0 and scores.r.dtype == np.int8
    assert rfm.segment_keys(scores.r, scores.f).tolist() == []
    rows = rfm.summary([], [])
    assert [row.key for row in rows] == list(rfm.SEGMENTS)
    assert all(row.count == 0 and row.customer_share == 0.0 and row.revenue_share == 0.0 for row in rows)


@pytest.mark.parametrize(
    ("recency", "frequency", "monetary"),
    [
        ([1, 2], [1], [1]),
        ([1.0, np.nan], [1, 2], [1, 2]),
        ([1, 2], [1, 2], [np.inf, 1]),
        ([[1, 2]], [[1, 2]], [[1, 2]]),
    ],
)
def test_bad_input_raises_value_error(recency, frequency, monetary):
    """Different lengths, NaN (a customer without purchases), inf or 2-D input are rejected."""
    with pytest.raises(ValueError):
        rfm.score(np.array(recency), np.array(frequency), np.array(monetary))


def test_champion_and_lost_customer():
    """The most recent, most frequent buyer is a champion; the oldest, rarest one is lost."""
    recency = np.array([2, 800, 30, 60, 90, 120, 150, 200, 300, 400])
    frequency = np.array([40, 1, 10, 9, 8, 7, 6, 5, 4, 3])
    monetary = np.array([5000.0, 20, 900, 800, 700, 600, 500, 400, 300, 200])
    scores = rfm.score(recency, frequency, monetary)
    keys = rfm.segment_keys(scores.r, scores.f)
    assert (scores.r[0], scores.f[0], scores.m[0]) == (5, 5, 5)
    assert (scores.r[1], scores.f[1], scores.m[1]) == (1, 1, 1)
    assert keys[0] == "champions"
    assert keys[1] == "lost"


def test_grid_names_every_cell_and_only_known_segments():
    """All 25 (r, f) cells have exactly one segment, and every segment is used."""
    assert set(rfm.SEGMENT_GRID) == {(r, f) for r in range(1, 6) for f in range(1, 6)}
    assert set(rfm.SEGMENT_GRID.values()) == set(rfm.SEGMENTS)
    r, f = np.meshgrid(np.arange(1, 6), np.arange(1, 6), indexing="ij")
    keys = rfm.segment_keys(r.ravel(), f.ravel())
    assert keys.tolist() == [rfm.SEGMENT_GRID[(int(a), int(b))] for a, b in zip(r.ravel(), f.ravel(), strict=True)]


@pytest.mark.parametrize(
    ("r", "f", "key"),
    [(5, 5, "champions"), (4, 4, "loyal"), (5, 2, "potential_loyalist"), (5, 1, "new"), (4, 1, "promising"),
     (3, 3, "need_attention"), (3, 1, "about_to_sleep"), (2, 4, "at_risk"), (1, 5, "cant_lose"),
     (2, 2, "hibernating"), (1, 1, "lost")],
)
def test_segment_of_a_cell(r, f, key):
    """Each named segment sits where the common RFM grid puts it."""
    assert rfm.segment_keys(np.array([r]), np.array([f])).tolist() == [key]
    assert rfm.segment_codes(np.array([r]), np.array([f])).tolist() == [list(rfm.SEGMENTS).index(key)]


def test_segments_have_labels_and_descriptions():
    """Every segment has a label and a one-sentence description (translatable)."""
    for key, segment in rfm.SEGMENTS.items():
        assert segment.key == key
        assert str(segment.label)
        assert str(segment.description).endswith(".")


def test_scores_outside_the_grid_are_rejected():
    """r or f outside 1..5 is a caller error, not a silent segment."""
    with pytest.raises(ValueError):
        rfm.segment_keys(np.array([0]), np.array([3]))
    with pytest.raises(ValueError):
        rfm.segment_keys(np.array([1, 2]), np.array([3]))


def test_movement_counts_each_transition():
    """Movement counts customers per (before, now), None meaning not scored in that period."""
    previous = ["champions", "champions", "loyal", None, "at_risk", "lost"]
    current = ["champions", "loyal", "loyal", "new", "lost", None]
    result = rfm.movement(previous, current)
    assert result.counts == {
        ("champions", "champions"): 1,
        ("champions", "loyal"): 1,
        ("loyal", "loyal"): 1,
        (None, "new"): 1,
        ("at_risk", "lost"): 1,
        ("lost", None): 1,
    }
    assert result.moved() == 4
    order, rows = result.matrix()
    assert order[-1] is None and len(rows) == len(order) == len(rfm.SEGMENTS) + 1
    assert rows[order.index("champions")][order.index("loyal")] == 1
    assert rows[order.index(None)][order.index("new")] == 1
    assert sum(map(sum, rows)) == 6


def test_movement_accepts_numpy_keys_and_rejects_misaligned_input():
    """segment_keys output can be passed directly; lengths must match; unknown keys are errors."""
    result = rfm.movement(np.array(["lost", "lost"]), np.array(["new", "lost"]))
    assert result.counts == {("lost", "new"): 1, ("lost", "lost"): 1}
    assert all(type(key) is str for pair in result.counts for key in pair)
    with pytest.raises(ValueError):
        rfm.movement(["lost"], [])
    with pytest.raises(ValueError):
        rfm.movement(["lost"], ["vip"])
    assert rfm.movement([], []).counts == {}


def test_summary_counts_and_shares():
    """Summary gives count, customer share and revenue share per segment, all segments listed."""
    rows = {row.key: row for row in rfm.summary(
        ["champions", "champions", "lost", "new"], [600.0, 200.0, 0.0, 200.0])}
    assert list(rows) == list(rfm.SEGMENTS)
    assert (rows["champions"].count, rows["champions"].customer_share, rows["champions"].revenue_share) == (2, 0.5, 0.8)
    assert (rows["lost"].count, rows["lost"].customer_share, rows["lost"].revenue_share) == (1, 0.25, 0.0)
    assert rows["new"].revenue == 200.0 and rows["new"].revenue_share == pytest.approx(0.2)
    assert rows["loyal"].count == 0
    with pytest.raises(ValueError):
        rfm.summary(["vip"], [1.0])
    with pytest.raises(ValueError):
        rfm.summary(["lost"], [1.0, 2.0])


def test_a_million_customers_score_fast():
    """Scoring and naming one million buyers stays well within a second."""
    rng = np.random.default_rng(7)
    size = 1_000_000
    recency, frequency, monetary = rng.integers(0, 1500, size), rng.poisson(3, size) + 1, rng.gamma(2, 100, size)
    started = time.perf_counter()
    scores = rfm.score(recency, frequency, monetary)
    rfm.segment_keys(scores.r, scores.f)
    assert time.perf_counter() - started < 1.5  # budget 0.5 s; slack for a busy CI machine
    assert np.bincount(scores.m).tolist() == [0, 200_000, 200_000, 200_000, 200_000, 200_000]
