"""Events, their dates and new organizers, without HTTP: the rules of who may, what is accepted,
what is refused (then nothing changes), stale saves and the history."""
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from backoffice.domain import events, events_dates, organizers_setup as setup, staff
from backoffice.domain.audit import SYSTEM, Actor, history
from backoffice.domain.errors import Conflict, Forbidden, Invalid, NotFound
from backoffice.domain.models import ApiToken, Event, LogEntry, Organizer, SubEvent, Team
from backoffice.domain.events_overview import overview
from backoffice.domain.models import OrderStatus
from backoffice.extensions import db
from tests import factories

VALUES = dict(name="Summer Night", slug="summer-night", date_from="2027-07-01T19:00", date_to="",
              timezone="America/New_York", location="", currency="usd", locale="en", locales=["en", "de", "en"],
              payment_term_days="7", payment_providers=["free", "manual"], ticket_download=False,
              ticket_download_pending=True)


def log_count() -> int:
    return db.session.scalar(select(func.count(LogEntry.id)))


@pytest.fixture
def admin(world):
    return Actor(user=world.admin)


# --- creating and changing events ----------------------------------------------------------------------

def test_create_reads_dates_in_the_events_zone_and_normalises_lists(world, admin):
    event = events.create_event(world.organizer, actor=admin, values=VALUES)
    db.session.commit()
    assert event.date_from == datetime(2027, 7, 1, 23, 0, tzinfo=timezone.utc)
    assert event.currency == "USD" and event.locales == ["en", "de"]
    assert event.payment_providers == ["manual", "free"]  # the registry's order
    assert not event.ticket_download_pending  # no downloads at all: none for pending orders either
    assert history(event)[0].action_type == "event.created"


def test_the_default_language_is_always_offered(world, admin):
    event = events.create_event(world.organizer, actor=admin, values={**VALUES, "locale": "fr", "locales": "de"})
    assert event.locales == ["fr", "de"]


def test_a_team_limited_to_some_events_cannot_create_events(world):
    limited = factories.user(org=world.organizer, all_events=False, events=[world.event])
    count = log_count()
    with pytest.raises(Forbidden, match="on all events"):
        events.create_event(world.organizer, actor=Actor(user=limited), values=VALUES)
    assert log_count() == count


def test_a_copy_needs_a_source_the_actor_may_manage(world, admin):
    other = factories.organizer()
    theirs = factories.event(other)
    with pytest.raises(NotFound):
        events.create_event(world.organizer, actor=admin, values=VALUES, copy_from=theirs)


def test_slugs_are_unique_per_organizer_but_not_across_organizers(world, admin):
    with pytest.raises(Invalid, match="uses the short name “conf” already"):
        events.create_event(world.organizer, actor=admin, values={**VALUES, "slug": "conf"})
    other = factories.organizer()
    db.session.commit()
    event = events.create_event(other, actor=SYSTEM, values={**VALUES, "slug": "conf"})
    assert event.organizer_id == other.id


def test_every_refused_field_is_named_at_once(world, admin):
    with pytest.raises(Invalid) as e:
        events.create_event(world.organizer, actor=admin, values={
            **VALUES, "name": "", "slug": "A B", "timezone": "Nowhere", "currency": "", "payment_term_days": "366",
            "payment_providers": "nope"})
    assert set(e.value.errors) == {"name", "slug", "timezone", "currency", "payment_term_days", "payment_providers"}


def test_update_refuses_a_stale_version_and_changes_nothing(world, admin):
    seen = events.version(world.event)
    world.event.location = "Elsewhere"
    db.session.commit()
    values = {**events.current_values(world.event), "name": "Mine"}
    with pytest.raises(Conflict):
        events.update_event(world.event, actor=admin, values=values, seen=seen)
    db.session.rollback()
    assert db.session.get(Event, world.event.id).name == "Conference"


def test_update_logs_only_what_changed(world, admin):
    values = {**events.current_values(world.event), "name": "Renamed", "testmode": True}
    changed = events.update_event(world.event, actor=admin, values=values, seen=events.version(world.event))
    assert changed == ["name", "testmode"]
    assert history(world.event)[0].data == {"name": {"old": "Conference", "new": "Renamed"},
                                            "testmode": {"old": False, "new": True}}
    assert events.update_event(world.event, actor=admin, values=values, seen=None) == []


def test_the_slug_never_changes(world, admin):
    values = {**events.current_values(world.event), "slug": "other"}
    assert events.update_event(world.event, actor=admin, values=values, seen=None) == []
    assert world.event.slug == "conf"


def test_currency_is_fixed_once_orders_exist(world, admin):
    factories.order(world.event, [world.ticket])
    values = {**events.current_values(world.event), "currency": "USD"}
    with pytest.raises(Invalid, match="currency cannot change"):
        events.update_event(world.event, actor=admin, values=values, seen=None)


def test_an_event_with_dates_cannot_become_a_single_date(world, admin):
    factories.subevent(world.event)
    values = {**events.current_values(world.event), "has_subevents": False}
    with pytest.raises(Invalid, match="delete them before"):
        events.update_event(world.event, actor=admin, values=values, seen=None)


def test_a_team_without_manage_events_cannot_change_the_event(world):
    clerk = factories.user(org=world.organizer, can_manage_events=False)
    with pytest.raises(Forbidden):
        events.update_event(world.event, actor=Actor(user=clerk), values=events.current_values(world.event), seen=None)


# --- dates of a series ------------------------------------------------------------------------------

def test_dates_are_read_in_the_events_zone_and_audited_on_the_event(world, admin):
    world.event.has_subevents = True
    date = events_dates.add_date(world.event, actor=admin, name="Opening", date_from="2027-03-01T20:00")
    assert date.date_from == datetime(2027, 3, 1, 19, 0, tzinfo=timezone.utc)
    assert history(world.event)[0].action_type == "event.date_added"


def test_a_date_used_by_a_quota_is_not_deleted(world, admin):
    date = factories.subevent(world.event, "Friday")
    factories.quota(world.event, [world.ticket], 5, subevent=date)
    with pytest.raises(Invalid, match="it has 1 quota; remove them first, or deactivate it"):
        events_dates.delete_date(date, actor=admin)
    assert db.session.get(SubEvent, date.id) is not None


def test_deactivating_twice_changes_nothing_the_second_time(world, admin):
    date = factories.subevent(world.event, "Friday")
    assert events_dates.set_date_active(date, actor=admin, active=False) is True
    count = log_count()
    assert events_dates.set_date_active(date, actor=admin, active=False) is False
    assert log_count() == count


def test_a_stale_date_edit_is_refused(world, admin):
    date = factories.subevent(world.event, "Friday")
    seen = events_dates.version(date)
    date.name = "Changed meanwhile"
    db.session.commit()
    with pytest.raises(Conflict):
        events_dates.update_date(date, actor=admin, name="Mine", date_from="2027-01-01T10:00", date_to="", seen=seen)


# --- the overview ------------------------------------------------------------------------------------

def test_overview_money_counts_net_paid_of_real_orders(world):
    factories.order(world.event, [world.ticket], status=OrderStatus.PAID)
    factories.order(world.event, [world.ticket], status=OrderStatus.PAID, testmode=True)
    factories.order(world.event, [world.ticket], status=OrderStatus.PENDING, require_approval=True)
    numbers = overview(world.event)
    assert str(numbers.received) == "50.00"
    assert numbers.by_status == {OrderStatus.PAID: 2, OrderStatus.PENDING: 1} and numbers.awaiting_approval == 1
    line = numbers.quotas[0]
    assert (line.taken, line.free, line.usage.paid, line.usage.pending) == (3, 97, 2, 1)


# --- organizers ----------------------------------------------------------------------------------------

ORG = dict(name="Second", slug="second", timezone="Europe/Berlin", currency="EUR", default_locale="en",
           name_scheme="full")


def test_on_an_empty_install_any_staff_user_may_create_the_first_organizer():
    user = staff.create_user(email="first@example.org", password="long enough")
    assert setup.may_create_organizer(Actor(user=user))
    organizer = setup.create_organizer(actor=Actor(user=user), **ORG)
    team = db.session.scalar(select(Team).where(Team.organizer_id == organizer.id))
    assert team.members == [user] and team.can_manage_team and team.all_events
    assert [e.action_type for e in history(organizer)] in (["organizer.team_created", "organizer.created"],
                                                            ["organizer.created", "organizer.team_created"])


def test_afterwards_only_who_may_manage_a_team_creates_organizers(world):
    helper = factories.user(org=world.organizer, can_manage_team=False)
    loner = factories.user()
    for user in (helper, loner):
        assert not setup.may_create_organizer(Actor(user=user))
        with pytest.raises(Forbidden):
            setup.create_organizer(actor=Actor(user=user), **ORG)
    assert setup.may_create_organizer(Actor(user=world.admin))
    assert db.session.scalar(select(func.count(Organizer.id))) == 1
    # the switcher passes the rights of the teams it read: the same answers
    for user, rights in ((helper, [False]), (loner, []), (world.admin, [True])):
        assert setup.may_create_organizer(Actor(user=user), team_rights=rights) == \
            setup.may_create_organizer(Actor(user=user))


def test_a_user_without_teams_may_create_the_first_organizer_from_the_switcher():
    user = staff.create_user(email="first@example.org", password="long enough")
    assert setup.may_create_organizer(Actor(user=user), team_rights=[])


def test_api_tokens_and_deactivated_users_cannot_create_organizers(world):
    team = world.admin.teams[0]
    token = ApiToken(team=team, name="t", token_hash="x" * 64)
    db.session.add(token)
    assert not setup.may_create_organizer(Actor(token=token))
    world.admin.is_active_user = False
    assert not setup.may_create_organizer(Actor(user=world.admin))


def test_an_untouched_start_with_seconds_is_not_a_change(world, admin):
    world.event.date_from = datetime(2027, 5, 1, 8, 30, 45, 123000, tzinfo=timezone.utc)
    db.session.commit()
    values = {**events.current_values(world.event), "date_from": "2027-05-01T10:30"}  # Berlin, minutes
    assert events.update_event(world.event, actor=admin, values=values, seen=None) == []
