"""Where a task's change and the default branch collide, hunk by hunk.

An accept whose rebase conflicted leaves the task in review with the files
named; this shows why. The task's change (its workspace's files, snapshotted
into the host-only git dir) is merged in memory with the default branch as
it is now, on the task's base commit as the ancestor. Nothing is written to
the user's repository or checkout: ``merge_trees`` and ``merge_file_from_index``
return their results without touching a ref or a working tree.

After a conflict round (``resolve``) the workspace itself holds the markers,
the default branch's side first as here: a file the agent left marked shows
its hunks from the workspace, and ``still_marked`` keeps accept from landing it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pygit2
from pygit2.enums import ObjectType

from runner import workspaces
from runner.repos import branch_head, open_repo

CONTEXT = 3  # lines shown either side of a conflict, as git's own diffs do
_OURS, _SPLIT, _THEIRS = "<<<<<<<", "=======", ">>>>>>>"
_MARKS = (_OURS.encode(), _THEIRS.encode())


@dataclass(frozen=True)
class Row:
    kind: str  # " " context, "branch" the default branch's side, "task" the task's side
    line: int | None  # its number in the task's version of the file (None: the branch's)
    text: str


@dataclass(frozen=True)
class ConflictFile:
    path: str
    note: str  # why there are no hunks (a side deleted the file, a binary file), else ""
    hunks: list[list[Row]]


def conflicts(
    ws: workspaces.Workspace, repo_path: Path, base_branch: str, marked: Sequence[str] = ()
) -> list[ConflictFile]:
    """The conflicts of the workspace's files merged onto ``base_branch``'s tip, and those
    of the ``marked`` files that still hold markers in the workspace (blocking)."""
    user = open_repo(repo_path)
    head = branch_head(user, base_branch, repo_path)
    host, tree = workspaces.snapshot(ws)
    ancestor = host[ws.base_commit].peel(pygit2.Commit).tree
    branch = host[head.id].peel(pygit2.Commit).tree
    files = host[tree].peel(pygit2.Tree)
    index = host.merge_trees(ancestor, branch, files)
    out = []
    for base, ours, theirs in index.conflicts or ():
        path = next(e.path for e in (ours, theirs, base) if e is not None)
        out.append(_file(host, path, base, ours, theirs))
    seen = {f.path for f in out}
    for path in still_marked(host, files, [p for p in marked if p not in seen]):
        text = host[files[path].id].peel(pygit2.Blob).data.decode(errors="replace")
        out.append(ConflictFile(path, "", hunks(text.splitlines())))
    return sorted(out, key=lambda f: f.path)


def still_marked(host: pygit2.Repository, tree: pygit2.Tree, paths: Sequence[str]) -> list[str]:
    """Those of ``paths`` whose text in ``tree`` has a line opening or closing a conflict
    (the ``=======`` between is also a Markdown heading's underline)."""
    found = []
    for path in paths:
        if path not in tree or tree[path].type != ObjectType.BLOB:
            continue
        blob = host[tree[path].id].peel(pygit2.Blob)
        if blob.is_binary:
            continue
        if any(line.startswith(_MARKS) for line in blob.data.splitlines()):
            found.append(path)
    return sorted(found)


def _file(
    host: pygit2.Repository,
    path: str,
    base: pygit2.IndexEntry | None,
    ours: pygit2.IndexEntry | None,
    theirs: pygit2.IndexEntry | None,
) -> ConflictFile:
    if ours is None or theirs is None:
        side = "the default branch" if ours is None else "the task"
        return ConflictFile(path, f"deleted by {side} and changed by the other", [])
    if any(host[e.id].peel(pygit2.Blob).is_binary for e in (ours, theirs)):
        return ConflictFile(path, "binary file changed on both sides", [])
    merged = host.merge_file_from_index(base, ours, theirs, use_deprecated=False)
    return ConflictFile(path, "", hunks(merged.contents.splitlines()))


def hunks(lines: list[str]) -> list[list[Row]]:
    """The conflict regions of a merged file (git's markers gone), with context around
    each; regions closer than twice the context share a hunk."""
    rows = _classify(lines)
    spans: list[list[int]] = []
    for i, row in enumerate(rows):
        if row.kind == " ":
            continue
        lo, hi = max(0, i - CONTEXT), min(len(rows), i + 1 + CONTEXT)
        if spans and lo <= spans[-1][1]:
            spans[-1][1] = hi
        else:
            spans.append([lo, hi])
    return [rows[lo:hi] for lo, hi in spans]


def _classify(lines: list[str]) -> list[Row]:
    out = []
    side = " "
    number = 0
    for line in lines:
        if line.startswith(_OURS) and side == " ":
            side = "branch"
        elif line.startswith(_SPLIT) and side == "branch":
            side = "task"
        elif line.startswith(_THEIRS) and side == "task":
            side = " "
        elif side == "branch":
            out.append(Row(side, None, line))
        else:
            number += 1
            out.append(Row(side, number, line))
    return out
