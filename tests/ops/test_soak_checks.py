"""The soak run's checks find what they are meant to find (the run itself: `make soak`)."""
from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from backoffice.domain.models import OrderPayment, OrderRefund, OrderStatus, utcnow
from backoffice.extensions import db
from tests import factories

_spec = importlib.util.spec_from_file_location("soak", Path(__file__).parents[2] / "scripts" / "soak.py")
soak = importlib.util.module_from_spec(_spec)
sys.modules["soak"] = soak  # its dataclasses look their module up
_spec.loader.exec_module(soak)


def test_sound_orders_pass_and_broken_money_is_reported(app, world):
    started = utcnow() - timedelta(minutes=1)
    good = factories.order(world.event, [world.ticket], status=OrderStatus.PAID)
    broken = factories.order(world.event, [world.ticket, world.ticket], status=OrderStatus.PAID, paid=False)
    broken.payments.append(OrderPayment(local_id=1, amount=Decimal("50.00"), state="confirmed", provider="manual"))
    db.session.flush()
    broken.refunds.append(OrderRefund(local_id=1, amount=Decimal("80.00"), state="done", source="admin",
                                      provider="manual", payment_id=broken.payments[0].id))
    broken.total = Decimal("120.00")
    db.session.commit()
    problems = soak.check_database(app, started, [])
    about_good = [p for p in problems if good.code in p]
    about_broken = [p for p in problems if broken.code in p]
    assert about_good == []
    assert any("total 120.00 but its lines add up to 100.00" in p for p in about_broken)
    assert any("refunded 80.00 of 50.00" in p for p in about_broken)
    assert any("is paid but" in p for p in about_broken)
    # both orders were written after `started` without a history entry
    assert f"order {good.id} changed without a history entry" in problems


def test_a_mail_received_twice_is_reported():
    sent = Counter({("a@example.org", "Your order"): 1})
    assert soak.mail_problems(sent, Counter({("a@example.org", "Your order"): 1})) == []
    twice = soak.mail_problems(sent, Counter({("a@example.org", "Your order"): 2}))
    assert twice == ["mail ('a@example.org', 'Your order') received 2 times, sent 1 times by the outbox"]


def test_the_small_quota_sold_by_every_client_is_checked_both_ways(app, world):
    sale = soak.prepare_sale(app)
    quota = db.session.get(soak_models().Quota, sale.quota)
    assert quota.size == soak.SALE_QUOTA and [i.id for i in quota.items] == [sale.item]
    assert soak_models().ApiToken.query.filter_by(name="soak").count() == 1

    def tally(refused: int):
        t = soak.Tally()
        t.statuses[soak.SALE_KIND][409] = refused
        return t

    item = db.session.get(soak_models().Item, sale.item)
    factories.order(world.event, [item] * 3)
    db.session.commit()
    # three sold, nobody refused: fine; somebody refused with tickets left: reported
    assert soak.sale_problems(app, sale, tally(0)) == []
    assert soak.sale_problems(app, sale, tally(2)) == [
        f"2 sales refused as sold out while the small quota held 3 of {soak.SALE_QUOTA}"]
    factories.order(world.event, [item] * (soak.SALE_QUOTA - 3))
    db.session.commit()
    assert soak.sale_problems(app, sale, tally(5)) == []
    factories.order(world.event, [item])
    db.session.commit()
    assert soak.sale_problems(app, sale, tally(5)) == [
        f"the small quota of {soak.SALE_QUOTA} holds {soak.SALE_QUOTA + 1} tickets"]


def soak_models():
    from backoffice.domain import models
    return models
