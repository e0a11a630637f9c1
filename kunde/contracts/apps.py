from django.apps import AppConfig


class ContractsConfig(AppConfig):
    name = "kunde.contracts"
    label = "contracts"
    verbose_name = "Contracts"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from kunde.core import extensions
        from kunde.retention.causes import BindingCause, CauseSource, register_cause_source

        for kind, label in (
            ("contracts.contract_created", _("Contract created")),
            ("contracts.contract_upgraded", _("Contract upgraded")),
            ("contracts.contract_downgraded", _("Contract downgraded")),
            ("contracts.contract_paused", _("Contract paused")),
            ("contracts.contract_resumed", _("Contract resumed")),
            ("contracts.contract_cancelled", _("Contract cancelled")),
            ("contracts.contract_renewed", _("Contract renewed")),
            ("contracts.contract_ended", _("Contract ended")),
        ):
            extensions.register_history_kind(kind, label)
        extensions.register_nav(extensions.NavItem("contracts.contracts", _("Contracts"), "contracts:contract_list",
                                                   order=45, group="sales"))
        extensions.register_nav(extensions.NavItem("contracts.expiring", _("Expiring contracts"),
                                                   "contracts:expiring", order=46, group="sales"))
        extensions.register_admin_section(extensions.NavItem("contracts.plans", _("Subscription plans"),
                                                             "contracts:plan_admin", order=60))
        extensions.register_customer_panel(extensions.CustomerPanel(
            key="contracts_contracts", template="contracts/_customer_panel.html", context=_panel, order=32))
        register_cause_source(CauseSource(
            key="contracts.active_contract", cause=BindingCause.CONTRACTUAL, label=_("Active contract"),
            people=_bound_people, organisations=_bound_organisations))


def _bound(field: str):  # type: ignore[no-untyped-def]
    from kunde.contracts.models import Contract, ContractStatus

    # Active or paused: a cancelled contract runs out and no longer binds the customer beyond it.
    return Contract.objects.filter(status__in=(ContractStatus.ACTIVE, ContractStatus.PAUSED),
                                   **{f"{field}__isnull": False}).values(f"{field}_id")


def _bound_people():  # type: ignore[no-untyped-def]
    return _bound("person")


def _bound_organisations():  # type: ignore[no-untyped-def]
    return _bound("organisation")


def _panel(user, customer):  # type: ignore[no-untyped-def]
    from kunde.contracts.selectors import customer_contracts

    return customer_contracts(user, customer)
