from django.apps import AppConfig


class CommerceConfig(AppConfig):
    name = "kunde.commerce"
    label = "commerce"
    verbose_name = "Products, quotes and orders"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from kunde.core import extensions

        extensions.register_history_kind("commerce.order_created", _("Order"))
        extensions.register_nav(extensions.NavItem("commerce.orders", _("Orders"), "commerce:order_list", order=40,
                                                        group="sales"))
        extensions.register_customer_panel(extensions.CustomerPanel(
            key="commerce_orders", template="commerce/_customer_panel.html", context=_panel, order=30))


def _panel(user, customer):  # type: ignore[no-untyped-def]
    from kunde.commerce.selectors import customer_orders

    summary = customer_orders(user, customer)
    return summary if summary["count"] or summary["orders"] else None
