"""Request and response shapes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class OrderRequest:
    customer_id: int
    items: list[str]
    coupon: str | None = None


@dataclass
class OrderResponse:
    order_id: int
    total: float
