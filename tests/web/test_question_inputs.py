"""Questions in the order forms: each answer type gets a fitting input, and a deactivated question
is no longer asked of new tickets while an answer given before stays on the ticket."""
from __future__ import annotations

import re

from sqlalchemy import select

from backoffice.domain.models import Answer, Order, Question
from backoffice.extensions import db
from tests import factories

NEW = "/demo/events/conf/orders/new"


def question(world, identifier: str, text: str, kind: str, *, active: bool = True, required: bool = False):
    q = Question(event_id=world.event.id, identifier=identifier, question=text, type=kind, active=active,
                 required=required)
    db.session.add(q)
    q.items = [world.ticket]
    return q


def field(page: str, name: str) -> str:
    match = re.search(rf'<(input|select)[^>]*name="{re.escape(name)}"[^>]*>', page)
    assert match, f"no field {name}"
    return match.group(0)


def test_the_new_order_form_fits_each_answer_type_and_skips_deactivated_questions(staff, world):
    email = question(world, "mail", "Work email", "EM")
    phone = question(world, "tel", "Mobile", "TEL")
    country = question(world, "cc", "Country of residence", "CC")
    old = question(world, "old", "Parking needed?", "S", active=False, required=True)
    db.session.commit()
    key = f"t{world.ticket.id}_1"
    page = staff.post(NEW, {"refresh": "tickets", f"qty_{world.ticket.id}": "1"}, htmx=True).get_data(as_text=True)
    assert "type=email" in field(page, f"{key}-answer_{email.id}")
    assert "type=tel" in field(page, f"{key}-answer_{phone.id}")
    assert field(page, f"{key}-answer_{country.id}").startswith("<select")
    assert '<option value="DE" >Germany</option>' in page or '<option value="DE">Germany</option>' in page
    assert "Parking needed?" not in page and f"answer_{old.id}" not in page

    # and the order is created without an answer to the deactivated (still "required") question
    response = staff.post(NEW, {f"qty_{world.ticket.id}": "1", "status": "n", "email": "b@example.org",
                                "locale": "en", f"{key}-answer_{country.id}": "AT"})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    db.session.expire_all()
    order = db.session.scalars(select(Order)).one()
    assert [(a.question_id, a.answer) for a in order.positions[0].answers] == [(country.id, "AT")]


def test_the_ticket_form_keeps_an_answer_to_a_deactivated_question_and_hides_unanswered_ones(staff, world):
    answered = question(world, "park", "Parking needed?", "S", active=False)
    unanswered = question(world, "bus", "Shuttle bus?", "S", active=False)
    order = factories.order(world.event, [world.ticket])
    db.session.add(Answer(position=order.positions[0], question=answered, answer="Yes, one car"))
    db.session.commit()
    page = staff.get(f"/demo/events/conf/orders/{order.code}/").get_data(as_text=True)
    assert "Parking needed?" in page and 'value="Yes, one car"' in page
    assert "Shuttle bus?" not in page and f"answer_{unanswered.id}" not in page
