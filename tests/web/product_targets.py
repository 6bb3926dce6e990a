"""The product pages' objects for the hostile-input walk: one of each kind in the walked event,
the ids its routes need, and the pages whose forms post to them."""
from __future__ import annotations

from sqlalchemy import select

from backoffice.domain.models import (Event, Item, ItemVariation, Question, QuestionOption, Quota, Seat, TaxRule)
from backoffice.extensions import db
from tests import factories


def make_product_targets(event: Event, item: Item) -> None:
    """A tax rule, a choice question with an option, and a seat, beside the item and quota."""
    db.session.add(TaxRule(event_id=event.id, name="VAT", rate=19))
    question = Question(event_id=event.id, identifier="meal", question="Meal?", type="C")
    question.items = [item]
    db.session.add(question)
    db.session.add(QuestionOption(question=question, identifier="vegan", answer="Vegan"))
    factories.seat(event, "A1")
    db.session.flush()


def _first(model, *where) -> str:
    value = db.session.scalar(select(model.id).where(*where).order_by(model.id).limit(1))
    return str(value or 1)


def product_values(site) -> dict:
    """The ids the product routes of the walked event take (looked up once per site)."""
    cached = getattr(site, "_product_values", None)
    if cached is None:
        event_id = site.event.id
        cached = dict(
            item_id=str(site.item.id),
            variation_id=_first(ItemVariation, ItemVariation.item_id == site.item.id),
            rule_id=_first(TaxRule, TaxRule.event_id == event_id),
            quota_id=_first(Quota, Quota.event_id == event_id),
            question_id=_first(Question, Question.event_id == event_id),
            option_id=_first(QuestionOption, QuestionOption.question_id.in_(
                select(Question.id).where(Question.event_id == event_id))),
            seat_id=_first(Seat, Seat.event_id == event_id))
        site._product_values = cached
    return cached


def product_pages(site) -> list[str]:
    values = product_values(site)
    base = f"/{site.organizer.slug}/events/{site.event.slug}"
    return [f"{base}/products/", f"{base}/products/new", f"{base}/products/{values['item_id']}/",
            f"{base}/tax-rules/", f"{base}/tax-rules/{values['rule_id']}/", f"{base}/quotas/", f"{base}/quotas/new",
            f"{base}/quotas/{values['quota_id']}/", f"{base}/questions/", f"{base}/questions/new",
            f"{base}/questions/{values['question_id']}/", f"{base}/seats/", f"{base}/seats/import"]


def product_seen(endpoint: str, site) -> str | None:
    """The version a product form shows now (its `seen`), so that each walked value meets the
    field checks instead of a stale refusal after an earlier value was accepted."""
    from backoffice.domain import item_variations, items, questions, quotas, tax_rules
    db.session.expire_all()
    values = product_values(site)
    lookups = {
        "products.item_edit": (Item, "item_id", items.version),
        "products.variation_edit": (ItemVariation, "variation_id", item_variations.version),
        "products.tax_rule_edit": (TaxRule, "rule_id", tax_rules.version),
        "products.quota_edit": (Quota, "quota_id", quotas.version),
        "products.question_edit": (Question, "question_id", questions.version),
        "products.option_edit": (QuestionOption, "option_id", questions.option_version),
    }
    if endpoint == "products.attendee_fields":
        return questions.attendee_version(db.session.get(Event, site.event.id))
    if endpoint not in lookups:
        return None
    model, key, version = lookups[endpoint]
    obj = db.session.get(model, int(values[key]))
    return version(obj) if obj is not None else None
