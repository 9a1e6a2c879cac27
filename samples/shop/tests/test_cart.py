"""Tests of the cart, written the way tests are: fixtures a product would never ship."""

from __future__ import annotations

import pytest
import requests

from shop.services.cart import add_items

STAFF_PASSWORD = "correct-horse"  # a fixture's password, not a secret


def test_add_items_repeats_the_sku() -> None:
    assert add_items("apple", 2, []) == ["apple", "apple"]


def test_a_cart_is_required() -> None:
    with pytest.raises(Exception):
        add_items("apple", 1, None)  # type: ignore[arg-type]


def test_the_shop_answers() -> None:
    response = requests.get("http://localhost:8000/health")
    assert response.status_code == 200
