"""Tags: the short names a person files tasks under, and the board filters by.

A tag is a word a URL can carry as it is (``?tag=``) and a chip can show in
full: letters, digits and ``._-``, starting with a letter or digit. Tags are
kept as given (case included), without repeats, in their first order.
"""

from __future__ import annotations

import re

from server.errors import BadRequest, Unprocessable

MAX_TAGS = 10
MAX_TAG_CHARS = 32
_TAG = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._-]{{0,{MAX_TAG_CHARS - 1}}}")


def checked(value: object, field: str = "tags") -> list[str]:
    """The tags a request gave, or 400 (not a list of strings) / 422 (a bad tag)."""
    if not isinstance(value, list) or not all(isinstance(tag, str) for tag in value):
        raise BadRequest(f'"{field}" must be a list of strings', field=field)
    tags = list(dict.fromkeys(value))
    if len(tags) > MAX_TAGS:
        raise Unprocessable(f"at most {MAX_TAGS} tags, not {len(tags)}", field=field)
    for tag in tags:
        check(tag, field, Unprocessable)
    return tags


def check(tag: str, field: str, error: type[BadRequest | Unprocessable] = BadRequest) -> str:
    if not _TAG.fullmatch(tag):
        raise error(
            f"tag {tag[:40]!r} must be 1 to {MAX_TAG_CHARS} letters, digits, '.', '_' or '-',"
            " starting with a letter or digit",
            field=field,
        )
    return tag
