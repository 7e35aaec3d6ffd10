"""The commit message accept proposes from a title, and the check on a written one."""

from __future__ import annotations

import pytest

from server.errors import Unprocessable
from server.messages import MAX_MESSAGE_CHARS, checked, plain, proposed
from server.model import Task
from server.states import Status


@pytest.mark.parametrize(
    ("title", "subject"),
    [
        ("Add a parser", "Add a parser"),
        ("add a parser.", "Add a parser"),
        ("## Fix the **login** page", "Fix the login page"),
        ("- use `snake_case` in [the docs](https://x.example)", "Use snake_case in the docs"),
        ("Rename my_var and __init__ helpers", "Rename my_var and __init__ helpers"),
        ("Make it *really* fast:", "Make it really fast"),
        ("1. first   step\tonly", "First step only"),
        ("x" * 100, "X" + "x" * 70 + "…"),
        ("", "Wallfacer task"),
        ("**  **", "Wallfacer task"),
    ],
)
def test_a_title_becomes_a_plain_subject(title: str, subject: str) -> None:
    assert proposed(title) == subject
    assert len(proposed(title)) <= 72


def test_a_written_message_is_trimmed_and_kept_whole() -> None:
    assert checked("  Fix it\n\nBecause of #12.\n") == "Fix it\n\nBecause of #12."


@pytest.mark.parametrize("message", ["", "  \n ", "x" * (MAX_MESSAGE_CHARS + 1)])
def test_an_empty_or_huge_message_is_refused_naming_its_field(message: str) -> None:
    with pytest.raises(Unprocessable) as refused:
        checked(message)
    assert refused.value.field == "message"


def test_a_card_shows_the_title_without_markdown_but_as_written() -> None:
    task = Task(
        id="t", prompt="## Fix the **login** page.\nthen more", status=Status.BACKLOG, repo="/r"
    )
    shown = task.to_json()
    assert shown["plain_title"] == plain(shown["title"]) == "Fix the login page."
    assert shown["title"] == "## Fix the **login** page."
