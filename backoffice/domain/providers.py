"""Payment providers known to the back office; an event enables some of them."""
from dataclasses import dataclass

from ..i18n import N_


@dataclass(frozen=True)
class PaymentProvider:
    identifier: str
    name: str
    can_refund: bool


PROVIDERS: dict[str, PaymentProvider] = {
    p.identifier: p for p in [
        # names in English, marked for the catalogue: pages translate them (i18n.translated)
        PaymentProvider("manual", N_("Manual payment"), can_refund=True),
        PaymentProvider("banktransfer", N_("Bank transfer"), can_refund=True),
        PaymentProvider("boxoffice", N_("Box office"), can_refund=True),
        PaymentProvider("free", N_("Free order"), can_refund=False),
    ]
}

MANUAL = "manual"
FREE = "free"


def get_provider(identifier: str) -> PaymentProvider | None:
    return PROVIDERS.get(identifier)


def provider_name(identifier: str) -> str:
    provider = PROVIDERS.get(identifier)
    return provider.name if provider else identifier
