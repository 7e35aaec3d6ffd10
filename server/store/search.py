"""Turning what a person typed into an FTS5 query that cannot be a syntax error.

FTS5 has its own query language (AND, NEAR, quotes, ``*``, column filters);
user text must never be read as it. Each whitespace-separated word becomes a
quoted string (quotes inside doubled), so FTS5 only tokenizes it, and a prefix
query, so the board can search as the person types. Words are ANDed.
"""

from __future__ import annotations


def match_expression(text: str) -> str:
    """The MATCH argument for ``text`` (which must hold a word)."""
    words = text.split()
    return " ".join('"' + word.replace('"', '""') + '"*' for word in words)
