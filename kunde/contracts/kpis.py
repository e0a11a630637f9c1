"""Labels and one-sentence definitions of the contract KPIs on the analytics dashboard.

The strings live here so that the contracts catalog translates them; `analytics.kpis`
turns them into KPI rows, formed from `selectors.kpi_components`.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

LABELS = {
    "mrr": (_("MRR (contracts)"), _("Monthly recurring revenue of the contracts at the end of the period: "
                                    "quarterly amounts ÷ 3, yearly ÷ 12, paused contracts 0.")),
    "arr": (_("ARR (contracts)"), _("Annual recurring revenue: the MRR at the end of the period × 12.")),
    "contract_churn_rate": (_("Contract churn rate"), _(
        "Contracts that ended in the period divided by the contracts running at its start.")),
    "revenue_churn_rate": (_("Revenue churn rate"), _(
        "MRR lost in the period to ended contracts, downgrades and pauses divided by the MRR at its start "
        "(upgrades and resumes not netted).")),
}
