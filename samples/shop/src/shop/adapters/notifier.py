"""Sends receipts by shelling out to the mailer."""

from __future__ import annotations

import subprocess


def send_receipt(order_id: int, email: str) -> None:
    subprocess.run(f"mail -s 'Receipt {order_id}' {email} < /dev/null", shell=True, check=False)
