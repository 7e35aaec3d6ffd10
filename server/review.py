"""What the review pane draws, as data: a change's files with Pygments tokens per line,
and the hunks of a conflict.

Highlighted code reaches the browser as ``[class, text]`` pairs, never as HTML:
the page builds text nodes from them, so a hostile file cannot inject markup.
Each side of a hunk (the old lines, the new lines) is lexed as one piece, so a
string or comment spanning lines is coloured as such; a lexer's state does not
carry across hunks, which is the price of never reading whole files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pygments.lexer import Lexer
from pygments.lexers import get_lexer_for_filename
from pygments.token import (
    Comment,
    Keyword,
    Name,
    Number,
    Operator,
    String,
    _TokenType,
)
from pygments.util import ClassNotFound

from runner import conflicts, diffs, repos

# Lexing is regex work on the server's loop thread pool: past this many lines in
# a change, or a line this long (minified code), lines go out plain.
MAX_HIGHLIGHT_LINES = 20_000
MAX_HIGHLIGHT_LINE = 1_000
# The few token groups the stylesheet colours; finer Pygments types fold into them.
_GROUPS: list[tuple[_TokenType, str]] = [
    (Comment, "c"),
    (String, "s"),
    (Number, "m"),
    (Keyword, "k"),
    (Name.Builtin, "nb"),
    (Name.Function, "nf"),
    (Name.Class, "nc"),
    (Name.Decorator, "nd"),
    (Name.Tag, "nt"),
    (Name.Attribute, "na"),
    (Operator, "o"),
]
_group_of: dict[_TokenType, str] = {}
Tokens = list[list[str]]  # [[class, text], ...]; "" is plain text


def diff_json(diff: repos.Diff) -> dict[str, Any]:
    """The diff endpoint's body: the file list, the totals and each file's change. No
    patch text: its size would follow whatever the agent wrote."""
    budget = MAX_HIGHLIGHT_LINES
    files = []
    for change in diff.changes:
        lexer = _lexer(change.path) if budget > 0 else None
        budget -= sum(len(h.lines) for h in change.hunks)
        files.append(_file_json(change, lexer))
    return {
        "files": diff.files,
        "additions": sum(c.additions or 0 for c in diff.changes),
        "deletions": sum(c.deletions or 0 for c in diff.changes),
        "uncounted": sum(c.additions is None for c in diff.changes),  # files not read
        "changes": files,
    }


def diffs_json(each: list[tuple[str, repos.Diff]]) -> dict[str, Any]:
    """The diff endpoint's body for a task's repositories, the primary first: its diff
    as ever, with its name, and every other's, of the same shape, under ``also``."""
    first, *others = [
        {"name": Path(repo).name, "repo": repo, **diff_json(diff)} for repo, diff in each
    ]
    return {**first, "also": others}


def conflicts_json(files: list[conflicts.ConflictFile]) -> dict[str, Any]:
    return {
        "files": [
            {
                "path": f.path,
                "note": f.note,
                "hunks": [[[r.kind, r.line, r.text] for r in hunk] for hunk in f.hunks],
            }
            for f in files
        ]
    }


def _file_json(change: diffs.FileChange, lexer: Lexer | None) -> dict[str, Any]:
    return {
        "path": change.path,
        "old_path": change.old_path,
        "status": change.status,
        "additions": change.additions,
        "deletions": change.deletions,
        "size": change.size,
        "binary": change.binary,
        "notes": change.notes,
        "too_large": change.too_large,
        "hunks": [_hunk_json(h, lexer) for h in change.hunks],
    }


def _hunk_json(hunk: diffs.Hunk, lexer: Lexer | None) -> dict[str, Any]:
    """Lines as ``[kind, old, new, tokens]``: arrays, as a 5,000-line change is a
    lot of repeated keys otherwise."""
    old = [line.text for line in hunk.lines if line.kind != "+"]
    new = [line.text for line in hunk.lines if line.kind != "-"]
    old_tokens, new_tokens = iter(tokens(lexer, old)), iter(tokens(lexer, new))
    lines = []
    for line in hunk.lines:
        old_t = next(old_tokens) if line.kind != "+" else None
        new_t = next(new_tokens) if line.kind != "-" else None
        lines.append([line.kind, line.old, line.new, new_t if new_t is not None else old_t])
    return {"header": hunk.header, "lines": lines}


def tokens(lexer: Lexer | None, lines: list[str]) -> list[Tokens]:
    """Each line as [class, text] pairs whose texts join back to exactly the line."""
    plain = [[["", text]] if text else [] for text in lines]
    if lexer is None or not lines or any(len(t) > MAX_HIGHLIGHT_LINE for t in lines):
        return plain
    out: list[Tokens] = [[]]
    for ttype, value in lexer.get_tokens("\n".join(lines)):
        group = _group(ttype)
        for i, piece in enumerate(value.split("\n")):
            if i:
                out.append([])
            if not piece:
                continue
            row = out[-1]
            if row and row[-1][0] == group:
                row[-1][1] += piece
            else:
                row.append([group, piece])
    out = out[: len(lines)]
    # A lexer may rewrite its input (a lone carriage return becomes a newline): then
    # the lines go out as they are rather than shifted.
    if len(out) != len(lines) or any(
        "".join(t for _, t in row) != text for row, text in zip(out, lines, strict=True)
    ):
        return plain
    return out


def _lexer(path: str) -> Lexer | None:
    try:
        return get_lexer_for_filename(path, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return None


def _group(ttype: _TokenType) -> str:
    group = _group_of.get(ttype)
    if group is None:
        group = next((name for parent, name in _GROUPS if ttype in parent), "")
        _group_of[ttype] = group
    return group
