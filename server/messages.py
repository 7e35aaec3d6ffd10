"""The commit message accept proposes, and the check on one a person wrote.

A title is often Markdown (`**Fix** the [parser](…)`) or a sentence with a
full stop; a commit subject is neither. The board shows the proposal in the
accept dialog, where the person can change it.
"""

from __future__ import annotations

import re

from server.errors import Unprocessable

MAX_MESSAGE_CHARS = 10_000
SUBJECT_CHARS = 72
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
# Stars only: underscores are as likely an identifier's (__init__) as emphasis.
_STRONG = re.compile(r"\*\*(.+?)\*\*")
_EMPHASIS = re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])")
_CODE = re.compile(r"`+([^`]*)`+")
_LEAD = re.compile(r"^(#{1,6}|>|[-+*]|\d+[.)])\s+")


def plain(title: str) -> str:
    """The title's text without its Markdown, on one line: what a card shows."""
    text = _LEAD.sub("", title.strip())
    for markup in (_LINK, _CODE, _STRONG, _EMPHASIS):
        text = markup.sub(r"\1", text)
    return " ".join(text.split())


def proposed(title: str) -> str:
    """A subject line from the task's title: plain text, capitalised, no full stop."""
    return subject(plain(title))


def subject(text: str) -> str:
    """``proposed`` for a title already made plain (a list of tasks has it at hand)."""
    text = text.rstrip(".:;, ")
    if len(text) > SUBJECT_CHARS:
        text = text[: SUBJECT_CHARS - 1].rstrip() + "…"
    return text[:1].upper() + text[1:] if text else "Wallfacer task"


def checked(message: str) -> str:
    """A message a person wrote, trimmed; git keeps its lines as they are."""
    text = message.strip()
    if not text:
        raise Unprocessable("the commit message must not be empty", field="message")
    if len(text) > MAX_MESSAGE_CHARS:
        raise Unprocessable(
            f"the commit message is longer than {MAX_MESSAGE_CHARS} characters", field="message"
        )
    return text
