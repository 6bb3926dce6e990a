"""The organizer's settings, without HTTP: what is accepted, what is refused (and then nothing
changes), stale saves, and the history entry."""
import pytest
from sqlalchemy import func, select

from backoffice.domain import organizer_settings as settings
from backoffice.domain.audit import Actor, history
from backoffice.domain.errors import Conflict, Invalid
from backoffice.domain.models import LogEntry, Organizer
from backoffice.extensions import db

GOOD = dict(name="Demo Events GmbH", name_scheme="given_family", timezone="America/New_York",
            currency="CHF", default_locale="de",
            invoice_issuer_name="Demo Events GmbH", invoice_issuer_address="Main Street 1\n10115 Berlin",
            invoice_issuer_vat_id="DE123456789")


@pytest.fixture
def actor(world):
    return Actor(user=world.admin)


def saved(world) -> dict:
    db.session.rollback()
    return settings.current_values(db.session.get(Organizer, world.organizer.id))


def log_count() -> int:
    return db.session.scalar(select(func.count(LogEntry.id)))


def save(world, actor, **changes):
    values = {**GOOD, **changes}
    return settings.update_settings(world.organizer, actor=actor, seen_last_modified=settings.version(world.organizer),
                                    **values)


def test_saving_changes_the_values_and_writes_the_history(world, actor):
    before = settings.current_values(world.organizer)
    changed = save(world, actor, name="  Demo Events GmbH  ",
                   invoice_issuer_address="  Main Street 1 \r\n10115 Berlin\n")
    db.session.commit()
    assert changed == list(settings.FIELDS)
    assert saved(world) == GOOD
    entry = history(world.organizer)[0]
    assert entry.action_type == "organizer.settings_changed" and entry.user_id == world.admin.id
    assert entry.data["name"] == {"old": before["name"], "new": "Demo Events GmbH"}
    assert entry.data["timezone"] == {"old": "Europe/Berlin", "new": "America/New_York"}
    assert entry.data["invoice_issuer_vat_id"] == {"old": None, "new": "DE123456789"}


def test_only_changed_fields_are_logged_and_an_unchanged_save_logs_nothing(world, actor):
    save(world, actor)
    db.session.commit()
    count = log_count()
    assert save(world, actor) == []
    assert log_count() == count
    assert save(world, actor, invoice_issuer_vat_id="") == ["invoice_issuer_vat_id"]
    db.session.commit()
    assert history(world.organizer)[0].data == {"invoice_issuer_vat_id": {"old": "DE123456789", "new": None}}
    assert saved(world)["invoice_issuer_vat_id"] == ""


def test_empty_issuer_fields_are_stored_as_none(world, actor):
    save(world, actor, invoice_issuer_name="   ", invoice_issuer_address="\n \n", invoice_issuer_vat_id="")
    db.session.commit()
    organizer = db.session.get(Organizer, world.organizer.id)
    assert (organizer.invoice_issuer_name, organizer.invoice_issuer_address, organizer.invoice_issuer_vat_id) \
        == (None, None, None)


@pytest.mark.parametrize("field, value, message", [
    ("name", "   ", "Enter the name"),
    ("name", "x" * 201, "at most 200 characters"),
    ("name", "Demo\x00Org", "control characters"),
    ("name", "Demo\nOrg", "line breaks"),
    ("name", None, "Enter the name"),
    ("name_scheme", "x", "Choose how names"),
    ("name_scheme", None, "Choose how names"),
    ("timezone", "Mars/Olympus_Mons", "not a known time zone"),
    ("timezone", "europe/berlin", "not a known time zone"),
    ("timezone", "", "Enter a time zone"),
    ("timezone", "x" * 10_000, "not a known time zone"),
    ("invoice_issuer_name", "y" * 201, "at most 200 characters"),
    ("invoice_issuer_address", "z" * 1001, "at most 1,000 characters"),
    ("invoice_issuer_address", "Street\x00 1", "control characters"),
    ("invoice_issuer_address", "Street\x1b 1", r"U\+001B"),
    ("invoice_issuer_vat_id", "D" * 256, "at most 255 characters"),
    ("invoice_issuer_vat_id", "DE\t123", "control characters"),
    ("currency", "", "Choose a currency"),
    ("currency", "EURO", "is not a currency code"),
    ("currency", "XYZ", "is not a currency code"),
    ("currency", "€" * 5000, "is not a currency code"),
    ("default_locale", "", "Choose a language"),
    ("default_locale", "klingon", "is not a language code"),
    ("default_locale", "xx", "is not a language code"),
    ("default_locale", "<script>", "is not a language code"),
])
def test_refused_values_name_their_field_and_change_nothing(world, actor, field, value, message):
    before, count = saved(world), log_count()
    with pytest.raises(Invalid, match=message) as e:
        save(world, actor, **{field: value})
    assert set(e.value.errors) == {field}
    assert saved(world) == before and log_count() == count


def test_every_refused_field_is_named_at_once(world, actor):
    with pytest.raises(Invalid) as e:
        save(world, actor, name="", name_scheme="x", timezone="Nowhere", invoice_issuer_vat_id="\x00")
    assert set(e.value.errors) == {"name", "name_scheme", "timezone", "invoice_issuer_vat_id"}


def test_a_stale_save_is_refused_and_changes_nothing(world, actor):
    seen = settings.version(world.organizer)
    save(world, actor, name="Changed elsewhere")  # someone else saved in the meantime
    db.session.commit()
    before, count = saved(world), log_count()
    with pytest.raises(Conflict) as e:
        settings.update_settings(world.organizer, actor=actor, seen_last_modified=seen, **GOOD)
    assert e.value.code == "stale" and "changed by someone else" in e.value.message
    assert saved(world) == before and log_count() == count
    # a version that is none at all is stale, too
    with pytest.raises(Conflict):
        settings.update_settings(world.organizer, actor=actor, seen_last_modified="", **GOOD)


def test_the_version_moves_with_every_editable_value(world, actor):
    seen = {settings.version(world.organizer)}
    for field, value in GOOD.items():
        setattr(world.organizer, field, value)
        seen.add(settings.version(world.organizer))
    assert len(seen) == len(GOOD) + 1


def test_currency_and_language_are_normalised_and_apply_to_new_events_only(world, actor):
    changed = save(world, actor, currency=" usd ", default_locale="PT_br")
    db.session.commit()
    assert "currency" in changed and "default_locale" in changed
    values = saved(world)
    assert values["currency"] == "USD" and values["default_locale"] == "pt-br"
    assert world.event.currency == "EUR"  # existing events keep theirs
    entry = history(world.organizer)[0]
    assert entry.data["currency"] == {"old": "EUR", "new": "USD"}


def test_callers_that_leave_out_currency_and_language_keep_them(world, actor):
    values = {k: v for k, v in GOOD.items() if k not in ("currency", "default_locale")}
    settings.update_settings(world.organizer, actor=actor, seen_last_modified=None, **values)
    db.session.commit()
    assert saved(world)["currency"] == "EUR" and saved(world)["default_locale"] == "en"
