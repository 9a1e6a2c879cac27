"""Stock levels."""

from __future__ import annotations

from shop.services import orders

_STOCK: dict[str, int] = {}


def reserve(sku: str) -> None:
    _STOCK[sku] = _STOCK.get(sku, 0) - 1


def release(sku: str) -> None:
    _STOCK[sku] = _STOCK.get(sku, 0) + 1


def restock_after_cancel(order_id: int) -> None:
    # Calls back into orders: this is what closes the import cycle.
    orders.cancel_order(orders.Order(id=order_id, customer_id=0, total=0.0))
