"""Questions and their options without HTTP, and how answers of the new types (email, phone,
country) are checked when a ticket's attendee is edited."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from backoffice.domain import position_fields, questions
from backoffice.domain.audit import Actor, history
from backoffice.domain.errors import Conflict, Invalid
from backoffice.domain.models import Answer, Event, Question, QuestionOption
from backoffice.extensions import db
from tests import factories


@pytest.fixture
def actor(world):
    return Actor(user=world.admin)


def make(world, actor, **fields) -> Question:
    values = dict(question_text="Your diet?", identifier="", type="S", required="", active="on",
                  items=[str(world.ticket.id)])
    values.update(fields)
    question = questions.create_question(world.event, actor=actor, **values)
    db.session.commit()
    return question


def test_question_gets_a_generated_identifier_and_is_logged(world, actor):
    question = make(world, actor)
    assert len(question.identifier) == 8 and question.identifier.isalnum()
    assert [i.id for i in question.items] == [world.ticket.id]
    assert history(world.event)[0].action_type == "question.created"


def test_identifier_is_unique_per_event_and_checked(world, actor):
    make(world, actor, identifier="diet")
    with pytest.raises(Invalid, match="Another question of this event has the identifier 'DIET'"):
        make(world, actor, identifier="DIET")
    db.session.rollback()
    with pytest.raises(Invalid, match="only letters"):
        make(world, actor, identifier="<script>")
    db.session.rollback()
    other_event = factories.event(world.organizer)
    db.session.commit()
    other = questions.create_question(other_event, actor=actor, question_text="Diet", identifier="diet")
    assert other.identifier == "diet"


def test_unknown_type_and_other_events_items_are_refused(world, actor):
    other = factories.item(factories.event(world.organizer))
    db.session.commit()
    with pytest.raises(Invalid) as e:
        make(world, actor, type="X", items=[str(other.id)], question_text="")
    assert set(e.value.errors) == {"type", "items", "question"}


def test_answered_question_cannot_be_deleted_nor_change_type_only_deactivated(world, actor):
    question = make(world, actor, type="S")
    order = factories.order(world.event, [world.ticket])
    db.session.add(Answer(position=order.positions[0], question=question, answer="vegan"))
    db.session.commit()
    with pytest.raises(Invalid, match="1 order answered it. Deactivate it instead"):
        questions.delete_question(question, actor=actor)
    db.session.rollback()
    with pytest.raises(Invalid, match="kind of answer cannot change"):
        questions.update_question(question, actor=actor, seen=questions.version(question), question_text="Diet?",
                                  identifier=question.identifier, type="N", items=[str(world.ticket.id)])
    db.session.rollback()
    assert questions.set_active(question, actor=actor, active=False)
    db.session.commit()
    assert db.session.get(Question, question.id).active is False
    assert history(world.event)[0].action_type == "question.deactivated"


def test_unanswered_question_is_deleted_with_its_options(world, actor):
    question = make(world, actor, type="C")
    questions.add_option(question, actor=actor, answer="Vegan")
    db.session.commit()
    questions.delete_question(question, actor=actor)
    db.session.commit()
    assert db.session.scalars(select(Question)).all() == []
    assert db.session.scalars(select(QuestionOption)).all() == []


def test_options_are_added_renamed_and_removed_unless_chosen(world, actor):
    question = make(world, actor, type="M")
    vegan = questions.add_option(question, actor=actor, answer="Vegan", identifier="vegan")
    meat = questions.add_option(question, actor=actor, answer="Meat")
    db.session.commit()
    with pytest.raises(Invalid, match="identifier 'VEGAN'"):
        questions.add_option(question, actor=actor, answer="Vegan 2", identifier="VEGAN")
    db.session.rollback()
    order = factories.order(world.event, [world.ticket])
    db.session.add(Answer(position=order.positions[0], question=question, answer="Vegan", options=[vegan]))
    db.session.commit()
    with pytest.raises(Invalid, match="1 answer chose it"):
        questions.remove_option(vegan, actor=actor)
    db.session.rollback()
    questions.update_option(vegan, actor=actor, seen=questions.option_version(vegan), answer="Plant-based")
    questions.remove_option(meat, actor=actor)
    db.session.commit()
    assert [o.answer for o in db.session.get(Question, question.id).options] == ["Plant-based"]
    assert [e.action_type for e in history(world.event)][:2] == ["question.option_removed", "question.option_changed"]


def test_options_only_for_choice_questions(world, actor):
    question = make(world, actor, type="S")
    with pytest.raises(Invalid, match="Only questions with one or several choices"):
        questions.add_option(question, actor=actor, answer="Vegan")


def test_stale_question_edit_is_refused(world, actor):
    question = make(world, actor)
    seen = questions.version(question)
    questions.update_question(question, actor=actor, seen=seen, question_text="New text",
                              identifier=question.identifier, items=[])
    db.session.commit()
    with pytest.raises(Conflict):
        questions.update_question(question, actor=actor, seen=seen, question_text="Mine",
                                  identifier=question.identifier, items=[])


def test_attendee_fields_are_toggled_with_a_stale_check(world, actor):
    seen = questions.attendee_version(world.event)
    changed = questions.update_attendee_fields(world.event, actor=actor, seen=seen, attendee_names_required="on",
                                               attendee_emails_required="")
    db.session.commit()
    assert changed == ["attendee_names_required"]
    assert db.session.get(Event, world.event.id).attendee_names_required is True
    assert history(world.event)[0].action_type == "event.attendee_fields_changed"
    with pytest.raises(Conflict):
        questions.update_attendee_fields(world.event, actor=actor, seen=seen, attendee_names_required="",
                                         attendee_emails_required="on")


# --- answers of the new types ---------------------------------------------------------------------

@pytest.mark.parametrize("type_,given,stored", [
    ("EM", " Anna@Example.org ", "Anna@example.org"),
    ("TEL", "030 1234567", "+49301234567"),
    ("TEL", "+44 20 7946 0958", "+442079460958"),
    ("CC", "de", "DE"),
])
def test_answers_of_email_phone_and_country_are_normalised(world, actor, type_, given, stored):
    question = make(world, actor, type=type_, required="on")
    order = factories.order(world.event, [world.ticket])
    db.session.commit()
    position_fields.update_position(order.positions[0], actor=actor,
                                    answers=[{"question": question.id, "answer": given}])
    db.session.commit()
    assert db.session.scalars(select(Answer.answer)).one() == stored


@pytest.mark.parametrize("type_,given,message", [
    ("EM", "not-an-email", "must be an email address"),
    ("TEL", "12", "is not a valid phone number"),
    ("CC", "XX", "is not a country code"),
    ("CC", "Germany", "is not a country code"),
])
def test_bad_answers_of_email_phone_and_country_are_refused(world, actor, type_, given, message):
    question = make(world, actor, type=type_)
    order = factories.order(world.event, [world.ticket])
    db.session.commit()
    with pytest.raises(Invalid) as e:
        position_fields.update_position(order.positions[0], actor=actor,
                                        answers=[{"question": question.id, "answer": given}])
    assert message in e.value.errors[f"answer_{question.id}"]
    db.session.rollback()
    assert db.session.scalars(select(Answer)).all() == []


def test_a_deactivated_required_question_is_no_longer_required(world, actor):
    question = make(world, actor, required="on")
    order = factories.order(world.event, [world.ticket])
    db.session.commit()
    with pytest.raises(Invalid, match="is required"):
        position_fields.update_position(order.positions[0], actor=actor, answers=[])
    db.session.rollback()
    questions.set_active(question, actor=actor, active=False)
    db.session.commit()
    position_fields.update_position(order.positions[0], actor=actor, answers=[], company="Acme")
    db.session.commit()
    assert db.session.scalars(select(Answer)).all() == [] and order.positions[0].company == "Acme"
