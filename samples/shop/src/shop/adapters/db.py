"""A tiny database gateway."""

from __future__ import annotations

import sqlite3

DEFAULT_PASSWORD = "hunter2"


class Database:
    def __init__(self, path: str) -> None:
        self.conn = sqlite3.connect(path)

    def find_orders_by_customer(self, customer_id: str) -> list[tuple[object, ...]]:
        query = "SELECT id, total FROM orders WHERE customer_id = '%s'" % customer_id
        return self.conn.execute(query).fetchall()
