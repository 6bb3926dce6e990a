"""The event's revoked and blocked secrets (003): what scanners read, with the ticket each secret
belongs to; secrets shown as on the order page (shortened, copied whole on click)."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from backoffice.domain import secrets
from backoffice.domain.audit import Actor
from backoffice.domain.models import BlockedSecret, RevokedSecret
from backoffice.extensions import db
from tests import factories

REVOKED = "/demo/events/conf/secrets/revoked/"
BLOCKED = "/demo/events/conf/secrets/blocked/"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def shown_secrets(response) -> list[str]:
    """The secrets listed, whole (from copy-on-click), in the order shown."""
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html[:2000]
    table = html.split('id="secret-table"')[1]
    return re.findall(r'data-copy="([a-z0-9]+)"', table)


def revoked(event, secret: str, created: datetime, position=None) -> RevokedSecret:
    row = RevokedSecret(event_id=event.id, secret=secret, created=created,
                        position_id=position.id if position else None)
    db.session.add(row)
    return row


def blocked(event, secret: str, updated: datetime, is_blocked: bool = True) -> BlockedSecret:
    row = BlockedSecret(event_id=event.id, secret=secret, updated=updated, blocked=is_blocked)
    db.session.add(row)
    return row


def test_regenerated_secrets_are_listed_with_their_ticket(staff, world):
    order = factories.order(world.event, [world.ticket, world.ticket])
    named = order.all_positions[1]
    named.attendee_name_cached = "Grace Hopper"
    old = [p.secret for p in order.all_positions]
    secrets.regenerate_secrets(order, actor=Actor(user=world.admin))
    db.session.commit()
    response = staff.get(REVOKED)
    html = response.get_data(as_text=True)
    assert set(shown_secrets(response)) == set(old)
    row = html.split(f'data-copy="{old[1]}"')[1].split("</tr>")[0]
    assert f'href="/demo/events/conf/orders/{order.code}/#position-2">{order.code}-2</a>' in row
    assert "Grace Hopper" in row
    # shortened as on the order page: the first characters shown, the whole value copied on click
    assert f">{old[1][:8]}…</code>" in html and f">{old[1]}<" not in html
    assert "1–2 of 2 revoked secrets" in html


def test_revoked_ordering_newest_first_or_by_secret(staff, world):
    rows = [revoked(world.event, s, T0 + timedelta(hours=h)) for s, h in (("bbbbbbbbbb", 2), ("cccccccccc", 1),
                                                                        ("aaaaaaaaaa", 3))]
    db.session.commit()
    assert shown_secrets(staff.get(REVOKED)) == ["aaaaaaaaaa", "bbbbbbbbbb", "cccccccccc"]
    assert shown_secrets(staff.get(f"{REVOKED}?sort=created")) == ["cccccccccc", "bbbbbbbbbb", "aaaaaaaaaa"]
    assert shown_secrets(staff.get(f"{REVOKED}?sort=secret")) == ["aaaaaaaaaa", "bbbbbbbbbb", "cccccccccc"]
    assert shown_secrets(staff.get(f"{REVOKED}?sort=-secret")) == ["cccccccccc", "bbbbbbbbbb", "aaaaaaaaaa"]
    assert shown_secrets(staff.get(f"{REVOKED}?sort=nonsense")) == ["aaaaaaaaaa", "bbbbbbbbbb", "cccccccccc"]
    assert len(rows) == 3


def test_revoked_created_since_is_inclusive(staff, world):
    revoked(world.event, "early00000", T0)
    revoked(world.event, "late000000", T0 + timedelta(seconds=1))
    db.session.commit()
    assert shown_secrets(staff.get(REVOKED, query_string={"created_since": "2026-03-01T12:00:00+00:00"})) == \
        ["late000000", "early00000"]
    response = staff.get(REVOKED, query_string={"created_since": "2026-03-01T12:00:01+00:00"})
    assert shown_secrets(response) == ["late000000"]
    assert "Revoked since: 2026-03-01T12:00:01+00:00" in response.get_data(as_text=True)


def test_blocked_lists_blocked_and_unblocked_most_recently_changed_first(staff, world):
    order = factories.order(world.event, [world.ticket, world.ticket])
    first, second = order.all_positions
    actor = Actor(user=world.admin)
    secrets.add_block(first, actor=actor, now=T0)
    secrets.add_block(second, actor=actor, now=T0 + timedelta(hours=1))
    db.session.commit()
    secrets.remove_block(first, actor=actor, now=T0 + timedelta(hours=2))
    db.session.commit()
    response = staff.get(BLOCKED)
    html = response.get_data(as_text=True)
    assert shown_secrets(response) == [first.secret, second.secret]
    first_row = html.split(f'data-copy="{first.secret}"')[1].split("</tr>")[0]
    assert "unblocked" in first_row and f"{order.code}-1</a>" in first_row
    assert shown_secrets(staff.get(f"{BLOCKED}?blocked=true")) == [second.secret]
    assert shown_secrets(staff.get(f"{BLOCKED}?blocked=false")) == [first.secret]
    assert "Blocked: no" in staff.get(f"{BLOCKED}?blocked=false").get_data(as_text=True)


def test_a_blocked_tickets_old_secret_still_names_the_ticket(staff, world):
    order = factories.order(world.event, [world.ticket])
    position = order.all_positions[0]
    actor = Actor(user=world.admin)
    secrets.add_block(position, actor=actor)
    old = position.secret
    secrets.regenerate_secrets(order, actor=actor)
    db.session.commit()
    html = staff.get(BLOCKED).get_data(as_text=True)
    for secret in (old, order.all_positions[0].secret):
        row = html.split(f'data-copy="{secret}"')[1].split("</tr>")[0]
        assert f"{order.code}-1</a>" in row


def test_blocked_updated_since(staff, world):
    blocked(world.event, "old0000000", T0)
    blocked(world.event, "new0000000", T0 + timedelta(days=1), is_blocked=False)
    db.session.commit()
    assert shown_secrets(staff.get(BLOCKED, query_string={"updated_since": "2026-03-02"})) == ["new0000000"]
    assert shown_secrets(staff.get(BLOCKED, query_string={"updated_since": "2026-03-01"})) == \
        ["new0000000", "old0000000"]


def test_only_this_events_secrets(staff, world):
    other = factories.event(world.organizer, slug="other")
    revoked(other, "otherevent", T0)
    blocked(other, "otherevent", T0)
    revoked(world.event, "thisevent0", T0)
    db.session.commit()
    assert shown_secrets(staff.get(REVOKED)) == ["thisevent0"]
    assert shown_secrets(staff.get(BLOCKED)) == []


def test_empty_states_say_why(staff, world):
    assert "secrets are revoked when an order's secrets are regenerated" in staff.get(REVOKED).get_data(as_text=True)
    assert "a secret appears here when its ticket is blocked" in staff.get(BLOCKED).get_data(as_text=True)
    html = staff.get(f"{BLOCKED}?blocked=true").get_data(as_text=True)
    assert "No blocked secrets match" in html and "Clear all filters" in html


def test_paging_50_per_page(staff, world):
    for i in range(53):
        revoked(world.event, f"secret{i:04d}", T0 + timedelta(minutes=i))
    db.session.commit()
    first = staff.get(REVOKED)
    assert len(shown_secrets(first)) == 50 and "1–50 of 53 revoked secrets" in first.get_data(as_text=True)
    assert shown_secrets(staff.get(f"{REVOKED}?page=2")) == ["secret0002", "secret0001", "secret0000"]


def test_htmx_answers_with_the_table_or_the_whole_list(staff, world):
    revoked(world.event, "abcdefghij", T0)
    db.session.commit()
    table = staff.get(f"{REVOKED}?sort=secret", htmx=True).get_data(as_text=True)
    assert table.lstrip().startswith('<section id="secret-table"') and "<form" not in table
    whole = staff.get(f"{BLOCKED}?blocked=true", htmx=True, headers={"HX-Target": "secret-list"}).get_data(as_text=True)
    assert whole.lstrip().startswith('<div id="secret-list">') and re.search(r'<option value="true"\s+selected>', whole)


@pytest.mark.parametrize("url", [REVOKED, BLOCKED])
@pytest.mark.parametrize("who,status", [("limited to another event", 404), ("without order rights", 403),
                                        ("of another organizer", 404)])
def test_staff_who_may_not_see_the_events_orders_are_refused(browser, world, url, who, status):
    other_event = factories.event(world.organizer, slug="other")
    if who == "limited to another event":
        user = factories.user(org=world.organizer, all_events=False, events=[other_event])
    elif who == "without order rights":
        user = factories.user(org=world.organizer, can_view_orders=False, can_change_orders=False)
    else:
        rival = factories.organizer(slug="rival")
        factories.event(rival, slug="conf")
        user = factories.user(org=rival)
    db.session.commit()
    browser.login(user.email)
    assert browser.get(url).status_code == status


def test_view_only_staff_sees_both_pages(browser, world):
    revoked(world.event, "abcdefghij", T0)
    viewer = factories.user(org=world.organizer, can_change_orders=False)
    db.session.commit()
    browser.login(viewer.email)
    assert shown_secrets(browser.get(REVOKED)) == ["abcdefghij"]
    assert browser.get(BLOCKED).status_code == 200


@pytest.mark.parametrize("url,name", [(REVOKED, "created_since"), (BLOCKED, "updated_since")])
def test_out_of_range_dates_are_ignored_with_a_notice(staff, world, url, name):
    revoked(world.event, "abcdefghij", T0)
    blocked(world.event, "abcdefghij", T0)
    db.session.commit()
    for value in ("9999-12-31", "0001-01-01", "9999-12-31T23:59:59-14:00", "yesterday"):
        response = staff.get(url, query_string={name: value})
        assert f"Ignored the filter &#39;{name}&#39;" in response.get_data(as_text=True), value
        assert shown_secrets(response) == ["abcdefghij"]


def test_hostile_values_never_answer_5xx(staff, world):
    for url in (REVOKED, BLOCKED):
        for value in (str(2**64), "9" * 30, "1e999", "NaN", "x" * 5000, "<script>", "maybe"):
            for name in ("page", "sort", "blocked", "created_since", "updated_since"):
                assert staff.get(url, query_string={name: value}).status_code == 200, (url, name, value)
        assert staff.get(f"{url}?sort=a%00b").status_code == 400


@pytest.mark.parametrize("url", [REVOKED, BLOCKED])
def test_query_count_does_not_grow_with_rows(staff, world, count_queries, url):
    actor = Actor(user=world.admin)

    def add(n):
        for _ in range(n):
            order = factories.order(world.event, [world.ticket, world.ticket])
            secrets.add_block(order.all_positions[0], actor=actor)
            secrets.regenerate_secrets(order, actor=actor)
        db.session.commit()

    add(1)
    db.session.expire_all()
    with count_queries() as few:
        assert staff.get(url).status_code == 200
    add(12)
    db.session.expire_all()
    with count_queries() as many:
        assert staff.get(url).status_code == 200
    assert few.count == many.count, many.statements
