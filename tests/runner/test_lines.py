"""Splitting container output into lines, whatever the chunking."""

from __future__ import annotations

from runner.lines import CutLine, split_lines


def test_lines_split_across_chunks_are_joined() -> None:
    chunks = [b'{"a":', b'1}\n{"b"', b":2}\n", b"tail"]
    assert list(split_lines(chunks)) == ['{"a":1}', '{"b":2}', "tail"]


def test_a_last_line_without_newline_can_be_held_back_for_a_second_read() -> None:
    assert list(split_lines([b"a\nb\npart"], partial=False)) == ["a", "b"]
    assert list(split_lines([b"a\n"], partial=False)) == ["a"]


def test_carriage_returns_and_bad_utf8_are_survived() -> None:
    assert list(split_lines([b"one\r\ntw\xffo\n"])) == ["one", "tw\ufffdo"]


def test_an_endless_line_is_cut_at_the_limit_and_the_next_line_is_whole() -> None:
    chunks = [b"x" * 700] * 10 + [b"\nnext\n"]
    lines = list(split_lines(chunks, max_bytes=1000))
    assert lines == ["x" * 1000, "next"]


def test_empty_lines_are_kept_as_empty() -> None:
    assert list(split_lines([b"\n\na\n"])) == ["", "", "a"]


def test_a_line_that_never_ends_is_held_to_the_limit_and_what_was_dropped_is_counted() -> None:
    endless = (b"y" * 65536 for _ in range(1600))  # 100 MiB, never a newline
    lines = split_lines(endless, max_bytes=1000)
    line = next(lines)
    assert line == "y" * 1000
    assert isinstance(line, CutLine) and line.dropped == 1600 * 65536 - 1000
    assert list(lines) == []


def test_a_cut_line_counts_only_its_own_dropped_bytes() -> None:
    lines = list(split_lines([b"a" * 1500 + b"\nshort\n" + b"b" * 1200], max_bytes=1000))
    assert lines == ["a" * 1000, "short", "b" * 1000]
    assert [getattr(line, "dropped", 0) for line in lines] == [500, 0, 200]
    assert not isinstance(lines[1], CutLine)
