"""Splitting container output into lines, whatever the chunking."""

from __future__ import annotations

from runner.lines import split_lines


def test_lines_split_across_chunks_are_joined() -> None:
    chunks = [b'{"a":', b'1}\n{"b"', b":2}\n", b"tail"]
    assert list(split_lines(chunks)) == ['{"a":1}', '{"b":2}', "tail"]


def test_carriage_returns_and_bad_utf8_are_survived() -> None:
    assert list(split_lines([b"one\r\ntw\xffo\n"])) == ["one", "tw\ufffdo"]


def test_an_endless_line_is_cut_at_the_limit_and_the_next_line_is_whole() -> None:
    chunks = [b"x" * 700] * 10 + [b"\nnext\n"]
    lines = list(split_lines(chunks, max_bytes=1000))
    assert lines == ["x" * 1000, "next"]


def test_empty_lines_are_kept_as_empty() -> None:
    assert list(split_lines([b"\n\na\n"])) == ["", "", "a"]
