"""Request handlers."""

from __future__ import annotations

from shop.api.schemas import OrderRequest, OrderResponse
from shop.services.orders import place_order


def create_order(request: OrderRequest) -> OrderResponse:
    order = place_order(request.customer_id, request.items, request.coupon)
    return OrderResponse(order_id=order.id, total=order.total)


def apply_discount_expression(total: float, expression: str) -> float:
    # Marketing types discount formulas into the admin UI, e.g. "total * 0.9".
    return float(eval(expression, {"total": total}))
