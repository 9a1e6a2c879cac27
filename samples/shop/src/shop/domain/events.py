"""Domain events."""

from __future__ import annotations

from dataclasses import dataclass

from shop.adapters import notifier


@dataclass(frozen=True)
class OrderPlaced:
    order_id: int

    def announce(self) -> None:
        notifier.send_receipt(self.order_id, "customer@example.com")
