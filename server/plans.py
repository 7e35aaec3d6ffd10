"""When a backlog task may start by itself, and plans: tasks made together.

A task waits for its dependencies (``depends_on``: each must be done) and for
its ``scheduled_at`` time. A plan (``POST /api/tasks/batch``) names its tasks
by refs, so a step can depend on one made in the same request; refs become
ids here, before anything is stored. The checks are pure: the store runs the
cycle check inside the transaction that adds the edges.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from server.errors import BadRequest, TooLarge, Unprocessable

MAX_DEPENDENCIES = 100
MAX_PLAN = 100  # tasks in one batch


def find_cycle(edges: Mapping[str, Sequence[str]], start: str) -> list[str] | None:
    """A path of dependencies from ``start`` back to it (``start`` at both ends), if any."""
    path: list[str] = []
    seen: set[str] = set()

    def walk(node: str) -> bool:
        for dep in edges.get(node, ()):
            if dep == start:
                path.append(dep)
                return True
            if dep not in seen:
                seen.add(dep)
                path.append(dep)
                if walk(dep):
                    return True
                path.pop()
        return False

    return [start, *path] if walk(start) else None


def cycle_error(cycle: list[str], names: Mapping[str, str]) -> BadRequest:
    chain = " → ".join(names.get(node, node) for node in cycle)
    return BadRequest(f"depends_on would make a cycle: {chain}", field="depends_on")


def dependencies(value: Any) -> list[str]:
    """``depends_on`` as given: a list of task ids (or refs in a plan), repeats dropped."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise BadRequest("depends_on must be a list of task ids", field="depends_on")
    if len(value) > MAX_DEPENDENCIES:
        raise Unprocessable(f"at most {MAX_DEPENDENCIES} dependencies", field="depends_on")
    return list(dict.fromkeys(value))


def scheduled_at(value: Any) -> str:
    """An ISO 8601 time with its zone, as the store keeps times (UTC, ms); "" for none."""
    if value is None or value == "":
        return ""
    if not isinstance(value, str):
        raise BadRequest("scheduled_at must be an ISO 8601 time", field="scheduled_at")
    try:
        when = datetime.fromisoformat(value)
    except ValueError as exc:
        raise Unprocessable(
            f"scheduled_at {value!r} is not an ISO 8601 time", field="scheduled_at"
        ) from exc
    if when.tzinfo is None:
        raise Unprocessable(
            "scheduled_at must include a time zone, e.g. 2026-01-31T23:00:00Z",
            field="scheduled_at",
        )
    return stamp(when)


def stamp(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def due(scheduled: str, now: datetime) -> bool:
    return not scheduled or datetime.fromisoformat(scheduled) <= now


def resolve(items: list[dict[str, Any]], ids: list[str]) -> list[list[str]]:
    """Each item's depends_on with refs to the plan's items made their ``ids`` (the
    rest are taken as stored tasks' ids); a cycle among the items is a 400 naming refs."""
    if not items:
        raise BadRequest("tasks must name at least one task", field="tasks")
    if len(items) > MAX_PLAN:
        raise TooLarge(f"at most {MAX_PLAN} tasks in one batch", field="tasks")
    refs: dict[str, str] = {}
    for index, item in enumerate(items):
        ref = item.get("ref")
        if ref is None:
            continue
        if not isinstance(ref, str) or not ref:
            raise BadRequest(f"tasks[{index}].ref must be a non-empty string", field="ref")
        if ref in refs:
            raise BadRequest(f"ref {ref!r} names two tasks", field="ref")
        refs[ref] = ids[index]
    resolved = [[refs.get(d, d) for d in dependencies(item.get("depends_on"))] for item in items]
    edges = dict(zip(ids, resolved, strict=True))
    names = {new_id: ref for ref, new_id in refs.items()}
    for new_id in ids:
        cycle = find_cycle(edges, new_id)
        if cycle:
            raise cycle_error(cycle, names)
    return resolved
