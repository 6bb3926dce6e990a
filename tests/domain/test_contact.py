"""Reading phone numbers and countries the same way everywhere."""
from types import SimpleNamespace

import pytest

from backoffice.domain import contact
from backoffice.domain.errors import Invalid


@pytest.mark.parametrize("zone,region", [
    ("Europe/Berlin", "DE"), ("Europe/Vienna", "AT"), ("America/New_York", "US"), ("Asia/Tokyo", "JP"),
    ("UTC", None), ("Etc/UTC", None), ("", None), ("Not/AZone", None),
])
def test_default_region_comes_from_the_organizers_time_zone(zone, region):
    assert contact.default_region(SimpleNamespace(timezone=zone)) == region


@pytest.mark.parametrize("typed,region,stored", [
    ("0170 1234567", "DE", "+491701234567"), ("0049 170 1234567", None, "+491701234567"),
    ("+1 212 555 0123", "DE", "+12125550123"), ("", "DE", None), (None, "DE", None),
])
def test_parse_phone(typed, region, stored):
    assert contact.parse_phone(typed, region) == stored


@pytest.mark.parametrize("typed", ["12", "call me", "+49 0", "0170 1234567 0170 1234567 0170 1234567 0170 1234567 0170 1234567", 12])
def test_parse_phone_refuses(typed):
    with pytest.raises(Invalid) as e:
        contact.parse_phone(typed, "DE", field="phone")
    assert e.value.field == "phone" and e.value.code == "phone_invalid"


def test_countries_are_real_countries_sorted_by_name():
    choices = contact.country_choices()
    codes = [code for code, _ in choices]
    assert ("DE", "Germany") in choices and ("AT", "Austria") in choices
    assert not {"EU", "UN", "ZZ", "001"} & set(codes)
    names = [name for _, name in choices]
    assert names.index("Åland Islands") < names.index("Albania")  # accents do not send it to the end
    assert contact.country_name("CH") == "Switzerland" and contact.country_name("QQ") == "QQ"


@pytest.mark.parametrize("typed,stored", [("de", "DE"), (" AT ", "AT"), ("", None), (None, None)])
def test_clean_country(typed, stored):
    assert contact.clean_country(typed) == stored


@pytest.mark.parametrize("typed", ["EU", "XX", "Germany", "D"])
def test_clean_country_refuses(typed):
    with pytest.raises(Invalid, match="is not a country code"):
        contact.clean_country(typed)
