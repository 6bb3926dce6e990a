"""The regions an order list request answers with: the export link always belongs to the list it
sits in, and links inside the list bring the filter bar along."""
from __future__ import annotations

import csv
import io
import re
from html import unescape

from backoffice.domain.models import OrderStatus
from tests import factories

LIST = "/demo/events/conf/orders/"


def export_href(html: str) -> str:
    return unescape(re.search(r'id="export-csv"[^>]*href="([^"]+)"', html).group(1))


def test_the_table_fragment_carries_the_export_of_its_own_query(staff, world):
    for i in range(3):
        factories.order(world.event, [world.ticket], fees=[("other", f"{i}.00")])
    factories.order(world.event, [world.ticket], status=OrderStatus.PAID)
    html = staff.get(f"{LIST}?status=n&sort=-total&page=1", htmx=True,
                     headers={"HX-Target": "order-table"}).get_data(as_text=True)
    assert html.lstrip().startswith('<section id="order-table"')
    href = export_href(html)
    assert href == "/demo/events/conf/orders/export.csv?status=n&sort=-total"  # every page, same order
    rows = list(csv.DictReader(io.StringIO(staff.get(href).get_data(as_text=True).lstrip("\ufeff"))))
    assert [r["total"] for r in rows] == ["52.00", "51.00", "50.00"]
    # the sort goes with the filter form, so that the next filter change keeps it
    assert re.search(r'<input type="hidden" name="sort" form="order-filters" value="-total">', html)


def test_links_in_the_list_answer_with_filter_bar_and_table(staff, world):
    factories.order(world.event, [world.ticket])
    html = staff.get(f"{LIST}?status=n", htmx=True, headers={"HX-Target": "order-list"}).get_data(as_text=True)
    assert '<div id="order-list">' in html and "<html" not in html
    assert re.search(r'<option value="n"\s+selected>', html)  # the form shows the list's filter
    assert 'id="order-table"' in html
