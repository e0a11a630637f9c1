"""The churn classifier's features of a customer at a cutoff, worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import polars as pl

from kunde.analytics.refresh import CHURN_FEATURES, Data, churn_features


def frame(rows, schema):
    return pl.DataFrame(rows, schema=schema, orient="row")


def test_features_at_a_cutoff_count_only_what_happened_before_it():
    cutoff = 1000
    data = Data(
        today=cutoff, customers=frame([(1, 0), (2, 1)], {"key": pl.Int64, "idx": pl.Int64}),
        orders=frame([(0, 500, 10.0, 0.0), (0, 900, 20.0, 0.0), (0, 950, -5.0, 0.0), (0, 1100, 30.0, 0.0),
                      (1, 100, 15.0, 0.0)], {"idx": pl.Int64, "day": pl.Int64, "amount": pl.Float64,
                                              "discount": pl.Float64}),
        contacts=frame([(0, 800, 2, 10), (0, 960, 4, 5), (0, 990, None, 5), (0, 1001, 1, 5)],
                       {"idx": pl.Int64, "day": pl.Int64, "mood": pl.Int64, "minutes": pl.Int64}),
        tickets=frame([(0, 990, None, None, None), (0, 900, 950, 5, 950), (1, 10, None, None, None)],
                      {"idx": pl.Int64, "opened": pl.Int64, "solved": pl.Int64, "csat": pl.Int64,
                       "csat_day": pl.Int64}),
        nps=frame([(0, 700, 3), (0, 980, 9), (0, 1005, 0)], {"idx": pl.Int64, "day": pl.Int64, "score": pl.Int64}),
        campaign_costs=frame([], {"idx": pl.Int64, "day": pl.Int64, "amount": pl.Float64}),
        other_costs=frame([], {"group": pl.Int64, "day": pl.Int64, "amount": pl.Float64}),
        stage_changes=frame([], {"idx": pl.Int64, "day": pl.Int64, "stage": pl.Int64}),
        pairs=[(None, None)], stored=frame([], {"key": pl.Int64, "churn": pl.Float64, "segment": pl.Utf8}),
    )
    features = dict(zip(CHURN_FEATURES, churn_features(data, cutoff, np.array([0, 1])).T, strict=True))

    # Customer 0: purchases on days 500 and 900 count (the return on 950 and day 1100 do not).
    assert features["days_since_last_order"].tolist() == [100, 900]
    assert features["orders_last_365_days"].tolist() == [1, 0]  # day 500 is more than a year before
    assert features["customer_age_days"].tolist() == [500, 900]
    # Contacts up to the cutoff: days 800, 960, 990; the mood of the last 90 days (4) minus before (2).
    assert features["days_since_last_contact"][0] == 10 and math.isnan(features["days_since_last_contact"][1])
    assert features["contacts_last_90_days"].tolist() == [2, 0]
    assert features["mood_trend"][0] == 2 and math.isnan(features["mood_trend"][1])
    # Open at the cutoff: customer 0's ticket of day 990 (the other was solved on 950); customer 1's old one.
    assert features["open_tickets"].tolist() == [1, 1]
    assert features["last_nps"][0] == 9 and math.isnan(features["last_nps"][1])
