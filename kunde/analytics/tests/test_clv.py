"""BG/NBD, Gamma-Gamma and CLV: published CDNOW results, independent derivations, bad input.

Published numbers come from
- Fader, Hardie & Lee (2005), "Counting Your Customers the Easy Way: An Alternative to the
  Pareto/NBD Model", Marketing Science 24(2): 275-284 (FHL 2005), and
- Fader & Hardie (2013), "The Gamma-Gamma Model of Monetary Value", note 025 at
  brucehardie.com (FH 2013).
The CDNOW files are the copies shipped with the `lifetimes` package, located without
importing it (its import may fail with pandas 3).
"""

from __future__ import annotations

import importlib.util
import warnings
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from scipy import integrate, special

from kunde.analytics import clv

# FHL 2005, section 4: BG/NBD on the CDNOW 1/10 sample, 39-week calibration.
FHL_R, FHL_ALPHA, FHL_A, FHL_B, FHL_LL = 0.243, 4.414, 0.793, 2.426, -9582.4
# FH 2013: Gamma-Gamma on the 946 CDNOW sample customers with a repeat purchase.
FH_P, FH_Q, FH_V = 6.25, 3.74, 15.44
# FHL 2005: the sample's customers made 2,457 repeat purchases in the calibration period.
FHL_CALIBRATION_REPEATS = 2457

CALIBRATION_END = date(1997, 9, 30)
HOLDOUT_END = date(1998, 6, 30)


def _datasets() -> Path | None:
    spec = importlib.util.find_spec("lifetimes")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "datasets"
    return path if (path / "CDNOW_sample.txt").exists() and (path / "cdnow_customers_summary.csv").exists() else None


DATASETS = _datasets()
needs_cdnow = pytest.mark.skipif(
    DATASETS is None, reason="CDNOW data files not found (they ship with the lifetimes test dependency)"
)


def _day(value: date) -> int:
    return value.toordinal()


@pytest.fixture(scope="module")
def cdnow_summary() -> dict[str, np.ndarray]:
    """The 39-week calibration summary as published with the data (weeks, 2 decimals)."""
    assert DATASETS is not None
    table = np.genfromtxt(DATASETS / "cdnow_customers_summary.csv", delimiter=",", names=True)
    return {name: np.asarray(table[name], dtype=float) for name in ("frequency", "recency", "T")}


@pytest.fixture(scope="module")
def cdnow_transactions() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Raw CDNOW sample transactions as (customer index, day number, dollar value)."""
    assert DATASETS is not None
    raw = np.loadtxt(DATASETS / "CDNOW_sample.txt")
    customers = raw[:, 1].astype(np.int64) - 1  # the file's second column numbers customers 1..2357
    stamps = raw[:, 2].astype(np.int64)
    days = np.array([date(s // 10000, s // 100 % 100, s % 100).toordinal() for s in stamps], dtype=np.int64)
    return customers, days, raw[:, 4]


@pytest.fixture(scope="module")
def cdnow_from_raw(cdnow_transactions: tuple[np.ndarray, np.ndarray, np.ndarray]) -> clv.Summary:
    customers, days, values = cdnow_transactions
    return clv.summarise(
        customers, days, values, n_customers=2357, observation_end=_day(CALIBRATION_END), unit_days=7.0
    )


@pytest.fixture
def no_warnings() -> Iterator[None]:
    """Turn every warning (e.g. a NumPy overflow) into a test failure."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def _assert_fhl_params(params: clv.BgNbdParams) -> None:
    assert params.converged, params.message
    assert params.r == pytest.approx(FHL_R, abs=0.0005)
    assert params.alpha == pytest.approx(FHL_ALPHA, abs=0.005)
    assert params.a == pytest.approx(FHL_A, abs=0.0005)
    assert params.b == pytest.approx(FHL_B, abs=0.005)
    assert params.log_likelihood == pytest.approx(FHL_LL, abs=0.1)
    assert params.n_customers == 2357


# --------------------------------------------------------------------------- CDNOW validation


@needs_cdnow
def test_bgnbd_reproduces_fhl_2005_on_published_summary(
    cdnow_summary: dict[str, np.ndarray], no_warnings: None
) -> None:
    """The fit on the published CDNOW summary gives FHL 2005's r, alpha, a, b and log-likelihood."""
    _assert_fhl_params(clv.fit_bgnbd(cdnow_summary["frequency"], cdnow_summary["recency"], cdnow_summary["T"]))


@needs_cdnow
def test_summarise_raw_cdnow_matches_published_summary(
    cdnow_from_raw: clv.Summary, cdnow_summary: dict[str, np.ndarray]
) -> None:
    """Summarising the raw transactions (weeks, same-day purchases collapsed) gives the published summary."""
    summary = cdnow_from_raw
    assert summary.has_purchase.all()
    np.testing.assert_array_equal(summary.frequency, cdnow_summary["frequency"])
    # The published file rounds weeks to two decimals.
    np.testing.assert_allclose(summary.recency, cdnow_summary["recency"], rtol=0, atol=0.005 + 1e-9)
    np.testing.assert_allclose(summary.T, cdnow_summary["T"], rtol=0, atol=0.005 + 1e-9)
    assert summary.frequency.sum() == FHL_CALIBRATION_REPEATS


@needs_cdnow
def test_summarise_monetary_matches_published_mean_repeat_value(cdnow_from_raw: clv.Summary) -> None:
    """Mean repeat spend from the raw data equals the zbar column of the published summary."""
    assert DATASETS is not None
    table = np.genfromtxt(DATASETS / "cdnow_customers_summary_with_transactions.csv", delimiter=",", names=True)
    np.testing.assert_array_equal(cdnow_from_raw.frequency, table["x"])
    np.testing.assert_allclose(cdnow_from_raw.monetary, table["zbar"], rtol=0, atol=0.005 + 1e-9)
    assert np.count_nonzero(cdnow_from_raw.frequency > 0) == 946


@needs_cdnow
def test_bgnbd_on_raw_summary_reproduces_fhl_2005(cdnow_from_raw: clv.Summary, no_warnings: None) -> None:
    """Fitting the summary built from raw transactions also reproduces FHL 2005."""
    _assert_fhl_params(clv.fit_bgnbd(cdnow_from_raw.frequency, cdnow_from_raw.recency, cdnow_from_raw.T))


@needs_cdnow
def test_gamma_gamma_reproduces_fader_hardie_2013(cdnow_from_raw: clv.Summary, no_warnings: None) -> None:
    """Gamma-Gamma on the 946 repeat customers gives FH 2013's p, q, gamma.

    The log-likelihood is compared with CLVTools' correctness test on the same data
    (tests/testthat/test_correctness_gg.R, LL = -4055.9177), an independent implementation.
    """
    params = clv.fit_gamma_gamma(cdnow_from_raw.frequency, cdnow_from_raw.monetary)
    assert params.converged, params.message
    assert params.n_customers == 946
    assert params.p == pytest.approx(FH_P, abs=0.005)
    assert params.q == pytest.approx(FH_Q, abs=0.005)
    assert params.v == pytest.approx(FH_V, abs=0.01)
    assert params.log_likelihood == pytest.approx(-4055.9177, abs=0.01)


@needs_cdnow
def test_frequency_spend_correlation_on_cdnow_is_weak(cdnow_from_raw: clv.Summary) -> None:
    """CDNOW's frequency/spend correlation is about 0.11 (as in lifetimes' docs), below the warning level."""
    check = clv.frequency_monetary_correlation(cdnow_from_raw.frequency, cdnow_from_raw.monetary)
    assert check.n_customers == 946
    assert check.correlation == pytest.approx(0.11, abs=0.01)
    assert not check.warn


@needs_cdnow
def test_fitted_model_reproduces_calibration_total(cdnow_from_raw: clv.Summary) -> None:
    """Summed E[X(T_i)] of the fitted model is within 3 % of the 2,457 calibration repeat purchases."""
    params = clv.fit_bgnbd(cdnow_from_raw.frequency, cdnow_from_raw.recency, cdnow_from_raw.T)
    expected = clv.expected_purchases(params, cdnow_from_raw.T).sum()
    assert expected == pytest.approx(FHL_CALIBRATION_REPEATS, rel=0.03)


@needs_cdnow
def test_calibration_holdout_on_cdnow(cdnow_transactions: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    """The 39+39-week holdout check counts actual purchases exactly and forecasts them within 15 %.

    On this sample the BG/NBD forecast runs about 12 % under the holdout count (FHL 2005's
    conditional-expectation figure shows the same under-forecast for the middle frequency
    groups), so 15 % is the band the model is known to meet, not a tuned number.
    """
    customers, days, values = cdnow_transactions
    calibration = clv.calibration_holdout(
        customers,
        days,
        values,
        n_customers=2357,
        calibration_end=_day(CALIBRATION_END),
        holdout_end=_day(HOLDOUT_END),
        unit_days=7.0,
    )
    _assert_fhl_params(calibration.params)
    assert calibration.holdout_length == 39.0
    assert calibration.customers == sum(row.customers for row in calibration.rows) == 2357
    assert [row.label for row in calibration.rows] == ["0", "1", "2", "3", "4", "5", "6", "7+"]

    holdout_days = {
        (int(c), int(d)) for c, d in zip(customers, days, strict=True) if _day(CALIBRATION_END) < d <= _day(HOLDOUT_END)
    }
    assert calibration.total_actual == len(holdout_days)
    assert calibration.total_predicted == pytest.approx(calibration.total_actual, rel=0.15)
    predicted = [row.mean_predicted for row in calibration.rows]
    actual = [row.mean_actual for row in calibration.rows]
    assert predicted == sorted(predicted)
    assert actual == sorted(actual)


# --------------------------------------------------------------------------- summarise


def test_summarise_collapses_same_day_and_ignores_later_purchases() -> None:
    """Same-day purchases count once with their summed value; purchases after the end are ignored."""
    # Customer 0: day 10 (5 + 3), day 17 (4), day 24 (6), day 40 (after the end).
    # Customer 1: nothing. Customer 2: one purchase on day 29. Customer 3: only after the end.
    customer = np.array([0, 2, 0, 0, 3, 0, 0])
    day = np.array([24, 29, 10, 17, 31, 10, 40])
    value = np.array([6.0, 9.0, 5.0, 4.0, 1.0, 3.0, 7.0])
    summary = clv.summarise(customer, day, value, n_customers=4, observation_end=30, unit_days=7.0)
    np.testing.assert_array_equal(summary.has_purchase, [True, False, True, False])
    assert summary.frequency[0] == 2
    assert summary.recency[0] == pytest.approx(14 / 7)
    assert summary.T[0] == pytest.approx(20 / 7)
    assert summary.monetary[0] == pytest.approx(5.0)
    assert (summary.frequency[2], summary.recency[2], summary.T[2], summary.monetary[2]) == (0, 0, 1 / 7, 0)
    for column in (summary.frequency, summary.recency, summary.T, summary.monetary):
        assert np.isnan(column[[1, 3]]).all()
    purchasers = summary.purchasers()
    np.testing.assert_array_equal(purchasers.customer_index, [0, 2])
    np.testing.assert_array_equal(purchasers.frequency, [2, 0])


def test_summarise_is_independent_of_row_order_and_key_width() -> None:
    """Shuffled rows and a day range too wide for 32-bit keys give the same summary."""
    rng = np.random.default_rng(7)
    customer = rng.integers(0, 300, 5000)
    day = rng.integers(0, 400, 5000)
    value = rng.uniform(1, 50, 5000)
    order = np.lexsort((day, customer))
    reference = clv.summarise(customer[order], day[order], value[order], n_customers=300, observation_end=365)
    shuffled = clv.summarise(customer, day, value, n_customers=300, observation_end=365)
    # One extra customer buying 15 million days earlier makes (customer, day) keys exceed 2**32.
    wide = clv.summarise(
        np.r_[customer, 300], np.r_[day, -15_000_000], np.r_[value, 1.0], n_customers=301, observation_end=365
    )
    for name in ("frequency", "recency", "T", "monetary"):
        np.testing.assert_allclose(getattr(shuffled, name), getattr(reference, name), rtol=1e-12)
        np.testing.assert_allclose(getattr(wide, name)[:300], getattr(reference, name), rtol=1e-12)


def test_summarise_rejects_bad_transactions() -> None:
    """Mismatched lengths, negative values, out-of-range customers and float days are refused."""
    with pytest.raises(ValueError, match="same length"):
        clv.summarise([0, 1], [1], [1.0, 2.0], n_customers=2, observation_end=5)
    with pytest.raises(ValueError, match="must be >= 0; 1 transactions are negative"):
        clv.summarise([0, 1], [1, 2], [1.0, -2.0], n_customers=2, observation_end=5)
    with pytest.raises(ValueError, match=r"must lie in 0\.\.1, found 0\.\.2"):
        clv.summarise([0, 2], [1, 2], [1.0, 2.0], n_customers=2, observation_end=5)
    with pytest.raises(ValueError, match="day must hold integers"):
        clv.summarise([0, 1], [1.5, 2.0], [1.0, 2.0], n_customers=2, observation_end=5)
    with pytest.raises(ValueError, match="finite"):
        clv.summarise([0, 1], [1, 2], [1.0, np.nan], n_customers=2, observation_end=5)


def test_summarise_of_no_transactions_has_no_purchasers() -> None:
    """Empty input is a valid (if useless) summary: nobody has purchased."""
    summary = clv.summarise(np.array([], dtype=int), np.array([], dtype=int), [], n_customers=3, observation_end=5)
    assert not summary.has_purchase.any()
    assert summary.purchasers().n_customers == 0


# --------------------------------------------------------------------------- BG/NBD properties

PARAMS = clv.BgNbdParams(r=FHL_R, alpha=FHL_ALPHA, a=FHL_A, b=FHL_B)


def _posterior_expectation(params: clv.BgNbdParams, t: float, x: float, t_x: float, big_t: float) -> float:
    """E[Y(t)] by quadrature: P(alive) * E_p[(1 - (alpha'/(alpha' + p t))^r') / p], p ~ Beta(a, b+x).

    Given alive at T the posterior is lambda ~ Gamma(r+x, alpha+T), p ~ Beta(a, b+x), and
    E[future purchases | lambda, p] = (1 - exp(-lambda p t)) / p (FHL 2005 eq. 7).
    """
    r_post, alpha_post = params.r + x, params.alpha + big_t

    def integrand(p: float) -> float:
        if p == 0:
            return r_post * t / alpha_post
        return float(-np.expm1(-r_post * np.log1p(p * t / alpha_post)) / p)

    value, _ = integrate.quad(integrand, 0, 1, weight="alg", wvar=(params.a - 1, params.b + x - 1))
    alive = float(clv.probability_alive(params, x, t_x, big_t))
    return alive * value / float(special.beta(params.a, params.b + x))


@pytest.mark.parametrize("a", [0.3, FHL_A, 1.0 - 3e-5, 1.0, 1.0 + 2e-5, 1.7, 4.0])
@pytest.mark.parametrize(
    ("t", "x", "t_x", "big_t"),
    [(39.0, 2, 30.43, 38.86), (39.0, 0, 0.0, 38.86), (500.0, 10, 30.0, 38.86), (5.0, 40, 38.0, 38.86), (52, 0, 0, 0)],
)
def test_conditional_expectation_matches_quadrature(
    a: float, t: float, x: int, t_x: float, big_t: float, no_warnings: None
) -> None:
    """The hypergeometric closed form equals direct integration over the posterior, also near a = 1."""
    params = clv.BgNbdParams(r=0.5, alpha=5.0, a=a, b=2.5)
    expected = _posterior_expectation(params, t, x, t_x, big_t)
    assert float(clv.conditional_expected_purchases(params, t, x, t_x, big_t)) == pytest.approx(expected, rel=1e-8)
    if x == 0 and big_t == 0:
        assert float(clv.expected_purchases(params, t)) == pytest.approx(expected, rel=1e-8)


def test_expected_purchases_matches_simulation() -> None:
    """E[X(t)] agrees with the mean of 200,000 customers simulated from the generative process."""
    rng = np.random.default_rng(11)
    frequency, recency, big_t = clv.simulate_bgnbd(PARAMS, 200_000, 52.0, rng)
    assert (recency <= big_t).all()
    assert (recency[frequency == 0] == 0).all()
    standard_error = frequency.std() / np.sqrt(frequency.size)
    assert abs(frequency.mean() - float(clv.expected_purchases(PARAMS, 52.0))) < 4 * standard_error


def test_fit_recovers_simulated_parameters(no_warnings: None) -> None:
    """Fitting 100,000 simulated customers recovers the parameters that generated them."""
    rng = np.random.default_rng(5)
    frequency, recency, big_t = clv.simulate_bgnbd(PARAMS, 100_000, rng.uniform(10, 78, 100_000), rng)
    fitted = clv.fit_bgnbd(frequency, recency, big_t)
    assert fitted.converged, fitted.message
    assert fitted.n_customers == 100_000
    for name, tolerance in (("r", 0.05), ("alpha", 0.08), ("a", 0.1), ("b", 0.12)):
        assert getattr(fitted, name) == pytest.approx(getattr(PARAMS, name), rel=tolerance), name


def test_weights_equal_repeated_rows() -> None:
    """A weighted row counts exactly like that many identical customers."""
    rng = np.random.default_rng(2)
    frequency, recency, big_t = clv.simulate_bgnbd(PARAMS, 3000, np.floor(rng.uniform(10, 40, 3000)), rng)
    weights = rng.integers(1, 4, 3000)
    weighted = clv.fit_bgnbd(frequency, recency, big_t, weights=weights)
    repeated = clv.fit_bgnbd(*(np.repeat(column, weights) for column in (frequency, recency, big_t)))
    assert weighted.n_customers == repeated.n_customers == weights.sum()
    for name in ("r", "alpha", "a", "b", "log_likelihood"):
        assert getattr(weighted, name) == pytest.approx(getattr(repeated, name), rel=1e-5), name


def test_probability_alive_properties(no_warnings: None) -> None:
    """P(alive) is 1 without repeat purchases, falls with time since the last purchase, is 1 if a = 0."""
    np.testing.assert_array_equal(clv.probability_alive(PARAMS, [0, 0], [0, 0], [5, 500]), [1.0, 1.0])
    alive = clv.probability_alive(PARAMS, 3, 10.0, np.array([10.0, 20.0, 40.0, 80.0, 1e6]))
    assert ((alive > 0) & (alive <= 1)).all()
    assert (np.diff(alive) < 0).all()
    assert alive[0] > 0.5 > alive[-1]
    no_dropout = clv.BgNbdParams(r=1, alpha=2, a=0, b=1)
    np.testing.assert_array_equal(clv.probability_alive(no_dropout, [3, 50], [1, 2], [100, 1e5]), [1.0, 1.0])


def test_conditional_expectation_properties(no_warnings: None) -> None:
    """Recent buyers with more purchases are expected to buy more; large inputs stay finite."""
    frequency = np.arange(0, 60)
    expected = clv.conditional_expected_purchases(PARAMS, 39, frequency, 38.0, 38.0)
    assert (np.diff(expected) > 0).all()
    assert float(clv.conditional_expected_purchases(PARAMS, 0, 3, 10, 20)) == 0
    over_time = clv.conditional_expected_purchases(PARAMS, np.array([1, 10, 100, 1000]), 3, 10, 20)
    assert (np.diff(over_time) > 0).all()
    huge = clv.conditional_expected_purchases(PARAMS, 1e4, np.array([1000.0, 5000.0]), 1e4, 1e4)
    assert np.isfinite(huge).all() and (huge > 0).all()


def test_no_dropout_edge_matches_the_limit(no_warnings: None) -> None:
    """With a = 0 the model is an NBD, and the expectations equal the limit a -> 0."""
    exact = clv.BgNbdParams(r=0.5, alpha=5.0, a=0.0, b=2.5)
    near = clv.BgNbdParams(r=0.5, alpha=5.0, a=1e-9, b=2.5)
    args = (np.array([10.0, 52.0]), np.array([0, 4]), np.array([0.0, 20.0]), np.array([30.0, 30.0]))
    np.testing.assert_allclose(
        clv.conditional_expected_purchases(exact, *args), clv.conditional_expected_purchases(near, *args), rtol=1e-6
    )
    assert float(clv.expected_purchases(exact, 52.0)) == pytest.approx(52 * 0.5 / 5.0)


def test_fit_reports_unidentified_model_as_not_converged(no_warnings: None) -> None:
    """Data without any sign of dropout or rate heterogeneity gives converged=False with a reason."""
    big_t = np.linspace(10, 50, 500)
    fitted = clv.fit_bgnbd(np.full(500, 3.0), big_t, big_t)
    assert not fitted.converged
    assert "do not" in fitted.message


def test_fit_bgnbd_rejects_bad_input() -> None:
    """Too few customers, no repeat buyers, mismatched or impossible values raise specific errors."""
    with pytest.raises(clv.InsufficientData, match=r"needs at least 200 customers, has 0"):
        clv.fit_bgnbd([], [], [])
    with pytest.raises(clv.InsufficientData, match=r"at least 50 customers with a repeat purchase, has 0"):
        clv.fit_bgnbd(np.zeros(500), np.zeros(500), np.full(500, 10.0))
    with pytest.raises(clv.InsufficientData, match=r"with a repeat purchase, has 12"):
        clv.fit_bgnbd(np.r_[np.ones(12), np.zeros(488)], np.r_[np.ones(12), np.zeros(488)], np.full(500, 10.0))
    with pytest.raises(ValueError, match="same length"):
        clv.fit_bgnbd([1, 2, 3], [1, 2], [3, 3, 3])
    with pytest.raises(ValueError, match="frequency must be >= 0"):
        clv.fit_bgnbd([-1, 2], [1, 2], [3, 3])
    with pytest.raises(ValueError, match="recency must not exceed T"):
        clv.fit_bgnbd([1, 2], [4, 2], [3, 3])
    with pytest.raises(ValueError, match="whole numbers"):
        clv.fit_bgnbd([1.5, 2], [1, 2], [3, 3])
    with pytest.raises(ValueError, match="pass only customers with a purchase"):
        clv.fit_bgnbd([np.nan, 2], [1, 2], [3, 3])
    with pytest.raises(ValueError, match="weights must have the same length"):
        clv.fit_bgnbd([1, 2], [1, 2], [3, 3], weights=[1])
    with pytest.raises(ValueError, match="BG/NBD needs r > 0"):
        clv.BgNbdParams(r=-1, alpha=1, a=1, b=1)


# --------------------------------------------------------------------------- Gamma-Gamma


def _simulate_spend(p: float, q: float, v: float, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Draw (x, mean spend): nu ~ Gamma(q, rate v), each spend ~ Gamma(p, rate nu) (FH 2013 section 2)."""
    nu = rng.gamma(q, 1.0 / v, n)
    frequency = rng.integers(1, 15, n)
    # The mean of x Gamma(p, nu) draws is Gamma(p x, rate nu x).
    monetary = rng.gamma(p * frequency, 1.0 / (nu * frequency))
    return frequency.astype(float), monetary


def test_gamma_gamma_recovers_simulated_parameters(no_warnings: None) -> None:
    """Fitting simulated spend recovers p, q, v; frequency-0 rows are ignored."""
    rng = np.random.default_rng(3)
    frequency, monetary = _simulate_spend(6.0, 4.0, 15.0, 40_000, rng)
    frequency, monetary = np.r_[frequency, np.zeros(1000)], np.r_[monetary, np.zeros(1000)]
    fitted = clv.fit_gamma_gamma(frequency, monetary)
    assert fitted.converged, fitted.message
    assert fitted.n_customers == 40_000
    assert fitted.p == pytest.approx(6.0, rel=0.05)
    assert fitted.q == pytest.approx(4.0, rel=0.05)
    assert fitted.v == pytest.approx(15.0, rel=0.08)


def test_expected_average_value_shrinks_towards_the_population_mean() -> None:
    """Spend without repeats is the population mean p v/(q-1); more purchases move it to the own mean."""
    params = clv.GammaGammaParams(p=FH_P, q=FH_Q, v=FH_V)
    population = FH_P * FH_V / (FH_Q - 1)
    assert params.population_mean == pytest.approx(population)
    values = clv.expected_average_value(params, np.array([0, 1, 10, 10_000]), np.array([np.nan, 80.0, 80.0, 80.0]))
    assert values[0] == pytest.approx(population)
    assert population < values[1] < values[2] < values[3] < 80.0
    assert values[3] == pytest.approx(80.0, rel=1e-3)
    assert np.isnan(clv.GammaGammaParams(p=1, q=0.5, v=1).population_mean)


def test_correlation_check_warns_on_dependent_spend() -> None:
    """Spend that grows with frequency trips the independence warning."""
    frequency = np.arange(1, 101, dtype=float)
    check = clv.frequency_monetary_correlation(frequency, 10 + frequency)
    assert check.correlation == pytest.approx(1.0)
    assert check.warn


def test_fit_gamma_gamma_rejects_bad_input() -> None:
    """Too few repeat buyers, non-positive spend and mismatched lengths raise specific errors."""
    with pytest.raises(clv.InsufficientData, match=r"at least 50 customers with a repeat purchase, has 0"):
        clv.fit_gamma_gamma(np.zeros(100), np.zeros(100))
    with pytest.raises(clv.InsufficientData, match=r"has 0"):
        clv.fit_gamma_gamma([], [])
    with pytest.raises(ValueError, match="monetary must be finite and > 0"):
        clv.fit_gamma_gamma(np.ones(60), np.r_[-1.0, np.ones(59)])
    with pytest.raises(ValueError, match="same length"):
        clv.fit_gamma_gamma([1, 2], [1.0, 2.0, 3.0])


# --------------------------------------------------------------------------- CLV


def _lifetimes_clv(bg: clv.BgNbdParams, spend: np.ndarray, args: tuple[np.ndarray, ...], months: int) -> np.ndarray:
    """lifetimes' customer_lifetime_value loop: weekly data, monthly steps of 4.345 weeks, 1 % a month."""
    total = np.zeros_like(spend)
    for i in np.arange(1, months + 1) * 4.345:
        step = clv.conditional_expected_purchases(bg, i, *args) - clv.conditional_expected_purchases(
            bg, i - 4.345, *args
        )
        total += spend * step / (1 + 0.01) ** (i / 4.345)
    return total


def test_predicted_clv_follows_lifetimes_definition(no_warnings: None) -> None:
    """CLV equals the step-wise discounted sum lifetimes computes, and is E[Y] * spend undiscounted."""
    gg = clv.GammaGammaParams(p=FH_P, q=FH_Q, v=FH_V)
    frequency = np.array([0.0, 2.0, 2.0, 7.0, 2.0])
    recency = np.array([0.0, 30.43, 30.43, 35.0, 5.0])
    big_t = np.array([38.86, 38.86, 38.86, 38.86, 38.86])
    monetary = np.array([0.0, 22.35, 22.35, 40.0, 22.35])
    spend = clv.expected_average_value(gg, frequency, monetary)
    args = (frequency, recency, big_t)
    clv_12 = clv.predicted_clv(
        PARAMS, gg, *args, monetary, horizon=12 * 4.345, discount_rate_per_period=0.01, step=4.345
    )
    np.testing.assert_allclose(clv_12, _lifetimes_clv(PARAMS, spend, args, 12), rtol=1e-10)
    assert clv_12[1] == clv_12[2]

    undiscounted = clv.predicted_clv(PARAMS, gg, *args, monetary, horizon=52, discount_rate_per_period=0, step=5)
    expected = clv.conditional_expected_purchases(PARAMS, 52, *args) * spend
    np.testing.assert_allclose(undiscounted, expected, rtol=1e-10)
    discounted = clv.predicted_clv(PARAMS, gg, *args, monetary, horizon=52, discount_rate_per_period=0.02, step=5)
    assert (discounted < undiscounted).all()


def test_predicted_clv_rejects_bad_settings() -> None:
    """Non-positive horizon or step and a discount rate <= -100 % are refused."""
    gg = clv.GammaGammaParams(p=FH_P, q=FH_Q, v=FH_V)
    for settings, message in (
        ({"horizon": 0, "discount_rate_per_period": 0.01, "step": 1}, "horizon"),
        ({"horizon": 10, "discount_rate_per_period": 0.01, "step": 0}, "step"),
        ({"horizon": 10, "discount_rate_per_period": -1, "step": 1}, "discount_rate"),
    ):
        with pytest.raises(ValueError, match=message):
            clv.predicted_clv(PARAMS, gg, [1], [1], [2], [10.0], **settings)


def test_calibration_holdout_rejects_thin_data() -> None:
    """Without transactions the holdout check says what is missing; reversed periods are refused."""
    empty = np.array([], dtype=np.int64)
    with pytest.raises(clv.InsufficientData, match="needs at least 200 customers, has 0"):
        clv.calibration_holdout(empty, empty, [], n_customers=10, calibration_end=5, holdout_end=9)
    with pytest.raises(ValueError, match="must be after calibration_end"):
        clv.calibration_holdout(empty, empty, [], n_customers=10, calibration_end=9, holdout_end=5)


def test_large_data_shortcut_finds_the_same_maximum(monkeypatch: pytest.MonkeyPatch) -> None:
    """The subsample-then-Newton path for large data ends where plain L-BFGS-B on all rows ends."""
    rng = np.random.default_rng(9)
    frequency, recency, big_t = clv.simulate_bgnbd(PARAMS, 60_000, rng.uniform(10, 78, 60_000), rng)
    shortcut = clv.fit_bgnbd(frequency, recency, big_t)
    monkeypatch.setattr(clv, "_WARM_START_ROWS", 10**9)
    direct = clv.fit_bgnbd(frequency, recency, big_t)
    assert shortcut.converged and direct.converged
    for name in ("r", "alpha", "a", "b"):
        assert getattr(shortcut, name) == pytest.approx(getattr(direct, name), rel=1e-5), name
    assert shortcut.log_likelihood == pytest.approx(direct.log_likelihood, abs=1e-3)
