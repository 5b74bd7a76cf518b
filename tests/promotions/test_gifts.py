"""满赠: a gift line at zero, limited by gift stock."""

from __future__ import annotations

from promotions._shop import cart, paid, skipped, start, y
from sirui.core.nouns import Sku
from sirui.promotions import GIFT_STOCK, GIFT_USED, GiftWithPurchase

WIPES = Sku("WIPES", y(20), name="湿巾")


def test_spend_200_get_wipes_adds_a_free_gift_line() -> None:
    rule = GiftWithPurchase("gift200", threshold=y(200), gift=WIPES)
    s = rule.price(start(cart(("A", 250, 1))))
    assert paid(s) == y(250)
    (gift,) = s.gifts
    assert (gift.id, gift.sku.id, gift.quantity, gift.unit_price, gift.gift) == (
        "gift:gift200", "WIPES", 1, y(0), True
    )
    assert s.extra(GIFT_USED) == ("gift200", "WIPES", 1)
    assert s.adjustments[-1].reason.zh == "满¥200.00赠湿巾×1"


def test_below_200_no_gift_and_the_shortfall() -> None:
    s = GiftWithPurchase("gift200", threshold=y(200), gift=WIPES).price(start(cart(("A", 150, 1))))
    assert not s.gifts
    assert s.not_applied[-1].reason.params["short"] == y(50)


def test_every_200_gives_one_more_until_stock_runs_out() -> None:
    rule = GiftWithPurchase("each200", threshold=y(200), gift=WIPES, repeat=True, stock=1)
    s = rule.price(start(cart(("A", 450, 1))))
    assert s.gifts[0].quantity == 1  # earned 2, only 1 in stock
    assert s.adjustments[-1].reason.code == "promotion.gift_partial"


def test_the_quotes_remaining_stock_wins_over_the_configured_stock() -> None:
    rule = GiftWithPurchase("gift200", threshold=y(200), gift=WIPES, stock=100)
    s = start(cart(("A", 250, 1))).with_extra(GIFT_STOCK, {"gift200": 0})
    out = rule.price(s)
    assert not out.gifts
    assert skipped(out) == "promotion.gift_out_of_stock"
