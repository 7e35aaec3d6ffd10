"""A change as review shows it: per file, its +/- counts, notes and hunks of numbered lines.

Built from libgit2's own patches (``pygit2.Patch``), so line numbers and counts
are git's, never re-parsed from patch text. A file whose diff is past the caps
keeps its counts but no lines: a generated file (a lock file, a bundle, a data
dump) is not read line by line, and a browser should not be asked to draw it.
A file past the byte cap is not read at all (libgit2 would load it whole to
diff it): its size comes from the object's header, and its counts are unknown.
"""

from __future__ import annotations

from dataclasses import dataclass

import pygit2
from pygit2.enums import DeltaStatus, DiffFlag, FileMode

# Past either cap a file shows as "too large to show". 10,000 lines is about
# twice the 5,000-line change bench.p9_diff draws in well under half a second;
# the byte cap (a setting; this is its default) catches a minified file of a few
# very long lines, and keeps a huge file out of memory.
MAX_FILE_LINES = 10_000
MAX_FILE_BYTES = 1024 * 1024
# Past this many lines in the change, later files keep only their counts: the
# whole response stays a few MB however many files a task rewrote.
MAX_TOTAL_LINES = 50_000
_LINK, _EXECUTABLE = 0o120000, 0o100755
_KINDS = {"+", "-", " "}  # libgit2's other origins mark a missing final newline


@dataclass(frozen=True)
class Line:
    kind: str  # "+", "-" or " "
    old: int | None  # its number in the old file (None for an added line)
    new: int | None
    text: str  # without its newline


@dataclass(frozen=True)
class Hunk:
    header: str
    lines: list[Line]


@dataclass(frozen=True)
class FileChange:
    path: str
    old_path: str
    status: str  # added, deleted, modified, renamed, ...
    additions: int | None  # None: the file is past the byte cap, so it was not read
    deletions: int | None
    size: int  # in bytes, of the larger side
    binary: bool
    notes: list[str]  # what a review must not miss: a new link, an executable bit
    too_large: bool
    hunks: list[Hunk]


def changes(
    diff: pygit2.Diff, odb: pygit2.Odb, max_bytes: int = MAX_FILE_BYTES
) -> list[FileChange]:
    """Each file's change; ``odb`` holds both sides, whose sizes decide which are read."""
    out = []
    budget = MAX_TOTAL_LINES
    for index, delta in enumerate(diff.deltas):
        size = max(_size(odb, delta.old_file), _size(odb, delta.new_file))
        if size > max_bytes:
            out.append(_change(delta, size, None, True))
            continue
        patch = diff[index]
        if patch is None:  # libgit2 gives none for an unchanged entry
            continue
        lines = sum(len(h.lines) for h in patch.hunks)
        chars = sum(len(line.content) for h in patch.hunks for line in h.lines)
        too_large = lines > min(MAX_FILE_LINES, budget) or chars > max_bytes
        change = _change(patch.delta, size, patch, too_large)
        budget -= sum(len(h.lines) for h in change.hunks)
        out.append(change)
    return out


def _size(odb: pygit2.Odb, file: pygit2.DiffFile) -> int:
    """A side's size from its object's header, never its content (0 when absent)."""
    # A zero id (falsy) is an absent side; a submodule's commit is not in these objects.
    if not file.id or file.mode == FileMode.COMMIT:
        return 0
    return odb.read_header(file.id)[1]


def _change(
    delta: pygit2.DiffDelta, size: int, patch: pygit2.Patch | None, too_large: bool
) -> FileChange:
    """``patch`` is None for a file not read: then its counts are unknown."""
    additions = deletions = None
    hunks: list[Hunk] = []
    # Known once the patch is made; read from the flags, as ``is_binary`` on a delta
    # without a patch would have libgit2 load the file to find out.
    binary = patch is not None and bool(delta.flags & DiffFlag.BINARY)
    if patch is not None:
        _context, additions, deletions = patch.line_stats
        if not too_large and not binary:
            hunks = [_hunk(h) for h in patch.hunks]
    return FileChange(
        path=delta.new_file.path,
        old_path=delta.old_file.path,
        status=DeltaStatus(delta.status).name.lower(),
        additions=additions,
        deletions=deletions,
        size=size,
        binary=binary,
        notes=_notes(delta, binary),
        too_large=too_large,
        hunks=hunks,
    )


def _hunk(hunk: pygit2.DiffHunk) -> Hunk:
    lines = [
        Line(
            line.origin,
            line.old_lineno if line.old_lineno > 0 else None,
            line.new_lineno if line.new_lineno > 0 else None,
            line.content.removesuffix("\n").removesuffix("\r"),
        )
        for line in hunk.lines
        if line.origin in _KINDS
    ]
    return Hunk(hunk.header.rstrip("\n"), lines)


def _notes(delta: pygit2.DiffDelta, binary: bool) -> list[str]:
    old, new = delta.old_file.mode, delta.new_file.mode
    notes = []
    if delta.status == DeltaStatus.ADDED:
        notes.append(f"new file mode {new:o}{_what(new)}")
    elif delta.status == DeltaStatus.DELETED:
        notes.append(f"deleted file mode {old:o}{_what(old)}")
    elif old != new:
        notes.append(f"mode {old:o} → {new:o}{_what(new)}")
    if delta.status == DeltaStatus.RENAMED:
        notes.append(f"renamed from {delta.old_file.path}")
    if binary:
        notes.append("binary file")
    return notes


def _what(mode: int) -> str:
    return {_LINK: " (a symbolic link)", _EXECUTABLE: " (executable)"}.get(mode, "")
