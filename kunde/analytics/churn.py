"""Churn risk learned from the company's own history, with the reasons per customer.

The caller builds one row per customer and cutoff date: the features known at the cutoff
(see `FEATURES`) and the label 1 if the customer churned in the window after it (no order,
or the contract ended). `train(...)` fits a logistic regression (median imputation plus a
missing-value indicator, standardisation, balanced class weights) on the earlier cutoffs
and measures its ROC AUC on the latest ones. `ChurnModel.predict` gives probabilities and
`ChurnModel.top_factors` the features pushing each customer towards churn: coefficient times
standardised value, which a linear model makes exact and easy to explain.

A gradient-boosted model was not used: on features like these it rarely beats a
regularised logistic regression by much, and its per-customer reasons would need SHAP.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

import numpy as np
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from scipy.special import expit
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

MIN_ROWS = 200
MIN_PER_CLASS = 20
MAX_TRAIN_ROWS = 200_000
VALIDATION_FRACTION = 0.2
_MAX_ITER = 1000


@dataclass(frozen=True)
class Feature:
    """A feature the caller computes per customer at the cutoff date."""

    name: str
    label: Promise
    description: str


DAYS_SINCE_LAST_ORDER = "days_since_last_order"
ORDERS_LAST_365_DAYS = "orders_last_365_days"
DAYS_SINCE_LAST_CONTACT = "days_since_last_contact"
CONTACTS_LAST_90_DAYS = "contacts_last_90_days"
MOOD_TREND = "mood_trend"
OPEN_TICKETS = "open_tickets"
LAST_NPS = "last_nps"
CUSTOMER_AGE_DAYS = "customer_age_days"

# The expected columns, in this order by convention. Descriptions are for developers
# building the matrix, so they are not translated. NaN is allowed in every column
# (imputed by the training median, with an indicator so "unknown" can carry weight).
FEATURES: dict[str, Feature] = {
    feature.name: feature
    for feature in (
        Feature(DAYS_SINCE_LAST_ORDER, _("Long time since the last order"),
                "Days from the last order to the cutoff; NaN if the customer never ordered."),
        Feature(ORDERS_LAST_365_DAYS, _("Few orders in the last year"),
                "Orders in the 365 days before the cutoff."),
        Feature(DAYS_SINCE_LAST_CONTACT, _("Long time since the last contact"),
                "Days from the last activity (call, e-mail, meeting) to the cutoff; NaN if none."),
        Feature(CONTACTS_LAST_90_DAYS, _("Few contacts in the last 90 days"),
                "Activities with the customer in the 90 days before the cutoff."),
        Feature(MOOD_TREND, _("Mood is trending"),
                "Slope of the recorded mood over time, or the last mood minus the average; NaN if unknown."),
        Feature(OPEN_TICKETS, _("Open service tickets"),
                "Tickets open at the cutoff."),
        Feature(LAST_NPS, _("Last NPS answer"),
                "The last Net Promoter Score answer 0..10 before the cutoff; NaN if never answered."),
        Feature(CUSTOMER_AGE_DAYS, _("Length of the relationship"),
                "Days since the first order, or since the contract started where contracts exist."),
    )
}
FEATURE_NAMES: tuple[str, ...] = tuple(FEATURES)


class InsufficientData(ValueError):
    """Too little history to train and validate a churn model; the message says what is missing."""

    def __init__(self, message: str, *, needed: int, has: int) -> None:
        super().__init__(message)
        self.needed = needed
        self.has = has


class Factor(NamedTuple):
    """One reason pushing a customer towards churn: the feature and its share of the log-odds."""

    name: str
    contribution: float

    @property
    def label(self) -> Promise | str:
        """A human-readable label; the feature name itself for columns outside `FEATURES`."""
        feature = FEATURES.get(self.name)
        return feature.label if feature else self.name


@dataclass(frozen=True, eq=False)
class ChurnModel:
    """A fitted churn model: plain arrays, so predicting a million customers is a few numpy steps.

    Each feature j has a value term coefficients[j] · (x_j - means[j]) / scales[j], with
    missing values replaced by medians[j]; features that had missing values in training
    (`indicator_features`) add an indicator term for "this value is missing".
    """

    feature_names: tuple[str, ...]
    medians: np.ndarray
    means: np.ndarray
    scales: np.ndarray
    coefficients: np.ndarray
    indicator_features: np.ndarray
    indicator_means: np.ndarray
    indicator_scales: np.ndarray
    indicator_coefficients: np.ndarray
    intercept: float
    auc: float
    n_train: int
    n_fit: int
    n_validation: int
    base_rate: float
    validation_base_rate: float
    validation_start: Any
    converged: bool

    def contributions(self, features: np.ndarray) -> np.ndarray:
        """Per row and feature, the term it adds to the log-odds of churn (0 = an average customer)."""
        values = _as_matrix(features, len(self.feature_names))
        missing = np.isnan(values)
        filled = np.where(missing, self.medians, values)
        terms = (filled - self.means) / self.scales * self.coefficients
        if len(self.indicator_features):
            indicator = missing[:, self.indicator_features]
            terms[:, self.indicator_features] += (
                (indicator - self.indicator_means) / self.indicator_scales * self.indicator_coefficients
            )
        return terms

    def predict(self, features: np.ndarray) -> np.ndarray:
        """The churn probability of each row."""
        return expit(self.contributions(features).sum(axis=1) + self.intercept)

    def top_factors(self, features: np.ndarray, k: int = 3) -> list[list[Factor]]:
        """Per row, up to k features pushing most towards churn (positive contributions, largest first).

        Meant for the rows on screen: it builds Python objects per row. For ranking many
        customers use `predict` or `contributions` directly.
        """
        terms = self.contributions(features)
        if k <= 0 or terms.shape[0] == 0:
            return [[] for _ in range(terms.shape[0])]
        order = np.argsort(-terms, axis=1, kind="stable")[:, :k]
        top = np.take_along_axis(terms, order, axis=1)
        names = self.feature_names
        return [
            [Factor(names[index], float(value)) for index, value in zip(row_order, row_top, strict=True) if value > 0]
            for row_order, row_top in zip(order.tolist(), top.tolist(), strict=True)
        ]


def train(
    features: np.ndarray,
    labels: np.ndarray,
    feature_names: Sequence[str],
    *,
    split_time: np.ndarray | None = None,
    validation_fraction: float = VALIDATION_FRACTION,
    max_train_rows: int = MAX_TRAIN_ROWS,
    min_rows: int = MIN_ROWS,
    min_per_class: int = MIN_PER_CLASS,
    seed: int = 0,
) -> ChurnModel:
    """Fit a churn model on earlier cutoffs and report its ROC AUC on the latest ones.

    `split_time` holds per row the cutoff the row was built at (numbers or datetime64).
    Validation takes the newest distinct cutoffs, newest first, until they hold at least
    `validation_fraction` of the rows (so with a few equal cutoffs: exactly the latest),
    always leaving at least one cutoff for training; training uses only the earlier rows.
    Without `split_time` the rows are split at random, stratified by label, with `seed`.

    Training uses at most `max_train_rows` rows, a stratified sample drawn with `seed`
    (deterministic), which keeps a million rows to a second or two; validation uses all
    validation rows. The returned model is the validated one (not refitted on all rows),
    so the AUC describes exactly the model used. ±inf counts as missing.

    Raises InsufficientData when there are fewer than `min_rows` rows, fewer than two
    cutoffs, or fewer than `min_per_class` churned or retained customers in the training
    or the validation part; ValueError for malformed input.
    """
    values = _as_matrix(features, len(feature_names))
    names = tuple(str(name) for name in feature_names)
    if len(set(names)) != len(names):
        raise ValueError("feature_names must be unique")
    targets = _as_labels(labels, len(values))
    if len(values) < min_rows:
        raise InsufficientData(
            gettext("needs at least %(needed)d customers with features, has %(has)d")
            % {"needed": min_rows, "has": len(values)},
            needed=min_rows, has=len(values),
        )
    if split_time is None:
        is_validation = _random_split(targets, validation_fraction, seed)
        validation_start = None
    else:
        is_validation, validation_start = _time_split(split_time, len(values), validation_fraction)
    _check_classes(targets[~is_validation], min_per_class, validation=False)
    _check_classes(targets[is_validation], min_per_class, validation=True)

    train_rows = np.flatnonzero(~is_validation)
    fit_rows = _stratified_sample(train_rows, targets[train_rows], max_train_rows, seed)
    model = _fit(values[fit_rows], targets[fit_rows], names, seed)
    validation_values, validation_targets = values[is_validation], targets[is_validation]
    auc = float(roc_auc_score(validation_targets, model.predict(validation_values)))
    return replace(
        model,
        auc=auc,
        n_train=len(train_rows),
        n_validation=len(validation_targets),
        base_rate=float(targets.mean()),
        validation_base_rate=float(validation_targets.mean()),
        validation_start=validation_start,
    )


def _as_matrix(features: np.ndarray, columns: int) -> np.ndarray:
    values = np.array(features, dtype=np.float64)  # a copy: the caller's array stays untouched
    if values.ndim != 2 or values.shape[1] != columns:
        raise ValueError(f"features must be a 2-D array with {columns} columns, got shape {values.shape}")
    values[np.isinf(values)] = np.nan
    return values


def _as_labels(labels: np.ndarray, rows: int) -> np.ndarray:
    targets = np.asarray(labels)
    if targets.shape != (rows,):
        raise ValueError(f"labels must be a 1-D array with one label per row ({rows}), got shape {targets.shape}")
    if not np.isin(targets, (0, 1)).all():
        raise ValueError("labels must be 0 (retained) or 1 (churned)")
    return targets.astype(np.int8)


def _random_split(targets: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    is_validation = np.zeros(len(targets), dtype=bool)
    for label in (0, 1):
        rows = np.flatnonzero(targets == label)
        chosen = rng.permutation(rows)[: round(len(rows) * fraction)]
        is_validation[chosen] = True
    return is_validation


def _time_split(split_time: np.ndarray, rows: int, fraction: float) -> tuple[np.ndarray, Any]:
    times = np.asarray(split_time)
    if times.shape != (rows,):
        raise ValueError(f"split_time must hold one time per row ({rows}), got shape {times.shape}")
    if (times.dtype.kind in "fc" and np.isnan(times).any()) or (times.dtype.kind in "mM" and np.isnat(times).any()):
        raise ValueError("split_time must not contain NaN or NaT")
    distinct, counts = np.unique(times, return_counts=True)
    if len(distinct) < 2:
        raise InsufficientData(
            gettext("needs rows from at least %(needed)d cutoff dates to validate on the latest, has %(has)d")
            % {"needed": 2, "has": len(distinct)},
            needed=2, has=len(distinct),
        )
    newest_first = np.cumsum(counts[::-1])
    taken = int(np.searchsorted(newest_first, fraction * rows)) + 1
    taken = min(max(taken, 1), len(distinct) - 1)
    start = distinct[len(distinct) - taken]
    return times >= start, start.item() if hasattr(start, "item") else start


def _check_classes(targets: np.ndarray, needed: int, *, validation: bool) -> None:
    churned = int(targets.sum())
    retained = len(targets) - churned
    if validation:
        messages = (
            gettext("needs at least %(needed)d churned customers in the validation period, has %(has)d"),
            gettext("needs at least %(needed)d retained customers in the validation period, has %(has)d"),
        )
    else:
        messages = (
            gettext("needs at least %(needed)d churned customers in the training period, has %(has)d"),
            gettext("needs at least %(needed)d retained customers in the training period, has %(has)d"),
        )
    for message, has in zip(messages, (churned, retained), strict=True):
        if has < needed:
            raise InsufficientData(message % {"needed": needed, "has": has}, needed=needed, has=has)


def _stratified_sample(rows: np.ndarray, targets: np.ndarray, limit: int, seed: int) -> np.ndarray:
    if len(rows) <= limit:
        return rows
    rng = np.random.default_rng(seed)
    chosen = []
    for label in (0, 1):
        class_rows = rows[targets == label]
        size = max(1, round(limit * len(class_rows) / len(rows)))
        chosen.append(rng.choice(class_rows, size=size, replace=False))
    return np.sort(np.concatenate(chosen))


def _fit(values: np.ndarray, targets: np.ndarray, names: tuple[str, ...], seed: int) -> ChurnModel:
    pipeline = make_pipeline(
        # keep_empty_features: a column with no values in training stays a column (imputed 0),
        # so coefficients line up with feature_names.
        SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
        StandardScaler(),
        LogisticRegression(class_weight="balanced", max_iter=_MAX_ITER, random_state=seed),
    )
    with warnings.catch_warnings():
        # lbfgs on standardised data converges in far fewer steps; if it ever does not,
        # the model is still usable and `converged` says so instead of a warning per call.
        warnings.simplefilter("ignore", ConvergenceWarning)
        pipeline.fit(values, targets)
    imputer, scaler, regression = (step for _, step in pipeline.steps)
    width = len(names)
    indicator_features = (
        np.asarray(imputer.indicator_.features_, dtype=np.intp) if imputer.indicator_ is not None
        else np.zeros(0, dtype=np.intp)
    )
    coefficients = regression.coef_[0]
    return ChurnModel(
        feature_names=names,
        medians=imputer.statistics_.astype(np.float64),
        means=scaler.mean_[:width],
        scales=scaler.scale_[:width],
        coefficients=coefficients[:width],
        indicator_features=indicator_features,
        indicator_means=scaler.mean_[width:],
        indicator_scales=scaler.scale_[width:],
        indicator_coefficients=coefficients[width:],
        intercept=float(regression.intercept_[0]),
        auc=float("nan"),
        n_train=0,
        n_fit=len(targets),
        n_validation=0,
        base_rate=float("nan"),
        validation_base_rate=float("nan"),
        validation_start=None,
        converged=bool(regression.n_iter_[0] < _MAX_ITER),
    )

