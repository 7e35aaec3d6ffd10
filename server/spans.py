"""The other repositories a new task spans (``also``), checked before it is stored.

Each gets a workspace of its own at ``/workspace/<name>``, so names must not
meet: every one must be a registered repository (the board lists it, and the
user chose it), none may be the primary or named twice, and no two of them,
primary included, may share a folder name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from runner import repos
from runner.errors import RunnerError
from server.errors import BadRequest, Unprocessable
from server.model import Also

MAX_ALSO = 8  # more workspaces than this per task is a mistake, not a plan


def checked(value: Any, primary: str, registered: list[str]) -> list[Also]:
    """``also`` as given (a list of repository paths), each resolved as the store keeps
    repositories (blocking: it opens each)."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise BadRequest("also must be a list of repository paths", field="also")
    if len(value) > MAX_ALSO:
        raise Unprocessable(f"at most {MAX_ALSO} more repositories per task", field="also")
    names = {Path(primary).name: primary}
    made: list[Also] = []
    for given in value:
        try:
            path = str(repos.inspect_repo(given).path)
        except RunnerError as exc:
            raise BadRequest(f"also: {exc}", field="also") from exc
        if path not in registered:
            raise Unprocessable(f"also: {given} is not a registered repository", field="also")
        if path == primary or any(a.repo == path for a in made):
            raise Unprocessable(f"also: {given} is named twice for this task", field="also")
        name = Path(path).name
        if name in names:
            raise Unprocessable(
                f"also: {given} and {names[name]} would both be /workspace/{name}", field="also"
            )
        names[name] = path
        made.append(Also(repo=path))
    return made
