"""The usage page's data: cost and tokens per day, repository, agent and activity
(the task's run, a verifier, a helper), as JSON or CSV.

Days are the client's local days: it sends its offset from UTC, so a turn at
23:30 in Berlin counts on the Berlin day it happened.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from server.api.common import int_query, ok, services
from server.store.usage import USAGE_COLUMNS

MAX_DAYS = 366


async def usage(request: web.Request) -> web.Response:
    days, rows = await _rows(request)
    totals = {c: sum(row[c] for row in rows) for c in USAGE_COLUMNS}
    totals["cost_usd"] = round(totals["cost_usd"], 6)
    return ok({"days": days, "rows": rows, "totals": totals})


async def usage_csv(request: web.Request) -> web.Response:
    days, rows = await _rows(request)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["day", "repo", "agent", "activity", *USAGE_COLUMNS])
    for row in rows:
        # Days, absolute paths and agent names: no cell a spreadsheet would take for a formula.
        writer.writerow(
            [
                row["day"],
                row["repo"],
                row["agent"],
                row["activity"],
                *(row[c] for c in USAGE_COLUMNS),
            ]
        )
    name = f"wallfacer-usage-{days[0]}-to-{days[-1]}.csv"
    return web.Response(
        text=out.getvalue(),
        content_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


async def _rows(request: web.Request) -> tuple[list[str], list[dict[str, Any]]]:
    """The local days asked for (oldest first) and the rows that fall in them."""
    count = int_query(request, "days", 30, 1, MAX_DAYS)
    offset = int_query(request, "offset", 0, -14 * 60, 14 * 60)  # minutes east of UTC
    shift = timedelta(minutes=offset)
    today = (datetime.now(UTC) + shift).date()
    first = today - timedelta(days=count - 1)
    since = datetime(first.year, first.month, first.day, tzinfo=UTC) - shift
    stamp = since.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    store = services(request).store
    rows = await services(request).io(store.usage_by_day, stamp, offset)
    for row in rows:
        row["cost_usd"] = round(row["cost_usd"], 6)
    days = [(first + timedelta(days=n)).isoformat() for n in range(count)]
    return days, rows
