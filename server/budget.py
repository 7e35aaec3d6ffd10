"""Cost budgets: the most a task may spend, and the reason its run stops there.

A budget is compared with the task's cost as the usage figures count it: the
turns recorded so far plus what the running reply stream has reported and no
result has yet (what a killed run is then charged). Figures are written in
full, never rounded to look like something else was spent.
"""

from __future__ import annotations

import math

from server.errors import BadRequest, Unprocessable

MAX_BUDGET_USD = 100_000.0
REASON = "budget_exceeded"


def checked(value: object, field: str) -> float | None:
    """A budget a request or the settings gave: null for none, else a positive number."""
    if value is None:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise BadRequest(f"{field} must be a number of US dollars, or null", field=field)
    if not (math.isfinite(value) and 0 < value <= MAX_BUDGET_USD):
        raise Unprocessable(
            f"{field} must be more than 0 and at most {MAX_BUDGET_USD:g} US dollars", field=field
        )
    return float(value)


def exceeded(spent: float, budget: float | None) -> str:
    """Why the task must stop ("" while within budget). Compared at the precision
    costs are shown with: sums of float costs are a hair off (0.0375 + 0.0125)."""
    if budget is None or round(spent, 6) < budget:
        return ""
    return f"{REASON}: {usd(spent)} spent of a {usd(budget)} budget"


def usd(amount: float) -> str:
    """Dollars to the millionth (the precision costs are shown with), trailing zeros
    dropped down to cents."""
    text = f"{round(amount, 6):.6f}".rstrip("0")
    whole, _, cents = text.partition(".")
    return f"${whole}.{cents.ljust(2, '0')}"
