"""Sales test fixtures: the default pipeline and lost reasons (flushed away by transactional tests)."""

from __future__ import annotations

import pytest

from kunde.sales.defaults import ensure_sales_defaults
from kunde.sales.models import LostReason, Pipeline, Stage


@pytest.fixture
def sales(world):
    ensure_sales_defaults()
    pipeline = Pipeline.objects.get(is_default=True)
    stages = list(Stage.objects.filter(pipeline=pipeline).order_by("position"))
    return type(
        "Sales",
        (),
        {
            "pipeline": pipeline,
            "stages": stages,
            "open": [s for s in stages if s.kind == "open"],
            "won": next(s for s in stages if s.kind == "won"),
            "lost": next(s for s in stages if s.kind == "lost"),
            "reason": LostReason.objects.get(key="price"),
        },
    )
