"""Plain-text formatting of figures shared by domain and render (money, percentages, cents).

Lowest layer: imports nothing of the project, so every package may use it.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def cents(amount: Decimal) -> Decimal:
    """`amount` rounded to cents (half up, as invoices do)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def format_money(amount: Decimal, currency: str = "USD") -> str:
    """`$12,345.67` (other currencies: `12,345.67 EUR`)."""
    text = f"{cents(amount):,.2f}"
    if amount < 0:
        text = text.lstrip("-")
        return f"-${text}" if currency == "USD" else f"-{text} {currency}"
    return f"${text}" if currency == "USD" else f"{text} {currency}"


def money(amount: Decimal | None, currency: str = "USD") -> str:
    """`$12,345.67`, or `—`."""
    return "—" if amount is None else format_money(amount, currency)


def pct(value: Decimal | None) -> str:
    """`85.0 %`, or `—`."""
    return "—" if value is None else f"{value:,.1f} %"
