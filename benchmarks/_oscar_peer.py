"""django-oscar as a peer: the same 20-line cart and equivalent offers, priced by oscar.

Django is configured in-process with an in-memory SQLite database, migrated
once; products, stock records, ranges, conditions, benefits and offers are
created, a basket is filled, and each timed call resets the basket's offer
applications and runs oscar's ``Applicator`` (what oscar does on every
basket view), then reads the discounted total.

The offers mirror `bench_checkout.five_promotions` as far as oscar's model
allows: a 2% member discount on everything, a full reduction (oscar has no
tiers: the 499-80 tier the cart reaches), 50% off the second diaper item
(a percentage benefit on the diaper range, at most one item affected per
application), 5% off baby food, and free shipping over 99.

Importing this module raises ImportError when django-oscar is not installed:
the benchmark case is then reported as skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import oscar  # noqa: F401 - fail fast (ImportError) when oscar is absent

_READY: list[bool] = []


def _configure() -> None:
    if _READY:
        return
    import django
    from django.conf import settings
    from oscar import INSTALLED_APPS
    from oscar import defaults as oscar_defaults

    if not settings.configured:
        oscar_settings = {k: getattr(oscar_defaults, k) for k in dir(oscar_defaults) if k.isupper()}
        settings.configure(
            DEBUG=False,
            SECRET_KEY="sirui-benchmark-only",
            DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
            INSTALLED_APPS=INSTALLED_APPS,
            SITE_ID=1,
            USE_TZ=True,
            DEFAULT_AUTO_FIELD="django.db.models.AutoField",
            HAYSTACK_CONNECTIONS={
                "default": {"ENGINE": "haystack.backends.simple_backend.SimpleEngine"}
            },
            MIDDLEWARE=[],
            TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates",
                        "APP_DIRS": True, "OPTIONS": {}}],
            LOGGING_CONFIG=None,
            **oscar_settings,
        )
    django.setup()
    import warnings

    from django.core.management import call_command

    # haystack's simple backend warns on every product save; irrelevant here.
    warnings.filterwarnings("ignore", module="haystack")

    call_command("migrate", verbosity=0, interactive=False)
    _READY.append(True)


def _d(money: Any) -> Decimal:
    return Decimal(money.minor) / 100


def setup(cart: Any) -> Callable[[], Decimal]:
    """Build the catalogue, offers and basket for ``cart``; return the timed pricing call."""
    _configure()
    from oscar.apps.offer.applicator import Applicator
    from oscar.apps.partner.strategy import Default as DefaultStrategy
    from oscar.core.loading import get_model

    product_class_model = get_model("catalogue", "ProductClass")
    product_model = get_model("catalogue", "Product")
    category_model = get_model("catalogue", "Category")
    partner_model = get_model("partner", "Partner")
    stock_model = get_model("partner", "StockRecord")
    range_model = get_model("offer", "Range")
    condition_model = get_model("offer", "Condition")
    benefit_model = get_model("offer", "Benefit")
    offer_model = get_model("offer", "ConditionalOffer")
    basket_model = get_model("basket", "Basket")

    pclass, _ = product_class_model.objects.get_or_create(
        name="Goods", defaults={"requires_shipping": True, "track_stock": False}
    )
    partner, _ = partner_model.objects.get_or_create(name="Store S01")
    categories: dict[str, Any] = {}
    ranges: dict[str, Any] = {}
    for path in sorted({ln.sku.category_path for ln in cart.lines}):
        categories[path] = category_model.add_root(name=path.replace("/", "-"))
        rng = range_model.objects.create(name=f"range {path}")
        ranges[path] = rng
    everything = range_model.objects.create(name="everything", includes_all_products=True)
    products = []
    for ln in cart.lines:
        p = product_model.objects.create(
            title=ln.sku.name or ln.sku.id, product_class=pclass, upc=f"upc-{ln.sku.id}-{id(cart)}"
        )
        p.categories.add(categories[ln.sku.category_path])
        ranges[ln.sku.category_path].add_product(p)
        stock_model.objects.create(
            product=p, partner=partner, partner_sku=f"{ln.sku.id}-{id(cart)}",
            price=_d(ln.unit_price), num_in_stock=1000,
        )
        products.append((p, ln.quantity))

    def offer(name: str, priority: int, rng: Any, ctype: str, cvalue: Any, btype: str,
              bvalue: Any, max_items: int | None = None) -> None:
        cond = condition_model.objects.create(range=rng, type=ctype, value=cvalue)
        ben = benefit_model.objects.create(
            range=rng, type=btype, value=bvalue, max_affected_items=max_items
        )
        offer_model.objects.create(
            name=name, offer_type=offer_model.SITE, condition=cond, benefit=ben,
            priority=priority, exclusive=False,
        )

    C, B = condition_model, benefit_model
    offer("member 2%", 50, everything, C.COUNT, 1, B.PERCENTAGE, Decimal("2"))
    offer("499-80", 40, everything, C.VALUE, Decimal("499"), B.FIXED, Decimal("80"))
    if "母婴/纸尿裤" in ranges:
        offer("second diaper half", 30, ranges["母婴/纸尿裤"], C.COUNT, 2, B.PERCENTAGE,
              Decimal("50"), max_items=1)
    if "母婴/辅食" in ranges:
        offer("food 95%", 20, ranges["母婴/辅食"], C.COUNT, 1, B.PERCENTAGE, Decimal("5"))
    offer("ship over 99", 10, everything, C.VALUE, Decimal("99"), B.SHIPPING_PERCENTAGE,
          Decimal("100"))

    basket = basket_model.objects.create()
    basket.strategy = DefaultStrategy()
    for p, qty in products:
        basket.add_product(p, quantity=qty)
    applicator = Applicator()

    def price() -> Decimal:
        basket.reset_offer_applications()
        applicator.apply(basket)
        return Decimal(basket.total_excl_tax)

    price()
    return price
