"""A workspace made ready for its agent to resolve an accept's conflict.

When accept's rebase conflicts, the task's agent is asked to make its change
apply on the default branch's new head. The host does the merge, as sync
does, and leaves the agent only what git could not merge: the workspace
becomes that head with the task's change merged in, each conflicting text
file holding both sides between conflict markers (the default branch's
first), and its git dir is made anew at that head, so ``git diff`` inside
shows the change as the agent's own. After the agent's run, accept's rebase
is then trivial unless the branch moved again, and a file still holding
markers is refused (``merge.accept``'s ``marked``), never landed.

Why not have the agent rebase in its own git dir: the host never reads that
dir back (it is the agent's, and may hold any hook or config), so its result
would be files either way; merging on the host reads the workspace as
``workspaces.snapshot`` does and writes it through ``writeback``, trusting
nothing in it, and the agent needs no git at all.

A file deleted on one side and changed on the other, a binary file and one
that is not UTF-8 text cannot hold markers: the task's side stays, and the
agent is told which files to look at.

Crash safety: the change is saved first (``save_change``) as a commit in the
host's git dir; ``prepare`` from it is idempotent, so a preparation cut off
part way is redone whole from the same commit.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import pygit2

from runner import merge, workspaces, writeback
from runner.errors import NothingToMerge, WorkspaceRefused
from runner.repos import branch_head, open_repo

TASK_LABEL = "your change"


@dataclass(frozen=True)
class Prepared:
    base: str  # the task's base commit now: the default branch's head
    subject: str  # that commit's subject, for the agent's prompt
    files: list[str]  # the paths git could not merge, sorted


def save_change(repo_path: Path, ws: workspaces.Workspace) -> str:
    """The workspace's files as a commit on the task's base, in the host's git dir."""
    oid = workspaces.commit(ws, "the task's change", merge.signature(open_repo(repo_path)))
    if oid is None:
        raise NothingToMerge("nothing to merge: the task changed no files")
    return str(oid)


def prepare(
    repo_path: Path, ws: workspaces.Workspace, task_id: str, base_branch: str, change: str
) -> Prepared:
    """Make the workspace ``change`` merged onto ``base_branch``'s head, markers where it
    conflicts, on a git dir at that head; the task's branch and base ref follow."""
    with merge.repo_lock(repo_path):
        user = open_repo(repo_path)
        upstream = branch_head(user, base_branch, repo_path)
        host = workspaces.host_repo(ws)
        commit = host[change].peel(pygit2.Commit)
        ancestor = commit.parents[0].tree
        label = f"{base_branch} ({str(upstream.id)[:12]})"
        tree, files = _merged(host, ancestor, upstream.tree, commit.tree, label)
        # What the workspace holds now: the change, or a part way preparation's result.
        current = host[workspaces.snapshot(ws)[1]].peel(pygit2.Tree)
        try:
            writeback.apply(ws, host, current, host[tree].peel(pygit2.Tree))
            writeback.replace_git(ws, upstream)
        except (OSError, RecursionError) as exc:  # a folder the agent made unwritable
            raise WorkspaceRefused(f"the workspace could not be written: {exc}") from exc
        workspaces.set_base(user, task_id, upstream.id)
        subject = upstream.message.splitlines()[0] if upstream.message.strip() else ""
        return Prepared(str(upstream.id), subject, files)


def _merged(
    host: pygit2.Repository,
    ancestor: pygit2.Tree,
    branch: pygit2.Tree,
    task: pygit2.Tree,
    label: str,
) -> tuple[pygit2.Oid, list[str]]:
    """The three-way merge as a tree, each conflict resolved into its marked text (or
    the task's side); and the conflicting paths."""
    index = host.merge_trees(ancestor, branch, task)
    triples = list(index.conflicts or ())
    files = {e.path for triple in triples for e in triple if e is not None}
    for path in files:
        if index.conflicts is None:  # the last one is gone
            break
        with suppress(KeyError):  # a rename's entries share one conflict
            del index.conflicts[path]
    for base, ours, theirs in triples:
        if theirs is None:
            continue  # the task deleted it: so it stays
        index.add(_resolved(host, base, ours, theirs, label))
    return index.write_tree(host), sorted(files)


def _resolved(
    host: pygit2.Repository,
    base: pygit2.IndexEntry | None,
    ours: pygit2.IndexEntry | None,
    theirs: pygit2.IndexEntry,
    label: str,
) -> pygit2.IndexEntry:
    if ours is None or any(host[e.id].peel(pygit2.Blob).is_binary for e in (ours, theirs)):
        return pygit2.IndexEntry(theirs.path, theirs.id, theirs.mode)
    try:
        merged = host.merge_file_from_index(base, ours, theirs, use_deprecated=False)
    except UnicodeDecodeError:
        return pygit2.IndexEntry(theirs.path, theirs.id, theirs.mode)
    # git labels both sides with the path: say which side is which instead.
    lines = merged.contents.split("\n")
    for i, line in enumerate(lines):
        if line == f"<<<<<<< {ours.path}":
            lines[i] = f"<<<<<<< {label}"
        elif line == f">>>>>>> {theirs.path}":
            lines[i] = f">>>>>>> {TASK_LABEL}"
    blob = host.create_blob("\n".join(lines).encode())
    return pygit2.IndexEntry(theirs.path, blob, theirs.mode)
