"""Churn model: time-based validation, explainable factors, refusing to guess on thin data."""

import time
import warnings
from unittest import mock

import numpy as np
import pytest

from kunde.analytics import churn

NAMES = list(churn.FEATURE_NAMES)
RECENCY = NAMES.index(churn.DAYS_SINCE_LAST_ORDER)
NPS = NAMES.index(churn.LAST_NPS)


def _features(rng: np.random.Generator, rows: int) -> np.ndarray:
    return np.column_stack([
        rng.exponential(120, rows),  # days since last order
        rng.poisson(4, rows),  # orders in the last 365 days
        rng.exponential(60, rows),  # days since last contact
        rng.poisson(2, rows),  # contacts in the last 90 days
        rng.normal(0, 1, rows),  # mood trend
        rng.poisson(0.3, rows),  # open tickets
        rng.integers(0, 11, rows).astype(float),  # last NPS
        rng.uniform(30, 3000, rows),  # customer age
    ]).astype(float)


def _recency_driven(rows: int, cutoffs: int = 4, seed: int = 1):
    """Churn depends on the days since the last order only."""
    rng = np.random.default_rng(seed)
    features = _features(rng, rows)
    logit = -1.5 + 0.02 * (features[:, RECENCY] - 120)
    labels = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(int)
    times = np.repeat(np.arange(cutoffs), rows // cutoffs)
    return features, labels, times


def test_learns_a_real_signal_and_names_it_as_the_top_factor():
    """When churn follows recency, AUC is high and recency leads a high-risk row's factors."""
    features, labels, times = _recency_driven(4000)
    model = churn.train(features, labels, NAMES, split_time=times)
    assert model.auc > 0.8
    assert model.converged
    risky = features[:1].copy()
    risky[0, RECENCY] = 900
    factors = model.top_factors(risky, k=3)[0]
    assert factors[0].name == churn.DAYS_SINCE_LAST_ORDER
    assert str(factors[0].label) == "Long time since the last order"
    assert all(contribution > 0 for _, contribution in factors)
    assert model.predict(risky)[0] > 0.9


def test_pure_noise_scores_about_chance():
    """Features unrelated to churn give an AUC near 0.5."""
    rng = np.random.default_rng(2)
    rows = 10_000
    features = _features(rng, rows)
    labels = (rng.random(rows) < 0.3).astype(int)
    model = churn.train(features, labels, NAMES, split_time=np.repeat(np.arange(5), rows // 5))
    assert 0.45 < model.auc < 0.55
    assert model.base_rate == pytest.approx(labels.mean())


def test_validation_is_the_latest_cutoff_only():
    """With four equal cutoffs the latest one (25 % >= 20 %) is the validation part, the rest trains."""
    features, labels, times = _recency_driven(4000)
    model = churn.train(features, labels, NAMES, split_time=times)
    assert model.n_validation == int((times == 3).sum()) == 1000
    assert model.n_train == model.n_fit == 3000
    assert model.validation_start == 3
    assert model.validation_base_rate == pytest.approx(labels[times == 3].mean())


def test_validation_takes_newest_cutoffs_until_the_fraction_is_reached():
    """With ten monthly cutoffs and 20 % validation, the two newest months validate."""
    features, labels, _ = _recency_driven(5000)
    months = np.repeat(np.arange("2025-01", "2025-11", dtype="datetime64[M]"), 500)
    shuffled = np.random.default_rng(3).permutation(len(months))
    model = churn.train(features[shuffled], labels[shuffled], NAMES, split_time=months[shuffled])
    assert model.n_validation == 1000
    assert str(model.validation_start) == "2025-09-01"


def test_validation_rows_are_never_trained_on():
    """Flipping the labels of the latest cutoff changes the AUC, never the coefficients."""
    features, labels, times = _recency_driven(4000)
    flipped = labels.copy()
    flipped[times == 3] = 1 - flipped[times == 3]
    honest = churn.train(features, labels, NAMES, split_time=times)
    inverted = churn.train(features, flipped, NAMES, split_time=times)
    np.testing.assert_array_equal(honest.coefficients, inverted.coefficients)
    assert inverted.auc == pytest.approx(1 - honest.auc)


def test_training_rows_are_subsampled_deterministically():
    """Above max_train_rows the fit uses a stratified sample that is the same on every run."""
    features, labels, times = _recency_driven(4000)
    first = churn.train(features, labels, NAMES, split_time=times, max_train_rows=1000)
    second = churn.train(features, labels, NAMES, split_time=times, max_train_rows=1000)
    assert first.n_train == 3000 and first.n_fit == 1000
    np.testing.assert_array_equal(first.coefficients, second.coefficients)


def test_missing_values_are_imputed_and_can_be_a_reason():
    """NaN (no NPS answer yet) is imputed; when missing NPS goes with churn, it is named."""
    rng = np.random.default_rng(4)
    rows = 4000
    features = _features(rng, rows)
    labels = (rng.random(rows) < 0.3).astype(int)
    no_answer = rng.random(rows) < np.where(labels == 1, 0.8, 0.2)
    features[no_answer, NPS] = np.nan
    features[:, NAMES.index(churn.MOOD_TREND)] = np.nan  # never recorded at all
    model = churn.train(features, labels, NAMES, split_time=np.repeat(np.arange(4), rows // 4))
    assert model.auc > 0.7
    unknown = np.full((1, len(NAMES)), np.nan)
    assert np.isfinite(model.predict(unknown)).all()
    assert model.top_factors(unknown)[0][0].name == churn.LAST_NPS
    with_inf = features[:2].copy()
    with_inf[:, 0] = np.inf
    assert np.isfinite(model.predict(with_inf)).all()


def test_predictions_match_the_sklearn_pipeline():
    """The plain-array model reproduces the fitted pipeline's probabilities exactly."""
    features, labels, times = _recency_driven(2000)
    features[::3, NPS] = np.nan
    pipelines = []
    original = churn.make_pipeline

    def capture(*steps):
        pipelines.append(original(*steps))
        return pipelines[-1]

    with mock.patch.object(churn, "make_pipeline", capture):
        model = churn.train(features, labels, NAMES, split_time=times)
    np.testing.assert_allclose(model.predict(features), pipelines[0].predict_proba(features)[:, 1], atol=1e-12)


def test_top_factors_lists_only_reasons_towards_churn():
    """Only positive contributions are listed, largest first, at most k."""
    features, labels, times = _recency_driven(4000)
    model = churn.train(features, labels, NAMES, split_time=times)
    loyal = features[:1].copy()
    loyal[0, RECENCY] = 0
    for factors in model.top_factors(np.vstack([loyal, features[:50]]), k=2):
        contributions = [factor.contribution for factor in factors]
        assert len(factors) <= 2 and all(value > 0 for value in contributions)
        assert contributions == sorted(contributions, reverse=True)
    assert churn.DAYS_SINCE_LAST_ORDER not in [factor.name for factor in model.top_factors(loyal)[0]]
    assert model.top_factors(features[:0]) == []
    assert model.top_factors(features[:2], k=0) == [[], []]


def test_no_warnings_even_on_separable_data():
    """A perfectly separable history trains quietly (no ConvergenceWarning storm)."""
    features, _, times = _recency_driven(4000)
    labels = (features[:, RECENCY] > 120).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = churn.train(features, labels, NAMES, split_time=times)
    assert model.auc > 0.99


@pytest.mark.parametrize(
    ("rows", "churned_at", "message"),
    [
        (150, None, "needs at least 200 customers with features, has 150"),
        (4000, "none", "needs at least 20 churned customers in the training period, has 0"),
        (4000, "validation-few", "needs at least 20 churned customers in the validation period, has 3"),
        (4000, "all", "needs at least 20 retained customers in the training period, has 0"),
    ],
)
def test_too_little_history_raises_insufficient_data(rows, churned_at, message):
    """Too few rows or too few churned/retained customers in either part is refused with a reason."""
    rng = np.random.default_rng(5)
    features = _features(rng, rows)
    times = np.repeat(np.arange(4), rows // 4)[:rows]
    labels = (rng.random(rows) < 0.3).astype(int)
    if churned_at == "none":
        labels[:] = 0
    elif churned_at == "all":
        labels[:] = 1
    elif churned_at == "validation-few":
        labels[times == 3] = 0
        labels[np.flatnonzero(times == 3)[:3]] = 1
    with pytest.raises(churn.InsufficientData) as raised:
        churn.train(features, labels, NAMES, split_time=times)
    assert str(raised.value) == message
    assert isinstance(raised.value, ValueError)


def test_a_single_cutoff_cannot_be_validated_by_time():
    """All rows from one cutoff: nothing later to validate on."""
    features, labels, _ = _recency_driven(1000)
    with pytest.raises(churn.InsufficientData) as raised:
        churn.train(features, labels, NAMES, split_time=np.zeros(1000))
    assert (raised.value.needed, raised.value.has) == (2, 1)


def test_without_times_the_split_is_random_and_stratified():
    """No split_time: a seeded stratified 20 % holdout."""
    features, labels, _ = _recency_driven(4000)
    model = churn.train(features, labels, NAMES)
    assert model.n_validation == round((labels == 1).sum() * 0.2) + round((labels == 0).sum() * 0.2)
    assert model.validation_start is None and model.auc > 0.8


@pytest.mark.parametrize(
    "call",
    [
        lambda f, y, t: churn.train(f[:, :3], y, NAMES, split_time=t),
        lambda f, y, t: churn.train(f, y[:-1], NAMES, split_time=t),
        lambda f, y, t: churn.train(f, y * 2, NAMES, split_time=t),
        lambda f, y, t: churn.train(f, y, NAMES, split_time=t[:-1]),
        lambda f, y, t: churn.train(f, y, NAMES, split_time=np.where(t == 1, np.nan, t)),
        lambda f, y, t: churn.train(f, y, [*NAMES[:-1], NAMES[0]], split_time=t),
    ],
)
def test_malformed_input_is_a_value_error(call):
    """Wrong shapes, labels other than 0/1, NaN times or duplicate names are caller errors."""
    features, labels, times = _recency_driven(1000)
    with pytest.raises(ValueError) as raised:
        call(features, labels, times.astype(float))
    assert not isinstance(raised.value, churn.InsufficientData)


def test_every_feature_is_documented():
    """The expected feature names come with a label and a description."""
    assert len(churn.FEATURE_NAMES) == 8
    for name, feature in churn.FEATURES.items():
        assert feature.name == name and str(feature.label) and feature.description


def test_a_million_rows_train_and_predict_quickly():
    """Training on 1M rows stays within a few seconds (subsampled); predicting 1M well under a second."""
    features, labels, times = _recency_driven(1_000_000, seed=6)
    started = time.perf_counter()
    model = churn.train(features, labels, NAMES, split_time=times)
    trained = time.perf_counter()
    model.predict(features)
    predicted = time.perf_counter()
    assert model.n_fit == churn.MAX_TRAIN_ROWS and model.n_validation == 250_000
    assert trained - started < 10  # typically ~1 s; slack for a busy CI machine
    assert predicted - trained < 3  # typically ~0.2 s
