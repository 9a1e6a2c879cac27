"""Orders and customers."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from shop.api.schemas import OrderResponse


class Repository(ABC):
    @abstractmethod
    def get(self, order_id: int) -> Order: ...


@dataclass
class Order:
    id: int
    customer_id: int
    total: float
    items: list[str] = field(default_factory=list)

    def as_response(self) -> OrderResponse:
        return OrderResponse(order_id=self.id, total=self.total)
