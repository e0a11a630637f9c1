"""What sales plugs into the shared pages: navigation, admin tab, the 360° panel."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from kunde.core import extensions


def _open_deals_panel(user: Any, customer: Any) -> dict[str, Any] | None:
    from kunde.sales.views import customer_panel_context  # imported late: no views at app loading

    return customer_panel_context(user, customer)


def register() -> None:
    extensions.register_nav(extensions.NavItem("sales_leads", _("Leads"), "sales:lead_list", order=30,
                                                       group="sales"))
    extensions.register_nav(extensions.NavItem("sales_deals", _("Deals"), "sales:board_default", order=31,
                                                       group="sales"))
    extensions.register_nav(extensions.NavItem("sales_dashboard", _("Sales figures"), "sales:dashboard", order=32,
                                                       group="sales"))
    extensions.register_admin_section(extensions.NavItem("sales_settings", _("Sales"), "sales:settings", order=30))
    extensions.register_customer_panel(extensions.CustomerPanel(
        key="sales_open_deals", template="sales/_customer_panel.html", context=_open_deals_panel,
        order=20, column="side",
    ))
