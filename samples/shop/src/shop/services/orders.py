"""Placing orders."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shop.domain.models import Order
from shop.services import inventory
from shop.services.pricing import compute_price

if TYPE_CHECKING:
    from shop.adapters.db import Database


def place_order(customer_id: int, items: list[str], coupon: str | None) -> Order:
    for sku in items:
        inventory.reserve(sku)
    total = compute_price(items, coupon, customer_id, "EUR", False, None, 0)
    return Order(id=hash((customer_id, tuple(items))) % 10_000, customer_id=customer_id, total=total)


def cancel_order(order: Order, db: Database | None = None) -> None:
    for sku in order.items:
        inventory.release(sku)
