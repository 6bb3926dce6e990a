"""The customer rules, without HTTP."""
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from backoffice.domain import customers
from backoffice.domain.audit import Actor, history
from backoffice.domain.errors import Conflict, Invalid, NotFound
from backoffice.domain.models import Customer, CustomerTag, LogEntry, Order, OutboxEmail, OutboxStatus
from backoffice.domain.passwords import UNUSABLE
from backoffice.extensions import db
from tests import factories

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def actor(world):
    return Actor(user=world.admin)


def create(world, actor, **kw):
    kw.setdefault("email", "anna@example.org")
    return customers.create_customer(organizer=world.organizer, actor=actor, now=NOW, **kw)


# --- create ------------------------------------------------------------------------------------

def test_create_fills_fields_and_derives_the_name(world, actor):
    c = create(world, actor, phone="+49 30 1234567", name_parts={"full_name": " Anna Example "},
               locale="de", company="ACME", country="de", date_of_birth=date(1990, 5, 17), notes="VIP",
               marketing_consent=True, tags=["vip", "press", "VIP"])
    assert len(c.identifier) == 7 and c.identifier.isupper()
    assert c.email == "anna@example.org"
    assert c.phone == "+49301234567"
    assert c.name_parts == {"_scheme": "full", "full_name": "Anna Example"}
    assert c.name == "Anna Example"
    assert c.locale == "de" and c.country == "DE"
    assert c.is_active and not c.is_verified
    assert c.date_joined == NOW == c.last_modified
    assert c.marketing_consent is True and c.marketing_opted_in_at == NOW
    assert c.tags == ["press", "vip"]  # the duplicate differing in case is dropped
    assert c.password_hash is None


def test_create_uses_the_organizers_first_locale_by_default(world, actor):
    world.organizer.locales = ["de", "en"]
    assert create(world, actor).locale == "de"


def test_create_requires_an_email(world, actor):
    with pytest.raises(Invalid) as e:
        create(world, actor, email="  ")
    assert e.value.field == "email"


@pytest.mark.parametrize("email", ["not-an-email", "anna@", "@example.org", "a" * 250 + "@example.org"])
def test_create_refuses_malformed_email(world, actor, email):
    with pytest.raises(Invalid) as e:
        create(world, actor, email=email)
    assert e.value.field == "email"


def test_email_is_unique_per_organizer_ignoring_case(world, actor):
    create(world, actor, email="anna@example.org")
    with pytest.raises(Invalid) as e:  # the seeds answer 400: the input is wrong, not the timing
        create(world, actor, email="ANNA@Example.org")
    assert "already uses" in e.value.message and e.value.field == "email"
    assert e.value.kind == "invalid" and e.value.status == 400


def test_same_email_is_fine_at_another_organizer(world, actor):
    create(world, actor, email="anna@example.org")
    other = factories.organizer()
    c = customers.create_customer(organizer=other, actor=actor, email="anna@example.org")
    assert c.organizer_id == other.id


@pytest.mark.parametrize("phone", ["12345", "+49 0", "call me", "+1 555 0100 999 999 999"])
def test_create_refuses_malformed_phone(world, actor, phone):
    with pytest.raises(Invalid) as e:
        create(world, actor, phone=phone)
    assert e.value.field == "phone"


def test_phone_with_00_prefix_is_normalized(world, actor):
    assert create(world, actor, phone="0044 7912 345678").phone == "+447912345678"


def test_unknown_locale_is_refused(world, actor):
    with pytest.raises(Invalid) as e:
        create(world, actor, locale="xx")
    assert e.value.field == "locale"


def test_huge_name_is_refused(world, actor):
    with pytest.raises(Invalid) as e:
        create(world, actor, name_parts={"full_name": "x" * 10_000})
    assert e.value.field == "name_parts"
    assert db.session.scalar(select(Customer).where(Customer.email == "anna@example.org")) is None


def test_derived_name_longer_than_the_column_is_refused(world, actor):
    world.organizer.name_scheme = "given_family"
    with pytest.raises(Invalid) as e:
        create(world, actor, name_parts={"given_name": "x" * 200, "family_name": "y" * 200})
    assert "255" in e.value.message


def test_given_family_scheme(world, actor):
    world.organizer.name_scheme = "given_family"
    c = create(world, actor, name_parts={"given_name": "Anna", "family_name": "Example"})
    assert c.name_parts == {"_scheme": "given_family", "given_name": "Anna", "family_name": "Example"}
    assert c.name == "Anna Example"
    with pytest.raises(Invalid):
        create(world, actor, email="b@example.org", name_parts={"full_name": "Anna"})


@pytest.mark.parametrize("field,value", [("notes", "x" * 10_001), ("company", "x" * 256), ("zipcode", "1" * 31),
                                         ("country", "Germany"), ("date_of_birth", date(2999, 1, 1)),
                                         ("date_of_birth", "yesterday"), ("is_verified", "yes")])
def test_bad_field_values_are_refused_with_their_field(world, actor, field, value):
    with pytest.raises(Invalid) as e:
        create(world, actor, **{field: value})
    assert e.value.field == field


def test_script_tags_are_stored_as_text(world, actor):
    c = create(world, actor, name_parts={"full_name": "<script>alert(1)</script>"}, notes="<b>x</b>")
    assert c.name == "<script>alert(1)</script>"


def test_password_is_hashed_and_verifies(world, actor):
    c = create(world, actor, password="s3cret-enough")
    assert c.password_hash != "s3cret-enough"
    assert customers.check_password(c, "s3cret-enough")
    assert not customers.check_password(c, "wrong")
    entry = history(c)[0]
    assert "s3cret-enough" not in str(entry.data)


def test_short_password_is_refused(world, actor):
    with pytest.raises(Invalid) as e:
        create(world, actor, password="short")
    assert e.value.field == "password"


def test_create_writes_an_audit_entry(world, actor):
    c = create(world, actor)
    [entry] = history(c)
    assert entry.action_type == "customer.created"
    assert entry.user_id == world.admin.id
    assert entry.organizer_id == world.organizer.id


def test_create_without_send_email_queues_nothing(world, actor):
    create(world, actor)
    assert db.session.scalar(select(OutboxEmail)) is None


def test_create_with_send_email_queues_the_activation_mail(world, actor):
    c = create(world, actor, send_email=True)
    [mail] = db.session.scalars(select(OutboxEmail)).all()
    assert mail.to == "anna@example.org" and mail.template == "customer_activation"
    assert mail.status == OutboxStatus.KEPT  # no MAIL_SERVER in tests
    assert "http://backoffice.test/demo/account/set-password/" in mail.body
    assert c.password_token_hash and c.password_token_expires == NOW + customers.PASSWORD_LINK_VALID


def test_read_only_fields_cannot_be_set(world, actor):
    for field in ("identifier", "last_login", "date_joined", "name", "last_modified"):
        with pytest.raises(Invalid) as e:
            create(world, actor, **{field: "x"})
        assert "cannot be changed" in e.value.message


# --- update ------------------------------------------------------------------------------------

def test_update_changes_fields_and_logs_old_and_new(world, actor):
    c = create(world, actor, phone="+49301234567")
    later = NOW + timedelta(hours=1)
    changed = customers.update_customer(c, actor=actor, now=later, phone="+44 7912 345678",
                                        name_parts={"full_name": "Anna B"}, notes="new")
    assert set(changed) == {"phone", "name_parts", "notes"}
    assert c.name == "Anna B" and c.last_modified == later
    entry = history(c)[0]
    assert entry.action_type == "customer.changed"
    assert entry.data["changed"]["phone"] == {"old": "+49301234567", "new": "+447912345678"}


def test_update_without_changes_writes_nothing(world, actor):
    c = create(world, actor)
    assert customers.update_customer(c, actor=actor, email="anna@example.org") == {}
    assert len(history(c)) == 1


def test_update_refuses_an_email_of_another_customer(world, actor):
    create(world, actor, email="taken@example.org")
    c = create(world, actor)
    with pytest.raises(Invalid) as e:
        customers.update_customer(c, actor=actor, email="TAKEN@example.org")
    assert e.value.code == "email_taken" and e.value.status == 400


def test_update_keeps_own_email_with_other_case(world, actor):
    c = create(world, actor)
    assert customers.update_customer(c, actor=actor, email="ANNA@example.org")["email"]["new"] == "ANNA@example.org"


def test_update_refuses_read_only_fields(world, actor):
    c = create(world, actor)
    with pytest.raises(Invalid):
        customers.update_customer(c, actor=actor, identifier="AAAAAAA")
    with pytest.raises(Invalid):
        customers.update_customer(c, actor=actor, password="new-password")


def test_consent_changes_stamp_their_dates(world, actor):
    c = create(world, actor)
    customers.update_customer(c, actor=actor, marketing_consent=True, now=NOW)
    later = NOW + timedelta(days=3)
    customers.update_customer(c, actor=actor, marketing_consent=False, now=later)
    assert c.marketing_consent is False
    assert c.marketing_opted_in_at == NOW and c.marketing_opted_out_at == later


# --- active, tags ------------------------------------------------------------------------------

def test_deactivate_and_activate_are_logged(world, actor):
    c = create(world, actor)
    assert customers.set_active(c, active=False, actor=actor)
    assert not c.is_active
    assert not customers.set_active(c, active=False, actor=actor)  # no second entry
    assert customers.set_active(c, active=True, actor=actor)
    assert [e.action_type for e in history(c)][:2] == ["customer.activated", "customer.deactivated"]
    assert len(history(c)) == 3


def test_add_and_remove_tags(world, actor):
    c = create(world, actor)
    assert customers.add_tag(c, tag="  Season   ticket ", actor=actor) == "Season ticket"
    customers.add_tag(c, tag="vip", actor=actor)
    db.session.flush()
    assert c.tags == ["Season ticket", "vip"]
    assert customers.organizer_tags(world.organizer) == ["Season ticket", "vip"]
    customers.remove_tag(c, tag="vip", actor=actor)
    db.session.flush()
    assert c.tags == ["Season ticket"]
    assert [e.action_type for e in history(c)][:3] == ["customer.tag_removed", "customer.tag_added",
                                                       "customer.tag_added"]


@pytest.mark.parametrize("tag,code", [("", "tag_required"), ("x" * 101, "tag_too_long"), ("a,b", "tag_invalid"),
                                      ("VIP", "tag_exists")])
def test_bad_tags_are_refused(world, actor, tag, code):
    c = create(world, actor, tags=["vip"])
    with pytest.raises(Invalid) as e:
        customers.add_tag(c, tag=tag, actor=actor)
    assert e.value.code == code


def test_removing_a_missing_tag_says_so(world, actor):
    c = create(world, actor)
    with pytest.raises(NotFound):
        customers.remove_tag(c, tag="nope", actor=actor)


# --- anonymize ---------------------------------------------------------------------------------

def full_customer(world, actor):
    c = create(world, actor, phone="+49301234567", name_parts={"full_name": "Anna Example"}, notes="likes wine",
               company="ACME", street="Main St 1", address_line2="2nd floor", zipcode="10115", city="Berlin",
               state="BE", country="DE", date_of_birth=date(1990, 1, 2), external_identifier="ext-1",
               marketing_consent=True, tags=["vip"], password="s3cret-enough")
    customers.send_password_link(c, actor=actor, now=NOW)
    return c


def test_anonymize_erases_personal_data_and_keeps_identifier_and_dates(world, actor):
    c = full_customer(world, actor)
    identifier, joined = c.identifier, c.date_joined
    later = NOW + timedelta(days=1)
    assert customers.anonymize_customer(c, actor=actor, now=later)
    db.session.flush()
    for field in ("email", "phone", "name", "notes", "company", "street", "address_line2", "zipcode", "city",
                  "state", "country", "date_of_birth", "external_identifier", "marketing_consent",
                  "marketing_opted_in_at", "password_token_hash"):
        assert getattr(c, field) is None, field
    assert c.name_parts == {"_scheme": "full"}
    assert c.tags == [] and db.session.scalar(select(CustomerTag)) is None
    assert c.password_hash == UNUSABLE and not customers.check_password(c, "s3cret-enough")
    assert not c.is_active
    assert c.identifier == identifier and c.date_joined == joined
    assert c.is_anonymized and c.anonymized_at == later


def test_anonymize_detaches_orders_without_deleting_them(world, actor):
    c = full_customer(world, actor)
    orders = [factories.order(world.event, [world.ticket], customer=c) for _ in range(2)]
    customers.anonymize_customer(c, actor=actor)
    db.session.flush()
    for o in orders:
        db.session.refresh(o)
        assert o.customer_id is None
        assert o.email == "buyer@example.org"  # the order keeps its own data
    assert db.session.scalar(select(Order.id).where(Order.id == orders[0].id)) is not None


def test_anonymize_is_logged_without_the_erased_data(world, actor):
    c = full_customer(world, actor)
    customers.anonymize_customer(c, actor=actor)
    entry = history(c)[0]
    assert entry.action_type == "customer.anonymized"
    text = str(entry.data)
    for personal in ("anna@example.org", "Anna Example", "likes wine", "Berlin", "+49301234567", "vip", "ext-1"):
        assert personal not in text


def test_second_anonymize_changes_nothing(world, actor):
    c = full_customer(world, actor)
    assert customers.anonymize_customer(c, actor=actor, now=NOW)
    entries = len(history(c))
    assert not customers.anonymize_customer(c, actor=actor, now=NOW + timedelta(days=1))
    assert c.anonymized_at == NOW
    assert len(history(c)) == entries


def test_anonymized_customer_cannot_be_changed(world, actor):
    c = full_customer(world, actor)
    customers.anonymize_customer(c, actor=actor)
    for change in (lambda: customers.update_customer(c, actor=actor, notes="x"),
                   lambda: customers.set_active(c, active=True, actor=actor),
                   lambda: customers.add_tag(c, tag="x", actor=actor),
                   lambda: customers.send_password_link(c, actor=actor)):
        with pytest.raises(Invalid, match="was anonymized"):
            change()


def test_anonymized_email_can_be_used_again(world, actor):
    c = full_customer(world, actor)
    customers.anonymize_customer(c, actor=actor)
    assert create(world, actor, email="anna@example.org").id != c.id


# --- password link -----------------------------------------------------------------------------

def token_of(mail: OutboxEmail) -> str:
    # the outbox shows the link hidden; the copy to deliver has it
    return (mail.body_to_send or mail.body).split("/set-password/")[1].split()[0]


def test_password_link_sets_a_password_once(world, actor):
    c = create(world, actor)
    token = token_of(customers.send_password_link(c, actor=actor, now=NOW))
    assert customers.customer_for_token(world.organizer, token, now=NOW) is c
    customers.set_password_with_token(organizer=world.organizer, token=token, password="brand-new-pw", now=NOW)
    assert customers.check_password(c, "brand-new-pw")
    assert c.is_verified
    assert history(c)[0].action_type == "customer.password_set"
    with pytest.raises(NotFound):
        customers.set_password_with_token(organizer=world.organizer, token=token, password="another-pw", now=NOW)


def test_new_link_kills_the_old_one(world, actor):
    c = create(world, actor)
    old = token_of(customers.send_password_link(c, actor=actor, now=NOW))
    new = token_of(customers.send_password_link(c, actor=actor, now=NOW))
    with pytest.raises(NotFound):
        customers.customer_for_token(world.organizer, old, now=NOW)
    assert customers.customer_for_token(world.organizer, new, now=NOW) is c


def test_link_expires(world, actor):
    c = create(world, actor)
    token = token_of(customers.send_password_link(c, actor=actor, now=NOW))
    with pytest.raises(NotFound):
        customers.customer_for_token(world.organizer, token, now=NOW + customers.PASSWORD_LINK_VALID + timedelta(1))


def test_link_belongs_to_its_organizer(world, actor):
    c = create(world, actor)
    token = token_of(customers.send_password_link(c, actor=actor, now=NOW))
    with pytest.raises(NotFound):
        customers.customer_for_token(factories.organizer(), token, now=NOW)


def test_link_for_customer_with_password_uses_the_reset_mail(world, actor):
    c = create(world, actor, password="s3cret-enough")
    assert customers.send_password_link(c, actor=actor).template == "customer_password_link"


def test_link_needs_an_email_and_an_active_account(world, actor):
    c = factories.customer(world.organizer)
    c.email = None
    with pytest.raises(Invalid):
        customers.send_password_link(c, actor=actor)
    c.email = "x@example.org"
    customers.set_active(c, active=False, actor=actor)
    with pytest.raises(Invalid, match="account is blocked"):
        customers.send_password_link(c, actor=actor)


def test_link_password_rules_apply(world, actor):
    c = create(world, actor)
    token = token_of(customers.send_password_link(c, actor=actor, now=NOW))
    with pytest.raises(Invalid):
        customers.set_password_with_token(organizer=world.organizer, token=token, password="short", now=NOW)
    assert c.password_token_hash is not None  # still usable after a refused attempt


def test_get_customer_is_scoped_to_the_organizer(world, actor):
    c = create(world, actor)
    assert customers.get_customer(world.organizer, c.identifier) is c
    with pytest.raises(NotFound):
        customers.get_customer(factories.organizer(), c.identifier)


def test_every_change_is_in_the_log_table(world, actor):
    c = create(world, actor)
    customers.add_tag(c, tag="x", actor=actor)
    customers.set_active(c, active=False, actor=actor)
    actions = db.session.scalars(select(LogEntry.action_type).where(LogEntry.object_id == c.id)).all()
    assert sorted(actions) == ["customer.created", "customer.deactivated", "customer.tag_added"]


# --- every field error at once -----------------------------------------------------------------

def test_create_reports_every_bad_field_at_once(world, actor):
    create(world, actor, email="taken@example.org")
    with pytest.raises(Invalid) as e:
        create(world, actor, email="TAKEN@example.org", phone="call me", date_of_birth="2020-02-31",
               country="XX", password="short", tags=["a,b"])
    assert set(e.value.errors) == {"email", "phone", "date_of_birth", "country", "password", "tags"}
    assert "already uses" in e.value.errors["email"] and "phone number" in e.value.errors["phone"]
    assert e.value.status == 400
    assert db.session.scalar(select(Customer).where(Customer.email == "TAKEN@example.org")) is None


def test_update_reports_every_bad_field_and_changes_nothing(world, actor):
    c = create(world, actor)
    db.session.commit()
    with pytest.raises(Invalid) as e:
        customers.update_customer(c, actor=actor, email="nope", phone="12", city="x" * 300, company="Fine Co")
    assert set(e.value.errors) == {"email", "phone", "city"}
    db.session.rollback()
    c = db.session.get(Customer, c.id)
    assert (c.email, c.company) == ("anna@example.org", None)


def test_one_bad_field_keeps_its_own_message_and_code(world, actor):
    with pytest.raises(Invalid) as e:
        create(world, actor, phone="call me")
    assert e.value.field == "phone" and e.value.code == "phone_invalid"
    assert e.value.message == e.value.errors["phone"]


# --- stale saves -------------------------------------------------------------------------------

def test_update_from_an_older_state_is_refused(world, actor):
    c = create(world, actor)
    opened = c.last_modified.isoformat()
    customers.update_customer(c, actor=actor, city="Hamburg", seen_last_modified=opened)
    with pytest.raises(Conflict) as e:
        customers.update_customer(c, actor=actor, city="Berlin", seen_last_modified=opened)
    assert e.value.code == "stale" and e.value.status == 409
    assert "changed since you opened the form" in e.value.message
    assert c.city == "Hamburg" and len(history(c)) == 2  # created, changed once


def test_every_change_moves_last_modified_even_within_one_moment(world, actor):
    c = create(world, actor)
    seen = [c.last_modified]
    customers.update_customer(c, actor=actor, city="Hamburg", now=NOW)
    seen.append(c.last_modified)
    customers.add_tag(c, tag="vip", actor=actor, now=NOW)
    seen.append(c.last_modified)
    customers.set_active(c, active=False, actor=actor, now=NOW)
    seen.append(c.last_modified)
    assert seen == sorted(set(seen))


def test_update_without_a_seen_state_applies(world, actor):
    c = create(world, actor)
    customers.update_customer(c, actor=actor, city="Hamburg")
    customers.update_customer(c, actor=actor, city="Berlin", seen_last_modified=None)
    assert c.city == "Berlin"


# --- blocking and password links ---------------------------------------------------------------

def test_blocking_ends_a_live_password_link(world, actor):
    c = create(world, actor)
    token = token_of(customers.send_password_link(c, actor=actor, now=NOW))
    customers.set_active(c, active=False, actor=actor, now=NOW + timedelta(hours=1))
    customers.set_active(c, active=True, actor=actor, now=NOW + timedelta(hours=2))
    with pytest.raises(NotFound):
        customers.customer_for_token(world.organizer, token, now=NOW + timedelta(hours=3))
    assert c.password_token_hash is None and c.password_token_expires is None
    deactivated = next(e for e in history(c) if e.action_type == "customer.deactivated")
    assert deactivated.data == {"password link": "no longer works"}


def test_blocking_without_a_link_logs_no_link(world, actor):
    c = create(world, actor)
    customers.set_active(c, active=False, actor=actor)
    assert history(c)[0].data == {}


# --- phone numbers of the organizer's country --------------------------------------------------

@pytest.mark.parametrize("zone,typed,stored", [
    ("Europe/Berlin", "0170 1234567", "+491701234567"),
    ("Europe/Berlin", "030 1234567", "+49301234567"),
    ("Europe/Vienna", "0664 1234567", "+436641234567"),
    ("Europe/London", "020 7946 0018", "+442079460018"),
    ("Europe/London", "+49 30 1234567", "+49301234567"),
])
def test_national_phone_numbers_follow_the_organizers_country(world, actor, zone, typed, stored):
    world.organizer.timezone = zone
    assert create(world, actor, phone=typed).phone == stored


def test_national_phone_number_without_an_organizer_country_is_refused(world, actor):
    world.organizer.timezone = "UTC"
    with pytest.raises(Invalid, match="international format"):
        create(world, actor, phone="0170 1234567")


# --- orders on the customer page ---------------------------------------------------------------

def test_customer_orders_can_be_limited_to_visible_events(world, actor):
    c = create(world, actor)
    other = factories.event(world.organizer)
    mine = factories.order(world.event, [world.ticket], customer=c)
    theirs = factories.order(other, [factories.item(other)], customer=c)
    assert {o.id for o in customers.customer_orders(c)[0]} == {mine.id, theirs.id}
    assert [o.id for o in customers.customer_orders(c, event_ids=[world.event.id])[0]] == [mine.id]
    assert customers.customer_orders(c, event_ids=[]) == ([], {})
    assert customers.count_hidden_orders(c, [world.event.id]) == 1
    assert customers.count_hidden_orders(c, []) == 2
    assert customers.count_hidden_orders(c, None) == 0
