"""The usage page's data: turns summed per local day, repository and agent, as JSON and CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from runner.agents import Usage
from tests.gitrepo import make_repo
from tests.server_process import ServerProcess
from tests.turns import turn


@pytest.fixture
def used(bare_server: ServerProcess, tmp_path: Path) -> ServerProcess:
    """Three turns: two today in two repositories, one yesterday with Codex."""
    other = make_repo(tmp_path / "other")
    one = bare_server.create("one")
    two = bare_server.create("two", repo=str(other))
    three = bare_server.create("three", agent="codex")
    now = datetime.now(UTC).replace(hour=12)
    turn(bare_server, one["id"], now, Usage(100, 10, 1000, 5, 0.25))
    turn(bare_server, two["id"], now, Usage(200, 20, 0, 0, 0.5))
    turn(bare_server, three["id"], now - timedelta(days=1), Usage(7, 3, 0, 0, 0.125))
    return bare_server


def test_usage_is_summed_per_day_repository_and_agent(used: ServerProcess) -> None:
    data = used.api("GET", "/api/usage?days=7")
    today = datetime.now(UTC).date()
    assert len(data["days"]) == 7 and data["days"][-1] == today.isoformat()
    assert data["totals"] == {
        "input_tokens": 307,
        "output_tokens": 33,
        "cache_read_input_tokens": 1000,
        "cache_creation_input_tokens": 5,
        "cost_usd": 0.875,
    }
    by = {(r["day"], Path(r["repo"]).name, r["agent"]): r["cost_usd"] for r in data["rows"]}
    yesterday = (today - timedelta(days=1)).isoformat()
    assert by == {
        (today.isoformat(), "project", "claude"): 0.25,
        (today.isoformat(), "other", "claude"): 0.5,
        (yesterday, "project", "codex"): 0.125,
    }
    only_today = used.api("GET", "/api/usage?days=1")
    assert only_today["totals"]["cost_usd"] == 0.75


def test_a_day_is_the_clients_local_day(used: ServerProcess) -> None:
    """12:00 UTC is already tomorrow 14 hours east, and still today 11 hours west."""
    east = used.api("GET", "/api/usage?days=3&offset=840")
    west = used.api("GET", "/api/usage?days=3&offset=-660")
    utc_today = datetime.now(UTC).date()
    assert {r["day"] for r in east["rows"]} == {
        (utc_today + timedelta(days=d)).isoformat() for d in (0, 1)
    }
    assert {r["day"] for r in west["rows"]} == {
        (utc_today - timedelta(days=d)).isoformat() for d in (0, 1)
    }


def test_the_csv_holds_the_same_rows(used: ServerProcess) -> None:
    response = used.request("GET", "/api/usage.csv?days=7")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 3
    assert sum(float(r["cost_usd"]) for r in rows) == 0.875
    assert {Path(r["repo"]).name for r in rows} == {"project", "other"}


@pytest.mark.parametrize(
    ("query", "field"),
    [("days=0", "days"), ("days=400", "days"), ("days=x", "days"), ("offset=9999", "offset")],
)
def test_a_bad_period_names_its_field(bare_server: ServerProcess, query: str, field: str) -> None:
    response = bare_server.request("GET", f"/api/usage?{query}")
    assert response.status_code == 400
    assert response.json()["field"] == field
