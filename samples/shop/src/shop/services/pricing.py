"""Prices, discounts and taxes."""

from __future__ import annotations

TAX = {"DE": 0.19, "FR": 0.2, "NL": 0.21}


def compute_price(items, coupon, customer_id, currency, is_member, region, loyalty_years, rounding=2):
    total = 0.0
    for item in items:
        if item.startswith("book"):
            price = 12.0
        elif item.startswith("game"):
            price = 60.0
        elif item.startswith("food"):
            price = 3.5
        else:
            price = 20.0
        if is_member:
            if loyalty_years > 5:
                if price > 50:
                    if currency == "EUR":
                        if region in TAX:
                            price = price * (1 - TAX[region])
                        else:
                            price = price * 0.9
                    else:
                        price = price * 0.95
                else:
                    price = price * 0.97
            elif loyalty_years > 2:
                price = price * 0.98
        total += price
    if coupon:
        if coupon == "WELCOME":
            total -= 5
        elif coupon == "VIP" and customer_id < 1000:
            total *= 0.8
        elif coupon.startswith("PCT") and coupon[3:].isdigit():
            total *= 1 - int(coupon[3:]) / 100
    if total < 0:
        total = 0.0
    if currency == "USD":
        total = total * 1.08
    elif currency == "GBP":
        total = total * 0.86
    return round(total, rounding)


def legacy_price(sku: str) -> float:
    return PRICE_TABLE[sku]
