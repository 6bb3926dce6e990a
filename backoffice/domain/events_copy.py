"""Copying what an event sells into a new event: tax rules, items with their variations and
add-on links, the dates of a series, quotas, questions with their options.

Orders, vouchers, seats and check-in lists stay with the source: they belong to the people
and the plan of that event. The new event's own settings come from its form (the form of a
copy starts with the source's settings).
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from .models import (Event, Item, ItemVariation, Question, QuestionOption, Quota, SubEvent, TaxRule)


def copy_products(source: Event, target: Event) -> dict[str, int]:
    """Copies into `target` (flushed); returns how many of each kind were copied."""
    taxes = _copy_tax_rules(source, target)
    items, variations = _copy_items(source, target, taxes)
    subevents = _copy_subevents(source, target) if target.has_subevents else {}
    quotas = _copy_quotas(source, target, items, variations, subevents)
    questions = _copy_questions(source, target, items)
    db.session.flush()
    return {"tax_rules": len(taxes), "items": len(items), "variations": len(variations),
            "dates": len(subevents), "quotas": quotas, "questions": questions}


def _copy_tax_rules(source: Event, target: Event) -> dict[int, TaxRule]:
    copies = {}
    for rule in db.session.scalars(select(TaxRule).where(TaxRule.event_id == source.id).order_by(TaxRule.id)):
        copies[rule.id] = TaxRule(event_id=target.id, name=rule.name, rate=rule.rate,
                                  price_includes_tax=rule.price_includes_tax)
        db.session.add(copies[rule.id])
    return copies


def _copy_items(source: Event, target: Event, taxes: dict[int, TaxRule]):
    stmt = (select(Item).where(Item.event_id == source.id).order_by(Item.position, Item.id)
            .options(selectinload(Item.variations)))
    originals = list(db.session.scalars(stmt))
    items: dict[int, Item] = {}
    variations: dict[int, ItemVariation] = {}
    for item in originals:
        copy = Item(event_id=target.id, name=item.name, default_price=item.default_price,
                    tax_rule=taxes.get(item.tax_rule_id), admission=item.admission,
                    requires_seat=item.requires_seat, is_addon=item.is_addon, active=item.active,
                    position=item.position, validity_fixed_from=item.validity_fixed_from,
                    validity_fixed_until=item.validity_fixed_until,
                    validity_dynamic_days=item.validity_dynamic_days)
        db.session.add(copy)
        items[item.id] = copy
        for variation in item.variations:
            variations[variation.id] = ItemVariation(item=copy, value=variation.value,
                                                     default_price=variation.default_price,
                                                     active=variation.active, position=variation.position)
            db.session.add(variations[variation.id])
    for item in originals:
        if item.addon_of_id is not None and item.addon_of_id in items:
            items[item.id].addon_of = items[item.addon_of_id]
    return items, variations


def _copy_subevents(source: Event, target: Event) -> dict[int, SubEvent]:
    copies = {}
    stmt = select(SubEvent).where(SubEvent.event_id == source.id).order_by(SubEvent.date_from, SubEvent.id)
    for subevent in db.session.scalars(stmt):
        copies[subevent.id] = SubEvent(event_id=target.id, name=subevent.name, date_from=subevent.date_from,
                                       date_to=subevent.date_to, active=subevent.active)
        db.session.add(copies[subevent.id])
    return copies


def _copy_quotas(source: Event, target: Event, items, variations, subevents) -> int:
    stmt = (select(Quota).where(Quota.event_id == source.id).order_by(Quota.id)
            .options(selectinload(Quota.items), selectinload(Quota.variations)))
    count = 0
    for quota in db.session.scalars(stmt):
        if quota.subevent_id is not None and quota.subevent_id not in subevents:
            continue  # a quota of a date that the copy does not have
        copy = Quota(event_id=target.id, name=quota.name, size=quota.size,
                     subevent=subevents.get(quota.subevent_id) if quota.subevent_id else None)
        copy.items = [items[i.id] for i in quota.items if i.id in items]
        copy.variations = [variations[v.id] for v in quota.variations if v.id in variations]
        db.session.add(copy)
        count += 1
    return count


def _copy_questions(source: Event, target: Event, items) -> int:
    stmt = (select(Question).where(Question.event_id == source.id).order_by(Question.position, Question.id)
            .options(selectinload(Question.options), selectinload(Question.items)))
    count = 0
    for question in db.session.scalars(stmt):
        copy = Question(event_id=target.id, identifier=question.identifier, question=question.question,
                        type=question.type, required=question.required, position=question.position,
                        active=question.active)
        copy.items = [items[i.id] for i in question.items if i.id in items]
        copy.options = [QuestionOption(identifier=o.identifier, answer=o.answer, position=o.position)
                        for o in question.options]
        db.session.add(copy)
        count += 1
    return count
