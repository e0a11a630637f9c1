"""Customer-base models for non-contractual settings: BG/NBD, Gamma-Gamma and discounted CLV.

Pure NumPy/SciPy (no Django, no pandas), after

- Fader, Hardie & Lee (2005), "Counting Your Customers the Easy Way: An Alternative to the
  Pareto/NBD Model", Marketing Science 24(2), 275-284 (BG/NBD, equations cited as FHL);
- Fader & Hardie (2013), "The Gamma-Gamma Model of Monetary Value" (note 025 on
  brucehardie.com; the model itself is from Fader, Hardie & Lee 2005, JMR 42(4)).

Time is measured in "units" chosen by `summarise(unit_days=...)` (1.0 = days, 7.0 = weeks);
every parameter with a time dimension (alpha) and every horizon (t, horizon, step) is in
that unit. `docs/analytics-models.md` states the assumptions and limits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import optimize, special

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
ArrayLike = npt.ArrayLike

# Below these counts the BG/NBD dropout parameters (a, b) and the Gamma-Gamma spend
# heterogeneity are not identified well enough to show a forecast to a user.
MIN_BGNBD_CUSTOMERS = 200
MIN_BGNBD_REPEAT_CUSTOMERS = 50
MIN_GAMMA_GAMMA_CUSTOMERS = 50
# |Pearson r| between frequency and mean spend above which the Gamma-Gamma independence
# assumption is doubtful; CDNOW, the model's textbook example, has r = 0.11.
CORRELATION_WARNING = 0.3
# Above this many distinct rows a fit first runs on a subsample of this size to find the
# start point and curvature; the full-data Newton polish then needs only a few evaluations.
_WARM_START_ROWS = 50_000
# Log-parameters are boxed so that a degenerate data set (e.g. no sign of dropout, a -> 0)
# ends at a bound and is reported as not converged instead of overflowing.
_LOG_BOUND = 18.0
# A log-parameter with a larger standard error (a factor of e^3 = 20 either way) is not
# determined by the data; such a fit is reported as not converged.
_MAX_LOG_STANDARD_ERROR = 3.0
_HESSIAN_STEP = 1e-5
# A converging Newton polish needs about five steps; more means the start was poor.
_NEWTON_STEPS = 30
# Rows sampled to decide whether merging identical rows is worth a sort.
_COMPRESS_PROBE_ROWS = 20_000
# The closed-form expectations have a removable singularity at a = 1 (FHL eq. 9 and 10);
# within this distance the value is interpolated between 1 - h and 1 + h.
_A_NEAR_ONE = 1e-4


class InsufficientData(ValueError):
    """The data cannot support the requested model fit."""


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, eq=False)
class Summary:
    """Per-customer RFM summary; rows of customers without a purchase are NaN."""

    frequency: FloatArray  # repeat purchase days (same-day purchases collapsed, first excluded)
    recency: FloatArray  # last purchase - first purchase, in units
    T: FloatArray  # observation end - first purchase, in units (the literature's name)
    monetary: FloatArray  # mean value of the repeat purchase days; 0 when frequency is 0
    has_purchase: npt.NDArray[np.bool_]
    customer_index: IntArray  # position in the caller's customer numbering
    unit_days: float

    @property
    def n_customers(self) -> int:
        """Return the number of rows."""
        return int(self.frequency.shape[0])

    def purchasers(self) -> Summary:
        """Return only the rows of customers with a purchase (what the fits accept)."""
        keep = self.has_purchase
        return Summary(
            frequency=self.frequency[keep],
            recency=self.recency[keep],
            T=self.T[keep],
            monetary=self.monetary[keep],
            has_purchase=self.has_purchase[keep],
            customer_index=self.customer_index[keep],
            unit_days=self.unit_days,
        )


@dataclass(frozen=True)
class BgNbdParams:
    """Fitted (or given) BG/NBD parameters: purchase rate Gamma(r, alpha), dropout Beta(a, b)."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float = float("nan")
    n_customers: int = 0
    converged: bool = True
    message: str = ""

    def __post_init__(self) -> None:
        if not (self.r > 0 and self.alpha > 0 and self.a >= 0 and self.b > 0):
            raise ValueError(f"BG/NBD needs r > 0, alpha > 0, a >= 0, b > 0; got {self!r}")


@dataclass(frozen=True)
class GammaGammaParams:
    """Fitted Gamma-Gamma spend parameters (p, q, v), v being the paper's gamma."""

    p: float
    q: float
    v: float
    log_likelihood: float = float("nan")
    n_customers: int = 0
    converged: bool = True
    message: str = ""

    def __post_init__(self) -> None:
        if not (self.p > 0 and self.q > 0 and self.v > 0):
            raise ValueError(f"Gamma-Gamma needs p, q, v > 0; got {self!r}")

    @property
    def population_mean(self) -> float:
        """Return the mean spend per transaction across customers, p*v/(q-1); NaN if q <= 1."""
        return self.p * self.v / (self.q - 1.0) if self.q > 1.0 else float("nan")


@dataclass(frozen=True)
class IndependenceCheck:
    """How strongly frequency and mean spend are correlated (Gamma-Gamma assumes zero)."""

    correlation: float
    n_customers: int
    warn: bool


@dataclass(frozen=True)
class CalibrationRow:
    """One calibration-frequency group of the holdout comparison."""

    label: str  # "0" .. "6", "7+"
    customers: int
    mean_actual: float
    mean_predicted: float


@dataclass(frozen=True)
class Calibration:
    """Holdout check: actual vs predicted repeat purchases, by calibration frequency."""

    rows: tuple[CalibrationRow, ...]
    customers: int
    total_actual: float
    total_predicted: float
    params: BgNbdParams
    holdout_length: float  # in units


# --------------------------------------------------------------------------- summarise


def summarise(
    customer_index: ArrayLike,
    day: ArrayLike,
    value: ArrayLike,
    *,
    n_customers: int,
    observation_end: int,
    unit_days: float = 1.0,
) -> Summary:
    """Build frequency, recency, T and monetary per customer from transactions up to `observation_end`.

    `day` is an integer day number; transactions on `observation_end` count, later ones are
    ignored. Purchases on the same day are one purchase whose value is their sum.
    """
    customers, days, values = _transaction_arrays(customer_index, day, value, n_customers=n_customers)
    if not unit_days > 0:
        raise ValueError(f"unit_days must be positive, got {unit_days}")
    keep = days <= observation_end
    customers, days, values = customers[keep], days[keep], values[keep]
    pair_customer, pair_day = _purchase_days(customers, days)

    count = np.bincount(pair_customer, minlength=n_customers)
    has_purchase = count > 0
    # Pairs are sorted by (customer, day): a customer's first and last pairs are its first
    # and last purchase days.
    ends = np.cumsum(count)
    first_day = np.zeros(n_customers, dtype=np.int64)
    first_day[has_purchase] = pair_day[(ends - count)[has_purchase]]
    last_day = pair_day[ends[has_purchase] - 1]
    # Repeat value = all value - first-day value; two bincounts avoid sorting the values.
    on_first_day = days == first_day[customers]
    repeat_value = np.bincount(customers, weights=values, minlength=n_customers) - np.bincount(
        customers[on_first_day], weights=values[on_first_day], minlength=n_customers
    )

    frequency, recency, T, monetary = (np.full(n_customers, np.nan) for _ in range(4))
    repeats = (count - 1)[has_purchase]
    frequency[has_purchase] = repeats
    recency[has_purchase] = (last_day - first_day[has_purchase]) / unit_days
    T[has_purchase] = (observation_end - first_day[has_purchase]) / unit_days
    # Clamp the subtraction's rounding residue so a mean spend is never slightly negative.
    monetary[has_purchase] = np.divide(
        np.maximum(repeat_value[has_purchase], 0.0), repeats, out=np.zeros(repeats.shape), where=repeats > 0
    )
    return Summary(
        frequency=frequency,
        recency=recency,
        T=T,
        monetary=monetary,
        has_purchase=has_purchase,
        customer_index=np.arange(n_customers, dtype=np.int64),
        unit_days=float(unit_days),
    )


def _transaction_arrays(
    customer_index: ArrayLike, day: ArrayLike, value: ArrayLike, *, n_customers: int
) -> tuple[IntArray, IntArray, FloatArray]:
    """Validate transaction columns and return them as int64/int64/float64 arrays."""
    customers = np.asarray(customer_index)
    days = np.asarray(day)
    values = np.asarray(value, dtype=np.float64)
    if customers.ndim != 1 or days.ndim != 1 or values.ndim != 1:
        raise ValueError("customer_index, day and value must be one-dimensional")
    if not customers.shape == days.shape == values.shape:
        raise ValueError(
            f"customer_index, day and value must have the same length, got "
            f"{customers.shape[0]}, {days.shape[0]}, {values.shape[0]}"
        )
    if n_customers < 0:
        raise ValueError(f"n_customers must be >= 0, got {n_customers}")
    for name, column in (("customer_index", customers), ("day", days)):
        if column.size and not np.issubdtype(column.dtype, np.integer):
            raise ValueError(f"{name} must hold integers, got dtype {column.dtype}")
    customers = customers.astype(np.int64, copy=False)
    days = days.astype(np.int64, copy=False)
    if customers.size:
        low, high = int(customers.min()), int(customers.max())
        if low < 0 or high >= n_customers:
            raise ValueError(f"customer_index must lie in 0..{n_customers - 1}, found {low}..{high}")
    if not np.isfinite(values).all():
        raise ValueError("value must be finite (no NaN or infinity)")
    negative = int(np.count_nonzero(values < 0))
    if negative:
        raise ValueError(f"value must be >= 0; {negative} transactions are negative (net refunds out first)")
    return customers, days, values


def _purchase_days(customers: IntArray, days: IntArray) -> tuple[IntArray, IntArray]:
    """Return the distinct (customer, day) pairs of the transactions, sorted by customer then day."""
    if customers.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    first_day = int(days.min())
    span = int(days.max()) - first_day + 1
    # One integer key per (customer, day); uint32 when it fits, which sorts twice as fast.
    key_dtype = np.uint32 if int(customers.max()) * span + span <= np.iinfo(np.uint32).max else np.int64
    key = np.add(
        np.multiply(customers, span, dtype=key_dtype, casting="unsafe"),
        np.subtract(days, first_day, dtype=key_dtype, casting="unsafe"),
    )
    if not bool(np.all(key[1:] >= key[:-1])):
        # Exports ordered by customer and date are common and skip the sort.
        key = np.sort(key)
    pair_key = key[np.concatenate(([True], key[1:] != key[:-1]))].astype(np.int64)
    return pair_key // span, pair_key % span + first_day


# --------------------------------------------------------------------------- input checks


def _customer_arrays(
    frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Validate and broadcast (frequency, recency, T) as float arrays."""
    x, t_x, big_t = (np.asarray(column, dtype=np.float64) for column in (frequency, recency, T))
    try:
        x, t_x, big_t = np.broadcast_arrays(x, t_x, big_t)
    except ValueError as error:
        raise ValueError(
            f"frequency, recency and T must have the same length, got shapes {x.shape}, {t_x.shape}, {big_t.shape}"
        ) from error
    for name, column in (("frequency", x), ("recency", t_x), ("T", big_t)):
        if not np.isfinite(column).all():
            raise ValueError(f"{name} contains NaN or infinity (pass only customers with a purchase)")
        if (column < 0).any():
            raise ValueError(f"{name} must be >= 0")
    if (x != np.round(x)).any():
        raise ValueError("frequency must be whole numbers (count of repeat purchase days)")
    if (t_x > big_t * (1 + 1e-12)).any():
        raise ValueError("recency must not exceed T")
    return x, t_x, big_t


def _weights(weights: ArrayLike | None, n: int) -> FloatArray:
    """Return validated non-negative weights of length n (ones if None)."""
    if weights is None:
        return np.ones(n)
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (n,):
        raise ValueError(f"weights must have the same length as the data ({n}), got shape {w.shape}")
    if not np.isfinite(w).all() or (w < 0).any():
        raise ValueError("weights must be finite and >= 0")
    return w


def _compress(columns: tuple[FloatArray, ...], weights: FloatArray) -> tuple[tuple[FloatArray, ...], FloatArray]:
    """Merge identical rows, summing their weights (integer-day data has many)."""
    n = columns[0].shape[0]
    if n < 2 or not _worth_compressing(columns):
        return columns, weights
    # One sort of a 64-bit row hash instead of a multi-column lexsort; a collision, checked
    # below, falls back to the exact lexsort.
    hashed = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        # Up to three columns; each gets its own odd multiplier so that (a, b) and (b, a) differ.
        for column, multiplier in zip(
            columns, (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9), strict=False
        ):
            bits = np.ascontiguousarray(column + 0.0).view(np.uint64)  # + 0.0 folds -0.0 into 0.0
            hashed = (hashed ^ bits) * np.uint64(multiplier)
    _, first, inverse = np.unique(hashed, return_index=True, return_inverse=True)
    if not all(np.array_equal(column[first][inverse], column) for column in columns):
        order = np.lexsort(columns[::-1])
        boundary = np.ones(n, dtype=bool)
        boundary[1:] = np.any([column[order][1:] != column[order][:-1] for column in columns], axis=0)
        first = order[boundary]
        inverse = np.empty(n, dtype=np.int64)
        inverse[order] = np.cumsum(boundary) - 1
    merged = np.bincount(inverse, weights=weights, minlength=first.shape[0]).astype(np.float64)
    return tuple(column[first] for column in columns), merged


def _worth_compressing(columns: tuple[FloatArray, ...]) -> bool:
    """Guess from a sample whether merging rows pays: continuous times hardly ever repeat."""
    n = columns[0].shape[0]
    if n <= _COMPRESS_PROBE_ROWS:
        return True
    probe = np.random.default_rng(0).choice(n, size=_COMPRESS_PROBE_ROWS, replace=False)
    distinct = np.unique(np.column_stack([column[probe] for column in columns]), axis=0).shape[0]
    return distinct < 0.9 * _COMPRESS_PROBE_ROWS


# --------------------------------------------------------------------------- maximum likelihood

# params -> (log-likelihood, its gradient in the params)
_LogLik = Callable[[FloatArray], tuple[float, FloatArray]]


def _in_log_space(loglik: _LogLik) -> _LogLik:
    """Return loglik as a function of log-parameters, NaN-free for the optimizer."""

    def wrapped(theta: FloatArray) -> tuple[float, FloatArray]:
        params = np.exp(theta)
        with np.errstate(all="ignore"):
            value, grad = loglik(params)
        if not np.isfinite(value) or not np.isfinite(grad).all():
            return -np.inf, np.zeros_like(theta)
        return value, grad * params

    return wrapped


def _fit(make_loglik: Callable[[FloatArray], _LogLik], weights: FloatArray, start: FloatArray) -> _FitResult:
    """Maximise the likelihood over rows with `weights`; `make_loglik(w)` builds it for any weights.

    Large data are first fitted on a weighted subsample; its observed information, scaled
    up, then drives a few Newton steps on the full data, each one likelihood evaluation.
    L-BFGS-B on the full data is the fallback.
    """
    total = float(weights.sum())
    full = _in_log_space(make_loglik(weights))
    theta = np.log(start)
    if weights.shape[0] > _WARM_START_ROWS:
        # A fixed seed keeps fits reproducible; the subsample only decides where to start.
        rng = np.random.default_rng(20050101)
        draws = rng.choice(weights.shape[0], size=_WARM_START_ROWS, p=weights / total)
        sample = _in_log_space(make_loglik(np.bincount(draws, minlength=weights.shape[0]).astype(np.float64)))
        sample_fit = _maximise(sample, theta, float(_WARM_START_ROWS))
        if sample_fit.converged:
            theta = sample_fit.theta
            information = _information(sample, theta) * (total / _WARM_START_ROWS)
            if _well_determined(information):
                polished = _newton(full, theta, information)
                if polished is not None:
                    return polished
    result = _maximise(full, theta, total)
    if result.converged and not _well_determined(_information(full, result.theta)):
        return _FitResult(result.theta, result.log_likelihood, False, _FLAT_MESSAGE)
    return result


@dataclass(frozen=True)
class _FitResult:
    theta: FloatArray  # log-parameters
    log_likelihood: float
    converged: bool
    message: str

    @property
    def params(self) -> tuple[float, ...]:
        return tuple(float(value) for value in np.exp(self.theta))


_FLAT_MESSAGE = "the likelihood is flat at the optimum: the data do not pin the parameters down"


def _maximise(loglik: _LogLik, theta: FloatArray, scale: float) -> _FitResult:
    """Maximise `loglik` (in log-parameters) with L-BFGS-B from `theta`."""

    def objective(point: FloatArray) -> tuple[float, FloatArray]:
        value, grad = loglik(point)
        if not np.isfinite(value):
            return 1e300, np.zeros_like(point)  # steers the line search back
        # Per-customer scale keeps the tolerances meaningful for any data size.
        return -value / scale, -grad / scale

    bounds = [(-_LOG_BOUND, _LOG_BOUND)] * theta.shape[0]
    result = optimize.minimize(
        objective,
        theta,
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxiter": 1000, "ftol": 1e-14, "gtol": 1e-9},
    )
    at_bound = bool(np.any(np.abs(result.x) >= _LOG_BOUND - 1e-6))
    gradient_small = bool(np.max(np.abs(result.jac)) < 1e-4)
    converged = bool((result.success or gradient_small) and not at_bound and result.fun < 1e300)
    if at_bound:
        message = "a parameter ran to its bound: the data do not identify the model (e.g. no sign of dropout)"
    elif not converged:
        message = f"optimizer did not converge: {result.message}"
    else:
        message = ""
    return _FitResult(result.x, -float(result.fun) * scale, converged, message)


def _newton(loglik: _LogLik, theta: FloatArray, information: FloatArray) -> _FitResult | None:
    """Polish `theta` with Newton steps using a fixed information matrix; None if it stalls.

    The subsample's information differs from the full data's by sampling noise only, so the
    iteration contracts fast (a handful of steps to 1e-9 in the log-parameters).
    """
    inverse = np.linalg.inv(information)
    value, grad = loglik(theta)
    for _ in range(_NEWTON_STEPS):
        direction = inverse @ grad
        size = 1.0
        while True:
            candidate = theta + size * direction
            new_value, new_grad = loglik(candidate)
            if np.isfinite(new_value) and new_value >= value - 1e-12 * abs(value):
                break
            size /= 2
            if size < 1e-3:
                return None
        theta, value, grad = candidate, new_value, new_grad
        if np.max(np.abs(size * direction)) < 1e-9:
            if np.any(np.abs(theta) >= _LOG_BOUND):
                return None
            return _FitResult(theta, value, True, "")
    return None


def _information(loglik: _LogLik, theta: FloatArray) -> FloatArray:
    """Return the observed information (minus the Hessian) by central differences of the gradient."""
    size = theta.shape[0]
    hessian = np.empty((size, size))
    for i in range(size):
        shift = np.zeros(size)
        shift[i] = _HESSIAN_STEP
        hessian[:, i] = (loglik(theta + shift)[1] - loglik(theta - shift)[1]) / (2 * _HESSIAN_STEP)
    return -(hessian + hessian.T) / 2


def _well_determined(information: FloatArray) -> bool:
    """Return whether every log-parameter has a standard error below _MAX_LOG_STANDARD_ERROR.

    A flat direction (e.g. r and alpha drifting to infinity together when purchase rates do
    not vary, or a and b when nobody seems to drop out) stops L-BFGS-B with a "success" far
    from any meaningful optimum; the observed information matrix exposes it.
    """
    if not np.isfinite(information).all() or np.linalg.eigvalsh(information).min() <= 0:
        return False
    return bool(np.all(np.diag(np.linalg.inv(information)) < _MAX_LOG_STANDARD_ERROR**2))


# --------------------------------------------------------------------------- BG/NBD fit


@dataclass(frozen=True)
class _BgNbdData:
    """BG/NBD sufficient data, split into customers with and without repeat purchases."""

    T0: FloatArray
    w0: FloatArray
    x: FloatArray
    t_x: FloatArray
    T: FloatArray
    w: FloatArray
    unique_x: FloatArray  # the distinct positive frequencies, for the terms that depend on x only
    weight_x: FloatArray


def _bgnbd_pack(
    T0: FloatArray,
    w0: FloatArray,
    x: FloatArray,
    t_x: FloatArray,
    big_t: FloatArray,
    w: FloatArray,
) -> _BgNbdData:
    """Return the likelihood data for these rows (zero-weight rows dropped), with per-x weights."""
    keep0, keep = w0 > 0, w > 0
    x, t_x, big_t, w = x[keep], t_x[keep], big_t[keep], w[keep]
    unique_x, inverse = np.unique(x, return_inverse=True)
    weight_x = np.bincount(inverse, weights=w, minlength=unique_x.shape[0]).astype(np.float64)
    return _BgNbdData(T0=T0[keep0], w0=w0[keep0], x=x, t_x=t_x, T=big_t, w=w, unique_x=unique_x, weight_x=weight_x)


def _dot(a: FloatArray, b: FloatArray) -> float:
    """Return sum(a * b) without BLAS.

    `a @ b` goes to multi-threaded OpenBLAS, whose thread hand-off made each likelihood
    evaluation up to 20 times slower on a busy two-core machine; einsum stays on one core.
    """
    return float(np.einsum("i,i->", a, b))


def _bgnbd_loglik(params: FloatArray, data: _BgNbdData) -> tuple[float, FloatArray]:
    """Return the weighted BG/NBD log-likelihood (FHL eq. 6) and its gradient in (r, alpha, a, b).

    Per customer, ln L = ln A1 + ln A2 + ln(A3 + [x > 0] A4) with
    A1 = Gamma(r+x) alpha^r / Gamma(r), A2 = B(a, b+x) / B(a, b), A3 = (alpha+T)^-(r+x),
    A4 = a / (b+x-1) (alpha+t_x)^-(r+x). Terms depending on x only are summed per distinct x.
    """
    r, alpha, a, b = (float(value) for value in params)
    ln_alpha = np.log(alpha)
    xs, wx = data.unique_x, data.weight_x
    total = float(data.w0.sum()) + float(wx.sum())

    # Customers without repeat purchases: ln L = r ln alpha - r ln(alpha + T).
    ln_T0 = np.log(alpha + data.T0)
    sum_ln_T0 = _dot(data.w0, ln_T0)
    # Terms of customers with repeat purchases that depend on x only.
    by_x = special.gammaln(r + xs) + special.gammaln(b + xs) - special.gammaln(a + b + xs)
    loglik = (
        total * r * ln_alpha
        - r * sum_ln_T0
        + _dot(wx, by_x)
        + float(wx.sum()) * (special.gammaln(a + b) - special.gammaln(r) - special.gammaln(b))
    )
    # Per-row terms: d = ln(A4 / A3), ln(A3 + A4) = ln A3 + softplus(d).
    x, w = data.x, data.w
    rx = r + x
    ln_T = np.log(alpha + data.T)
    ln_gap = ln_T - np.log(alpha + data.t_x)
    inv_b1 = 1.0 / (b - 1.0 + x)
    d = np.log(a) + np.log(inv_b1) + rx * ln_gap
    small = np.exp(-np.abs(d))  # in (0, 1]: no overflow for either sign of d
    loglik += _dot(w, np.maximum(d, 0.0) + np.log1p(small) - rx * ln_T)

    # p4 = A4 / (A3 + A4), the weight of the "dropped out right after t_x" branch.
    p4 = np.where(d >= 0, 1.0, small) / (1.0 + small)
    w_p4 = w * p4
    psi_ab = special.digamma(a + b)
    psi_abx = special.digamma(a + b + xs)
    inv_T = 1.0 / (alpha + data.T)
    inv_t = 1.0 / (alpha + data.t_x)
    d_r = (
        total * ln_alpha
        - sum_ln_T0
        + _dot(wx, special.digamma(r + xs) - special.digamma(r))
        + _dot(w_p4, ln_gap)
        - _dot(w, ln_T)
    )
    d_alpha = (
        total * r / alpha
        - r * _dot(data.w0, 1.0 / (alpha + data.T0))
        + _dot(w_p4 * rx, inv_T - inv_t)
        - _dot(w * rx, inv_T)
    )
    d_a = _dot(wx, psi_ab - psi_abx) + float(w_p4.sum()) / a
    d_b = _dot(wx, psi_ab + special.digamma(b + xs) - special.digamma(b) - psi_abx) - _dot(w_p4, inv_b1)
    return loglik, np.array([d_r, d_alpha, d_a, d_b])


def fit_bgnbd(
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    *,
    weights: ArrayLike | None = None,
) -> BgNbdParams:
    """Fit the BG/NBD model by maximum likelihood; raise InsufficientData if the data are too thin.

    `weights` counts how many customers each row stands for. The fit is reported with
    `converged=False` and a message, not raised, when the optimizer fails or the data do
    not determine the parameters.
    """
    x, t_x, big_t = _customer_arrays(frequency, recency, T)
    x, t_x, big_t = x.ravel(), t_x.ravel(), big_t.ravel()
    w = _weights(weights, x.shape[0])
    n_customers = float(w.sum())
    n_repeat = float(w[x > 0].sum())
    if n_customers < MIN_BGNBD_CUSTOMERS:
        raise InsufficientData(f"BG/NBD needs at least {MIN_BGNBD_CUSTOMERS} customers, has {n_customers:g}")
    if n_repeat < MIN_BGNBD_REPEAT_CUSTOMERS:
        raise InsufficientData(
            f"BG/NBD needs at least {MIN_BGNBD_REPEAT_CUSTOMERS} customers with a repeat purchase, has {n_repeat:g}"
        )
    zero = x == 0
    (T0,), w0 = _compress((big_t[zero],), w[zero])
    (xp, tp, Tp), wp = _compress((x[~zero], t_x[~zero], big_t[~zero]), w[~zero])
    n0 = T0.shape[0]

    def make_loglik(row_weights: FloatArray) -> _LogLik:
        data = _bgnbd_pack(T0, row_weights[:n0], xp, tp, Tp, row_weights[n0:])
        return lambda params: _bgnbd_loglik(params, data)

    # r/alpha is the mean purchase rate; with r = 1 that gives alpha ~ time per purchase.
    rate = _dot(w, x) / max(_dot(w, big_t), 1e-12)
    start = np.array([1.0, 1.0 / max(rate, 1e-12), 0.5, 2.0])
    result = _fit(make_loglik, np.concatenate((w0, wp)), start)
    r, alpha, a, b = result.params
    return BgNbdParams(
        r=r,
        alpha=alpha,
        a=a,
        b=b,
        log_likelihood=result.log_likelihood,
        n_customers=round(n_customers),
        converged=result.converged,
        message=result.message,
    )


# --------------------------------------------------------------------------- BG/NBD predictions


def probability_alive(params: BgNbdParams, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> FloatArray:
    """Return P(still active at T | x, t_x, T) (FHL 2005 appendix / Hardie note 021); 1 for x = 0."""
    x, t_x, big_t = _customer_arrays(frequency, recency, T)
    return _probability_alive(params, x, t_x, big_t)


def _probability_alive(params: BgNbdParams, x: FloatArray, t_x: FloatArray, big_t: FloatArray) -> FloatArray:
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    with np.errstate(divide="ignore", invalid="ignore"):
        # ln of a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x); -inf (alive for sure) if x = 0 or a = 0.
        log_odds_dead = np.log(a) - np.log(b - 1.0 + x) + (r + x) * (np.log(alpha + big_t) - np.log(alpha + t_x))
        log_odds_dead = np.where(x > 0, log_odds_dead, -np.inf)
    return np.asarray(special.expit(-log_odds_dead), dtype=np.float64)


def conditional_expected_purchases(
    params: BgNbdParams,
    t: ArrayLike,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
) -> FloatArray:
    """Return E[purchases in (T, T+t] | x, t_x, T] (FHL 2005 eq. 10); t in units, broadcast."""
    x, t_x, big_t = _customer_arrays(frequency, recency, T)
    horizon = _horizon(t)
    alive = _probability_alive(params, x, t_x, big_t)
    return alive * _expected_while_alive(params, horizon, x, big_t)


def expected_purchases(params: BgNbdParams, t: ArrayLike) -> FloatArray:
    """Return E[X(t)], the expected repeat purchases of a new customer in (0, t] (FHL 2005 eq. 9)."""
    horizon = _horizon(t)
    zero = np.zeros_like(horizon)
    return _expected_while_alive(params, horizon, zero, zero)


def _horizon(t: ArrayLike) -> FloatArray:
    horizon = np.asarray(t, dtype=np.float64)
    if not np.isfinite(horizon).all() or (horizon < 0).any():
        raise ValueError("t must be finite and >= 0")
    return horizon


def _expected_while_alive(params: BgNbdParams, t: FloatArray, x: FloatArray, big_t: FloatArray) -> FloatArray:
    """Return E[purchases in the next t | alive at T, x] = FHL eq. 10 without the P(alive) factor.

    The paper's form (a+b+x-1)/(a-1) [1 - u^(r+x) 2F1(r+x, b+x; a+b+x-1; z)] with
    u = (alpha+T)/(alpha+T+t), z = 1-u is rewritten by Euler's transformation as
    (a+b+x-1)/(a-1) [1 - u^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z)]: only the third argument
    grows with x, which keeps scipy's hyp2f1 accurate for frequent buyers and long horizons.
    """
    t, x, big_t = np.broadcast_arrays(t, x, big_t)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    if a == 0:
        # No dropout: a plain NBD whose posterior rate is Gamma(r+x, alpha+T).
        return np.asarray(t * (r + x) / (alpha + big_t), dtype=np.float64)

    def closed_form(a_value: float) -> FloatArray:
        c = a_value + b + x - 1.0
        u = (alpha + big_t) / (alpha + big_t + t)
        with np.errstate(all="ignore"):
            hyp = special.hyp2f1(a_value + b - 1.0 - r, a_value - 1.0, c, 1.0 - u)
            value = c / (a_value - 1.0) * -np.expm1((a_value - 1.0) * np.log(u) + np.log(hyp))
        return np.asarray(np.where(t > 0, value, 0.0), dtype=np.float64)

    if abs(a - 1.0) < _A_NEAR_ONE:
        low, high = 1.0 - _A_NEAR_ONE, 1.0 + _A_NEAR_ONE
        share = (a - low) / (high - low)
        return (1.0 - share) * closed_form(low) + share * closed_form(high)
    return closed_form(a)


def simulate_bgnbd(
    params: BgNbdParams, n: int, T: ArrayLike, rng: np.random.Generator
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Draw (frequency, recency, T) for n customers from the BG/NBD generative process.

    Each customer buys at time 0, then at Poisson rate lambda ~ Gamma(r, 1/alpha); after each
    repeat purchase they drop out with probability p ~ Beta(a, b). `T` (scalar or length n)
    is each customer's observation length after the first purchase.
    """
    big_t = np.broadcast_to(np.asarray(T, dtype=np.float64), (n,)).copy()
    rate = rng.gamma(params.r, 1.0 / params.alpha, n)
    dropout = rng.beta(params.a, params.b, n) if params.a > 0 else np.zeros(n)
    arrivals = rng.poisson(rate * big_t)
    # Repeat purchases until (and including) the one after which the customer drops out.
    with np.errstate(divide="ignore"):
        lifetime_purchases = np.where(dropout > 0, rng.geometric(np.maximum(dropout, 1e-300)), np.iinfo(np.int64).max)
    frequency = np.minimum(arrivals, lifetime_purchases)
    # Given N arrivals in (0, T], the x-th arrival time is T times the x-th of N uniform order
    # statistics, i.e. T * Beta(x, N - x + 1).
    bought = frequency > 0
    recency = np.zeros(n)
    recency[bought] = big_t[bought] * rng.beta(frequency[bought], arrivals[bought] - frequency[bought] + 1)
    return frequency.astype(np.float64), recency, big_t


# --------------------------------------------------------------------------- Gamma-Gamma


def _spend_arrays(frequency: ArrayLike, monetary: ArrayLike) -> tuple[FloatArray, FloatArray]:
    x = np.asarray(frequency, dtype=np.float64)
    m = np.asarray(monetary, dtype=np.float64)
    try:
        x, m = np.broadcast_arrays(x, m)
    except ValueError as error:
        raise ValueError(
            f"frequency and monetary must have the same length, got shapes {x.shape}, {m.shape}"
        ) from error
    if not np.isfinite(x).all() or (x < 0).any() or (x != np.round(x)).any():
        raise ValueError("frequency must be whole numbers >= 0 (pass only customers with a purchase)")
    repeat = x > 0
    if not np.isfinite(m[repeat]).all() or (m[repeat] <= 0).any():
        raise ValueError("monetary must be finite and > 0 for customers with a repeat purchase")
    return x, m


def fit_gamma_gamma(frequency: ArrayLike, monetary: ArrayLike, *, weights: ArrayLike | None = None) -> GammaGammaParams:
    """Fit the Gamma-Gamma spend model on the customers with frequency > 0 (Fader & Hardie 2013)."""
    x, m = _spend_arrays(frequency, monetary)
    x, m = x.ravel(), m.ravel()
    w = _weights(weights, x.shape[0])
    repeat = x > 0
    n_repeat = float(w[repeat].sum())
    if n_repeat < MIN_GAMMA_GAMMA_CUSTOMERS:
        raise InsufficientData(
            f"Gamma-Gamma needs at least {MIN_GAMMA_GAMMA_CUSTOMERS} customers with a repeat purchase, has {n_repeat:g}"
        )
    (xs, ms), ws = _compress((x[repeat], m[repeat]), w[repeat])
    if np.ptp(ms) == 0:
        raise InsufficientData("Gamma-Gamma needs customers whose mean spend differs (all values are equal)")

    def make_loglik(row_weights: FloatArray) -> _LogLik:
        keep = row_weights > 0
        return _gamma_gamma_loglik(xs[keep], ms[keep], row_weights[keep])

    # Start from the spend scale: E[m] = p v / (q - 1), here with p = 1, q = 2.
    start = np.array([1.0, 2.0, _dot(ws, ms) / float(ws.sum())])
    result = _fit(make_loglik, ws, start)
    p, q, v = result.params
    return GammaGammaParams(
        p=p,
        q=q,
        v=v,
        log_likelihood=result.log_likelihood,
        n_customers=round(n_repeat),
        converged=result.converged,
        message=result.message,
    )


def _gamma_gamma_loglik(x: FloatArray, m: FloatArray, w: FloatArray) -> _LogLik:
    """Return the weighted Gamma-Gamma log-likelihood of mean spends m over x transactions.

    ln f(m | p, q, v, x) = ln Gamma(px+q) - ln Gamma(px) - ln Gamma(q) + q ln v
        + (px-1) ln m + px ln x - (px+q) ln(v + x m)        (Fader & Hardie 2013)
    The Gamma-function terms depend on x only and are summed per distinct x; the terms
    linear in p are constants computed once, leaving one log per row and evaluation.
    """
    unique_x, inverse = np.unique(x, return_inverse=True)
    weight_x = np.bincount(inverse, weights=w, minlength=unique_x.shape[0]).astype(np.float64)
    total = float(w.sum())
    ln_m = np.log(m)
    sum_x_ln_xm = _dot(w, x * (ln_m + np.log(x)))  # coefficient of p
    sum_ln_m = _dot(w, ln_m)
    xm = x * m
    wx = w * x

    def loglik(params: FloatArray) -> tuple[float, FloatArray]:
        p, q, v = (float(value) for value in params)
        px = p * unique_x
        ln_v = np.log(v)
        ln_vxm = np.log(v + xm)
        sum_ln_vxm = _dot(w, ln_vxm)
        sum_x_ln_vxm = _dot(wx, ln_vxm)
        value = (
            _dot(weight_x, special.gammaln(px + q) - special.gammaln(px))
            + total * (q * ln_v - special.gammaln(q))
            + p * sum_x_ln_xm
            - sum_ln_m
            - p * sum_x_ln_vxm
            - q * sum_ln_vxm
        )
        psi_pxq = special.digamma(px + q)
        d_p = _dot(weight_x, unique_x * (psi_pxq - special.digamma(px))) + sum_x_ln_xm - sum_x_ln_vxm
        d_q = _dot(weight_x, psi_pxq) + total * (ln_v - special.digamma(q)) - sum_ln_vxm
        inv_vxm = 1.0 / (v + xm)
        d_v = total * q / v - p * _dot(wx, inv_vxm) - q * _dot(w, inv_vxm)
        return value, np.array([d_p, d_q, d_v])

    return loglik


def expected_average_value(params: GammaGammaParams, frequency: ArrayLike, monetary: ArrayLike) -> FloatArray:
    """Return E[spend per transaction | x, m_x] = p (v + x m_x) / (p x + q - 1); p v/(q-1) for x = 0.

    The posterior mean weighs the customer's own mean against the population mean by x; it
    is NaN when q <= 1 (the fitted spend distribution then has no finite mean).
    """
    x = np.asarray(frequency, dtype=np.float64)
    m = np.asarray(monetary, dtype=np.float64)
    x, m = np.broadcast_arrays(x, m)
    if not np.isfinite(x).all() or (x < 0).any():
        raise ValueError("frequency must be finite and >= 0")
    repeat = x > 0
    if not np.isfinite(m[repeat]).all() or (m[repeat] < 0).any():
        raise ValueError("monetary must be finite and >= 0 for customers with a repeat purchase")
    p, q, v = params.p, params.q, params.v
    own = np.where(repeat, x * np.where(repeat, m, 0.0), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = p * (v + own) / (p * x + q - 1.0)
    return np.asarray(np.where(p * x + q - 1.0 > 0, value, np.nan), dtype=np.float64)


def frequency_monetary_correlation(frequency: ArrayLike, monetary: ArrayLike) -> IndependenceCheck:
    """Return the Pearson correlation of frequency and mean spend among repeat customers.

    The Gamma-Gamma model assumes spend is independent of purchase frequency; `warn` is set
    when |r| exceeds CORRELATION_WARNING so the UI can flag the CLV figures.
    """
    x, m = _spend_arrays(frequency, monetary)
    repeat = x > 0
    n = int(np.count_nonzero(repeat))
    if n < 3 or np.ptp(x[repeat]) == 0 or np.ptp(m[repeat]) == 0:
        return IndependenceCheck(correlation=float("nan"), n_customers=n, warn=False)
    correlation = float(np.corrcoef(x[repeat], m[repeat])[0, 1])
    return IndependenceCheck(correlation=correlation, n_customers=n, warn=abs(correlation) > CORRELATION_WARNING)


# --------------------------------------------------------------------------- CLV


def predicted_clv(
    bg: BgNbdParams,
    gg: GammaGammaParams,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    monetary: ArrayLike,
    *,
    horizon: float,
    discount_rate_per_period: float,
    step: float,
) -> FloatArray:
    """Return the discounted expected revenue per customer over the next `horizon` units.

    The horizon is cut into steps of `step` units (the last one may be shorter); step k ends
    at e_k = min(k*step, horizon) and contributes (E[Y(e_k)] - E[Y(e_{k-1})]) * E[spend] /
    (1 + d)^(e_k/step), d being the discount rate per step. This is lifetimes'
    `customer_lifetime_value` (weeks with step 4.345 and a monthly d there). Money is in the
    unit of `monetary`.
    """
    if not (np.isfinite(horizon) and horizon > 0):
        raise ValueError(f"horizon must be positive, got {horizon}")
    if not (np.isfinite(step) and step > 0):
        raise ValueError(f"step must be positive, got {step}")
    if not (np.isfinite(discount_rate_per_period) and discount_rate_per_period > -1):
        raise ValueError(f"discount_rate_per_period must be > -1, got {discount_rate_per_period}")
    x, t_x, big_t = _customer_arrays(frequency, recency, T)
    spend = expected_average_value(gg, x, monetary)
    n_steps = int(np.ceil(horizon / step - 1e-9))
    ends = np.minimum(np.arange(1, n_steps + 1) * step, horizon)
    (ux, ut, uT), inverse = _unique_rows(x.ravel(), t_x.ravel(), big_t.ravel())
    # Cumulative expectations at every step end, evaluated once per distinct customer row.
    cumulative = conditional_expected_purchases(bg, ends[:, None], ux[None, :], ut[None, :], uT[None, :])
    per_step = np.diff(cumulative, axis=0, prepend=0.0)
    discount = (1.0 + discount_rate_per_period) ** (ends / step)
    purchases = (per_step / discount[:, None]).sum(axis=0)[inverse].reshape(x.shape)
    return np.asarray(purchases * spend, dtype=np.float64)


def _unique_rows(*columns: FloatArray) -> tuple[tuple[FloatArray, ...], IntArray]:
    """Return the distinct rows of the columns and, per input row, the index of its distinct row."""
    if columns[0].size == 0:
        return columns, np.zeros(0, dtype=np.int64)
    order = np.lexsort(columns[::-1])
    sorted_columns = [column[order] for column in columns]
    boundary = np.ones(order.shape[0], dtype=bool)
    boundary[1:] = np.any([column[1:] != column[:-1] for column in sorted_columns], axis=0)
    inverse = np.empty(order.shape[0], dtype=np.int64)
    inverse[order] = np.cumsum(boundary) - 1
    return tuple(column[boundary] for column in sorted_columns), inverse


# --------------------------------------------------------------------------- holdout check

_GROUP_LABELS = ("0", "1", "2", "3", "4", "5", "6", "7+")


def calibration_holdout(
    customer_index: ArrayLike,
    day: ArrayLike,
    value: ArrayLike,
    *,
    n_customers: int,
    calibration_end: int,
    holdout_end: int,
    unit_days: float = 1.0,
) -> Calibration:
    """Fit BG/NBD on purchases up to `calibration_end` and compare its forecast with the holdout.

    Actual holdout purchases are distinct purchase days in (calibration_end, holdout_end] of
    customers who bought in the calibration period; customers first seen later are left out.
    """
    if not holdout_end > calibration_end:
        raise ValueError(f"holdout_end ({holdout_end}) must be after calibration_end ({calibration_end})")
    customers, days, values = _transaction_arrays(customer_index, day, value, n_customers=n_customers)
    calibration = summarise(
        customers, days, values, n_customers=n_customers, observation_end=calibration_end, unit_days=unit_days
    ).purchasers()
    params = fit_bgnbd(calibration.frequency, calibration.recency, calibration.T)

    in_holdout = (days > calibration_end) & (days <= holdout_end)
    pair_customer, _ = _purchase_days(customers[in_holdout], days[in_holdout])
    actual = np.bincount(pair_customer, minlength=n_customers)[calibration.customer_index].astype(np.float64)
    holdout_length = (holdout_end - calibration_end) / unit_days
    predicted = conditional_expected_purchases(
        params, holdout_length, calibration.frequency, calibration.recency, calibration.T
    )
    group = np.minimum(calibration.frequency, len(_GROUP_LABELS) - 1).astype(np.int64)
    size = np.bincount(group, minlength=len(_GROUP_LABELS))
    actual_sum = np.bincount(group, weights=actual, minlength=len(_GROUP_LABELS))
    predicted_sum = np.bincount(group, weights=predicted, minlength=len(_GROUP_LABELS))
    rows = tuple(
        CalibrationRow(
            label=label,
            customers=int(size[k]),
            mean_actual=float(actual_sum[k] / size[k]) if size[k] else float("nan"),
            mean_predicted=float(predicted_sum[k] / size[k]) if size[k] else float("nan"),
        )
        for k, label in enumerate(_GROUP_LABELS)
    )
    return Calibration(
        rows=rows,
        customers=calibration.n_customers,
        total_actual=float(actual.sum()),
        total_predicted=float(predicted.sum()),
        params=params,
        holdout_length=holdout_length,
    )


__all__ = [
    "CORRELATION_WARNING",
    "MIN_BGNBD_CUSTOMERS",
    "MIN_BGNBD_REPEAT_CUSTOMERS",
    "MIN_GAMMA_GAMMA_CUSTOMERS",
    "BgNbdParams",
    "Calibration",
    "CalibrationRow",
    "GammaGammaParams",
    "IndependenceCheck",
    "InsufficientData",
    "Summary",
    "calibration_holdout",
    "conditional_expected_purchases",
    "expected_average_value",
    "expected_purchases",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "frequency_monetary_correlation",
    "predicted_clv",
    "probability_alive",
    "simulate_bgnbd",
    "summarise",
]
