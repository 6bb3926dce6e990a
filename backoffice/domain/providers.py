"""Payment providers known to the back office; an event enables some of them."""
from dataclasses import dataclass


@dataclass(frozen=True)
class PaymentProvider:
    identifier: str
    name: str
    can_refund: bool


PROVIDERS: dict[str, PaymentProvider] = {
    p.identifier: p for p in [
        PaymentProvider("manual", "Manual payment", can_refund=True),
        PaymentProvider("banktransfer", "Bank transfer", can_refund=True),
        PaymentProvider("boxoffice", "Box office", can_refund=True),
        PaymentProvider("free", "Free order", can_refund=False),
    ]
}

MANUAL = "manual"
FREE = "free"


def get_provider(identifier: str) -> PaymentProvider | None:
    return PROVIDERS.get(identifier)


def provider_name(identifier: str) -> str:
    provider = PROVIDERS.get(identifier)
    return provider.name if provider else identifier
