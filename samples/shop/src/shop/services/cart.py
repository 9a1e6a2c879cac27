"""Shopping carts."""

from __future__ import annotations


def add_items(sku: str, quantity: int, cart: list[str] = []) -> list[str]:
    cart.extend([sku] * quantity)
    return cart
