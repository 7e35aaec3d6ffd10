"""The brief's files, replaced whole, and the place made for them in a hostile home."""

from __future__ import annotations

import stat
from pathlib import Path

from runner import brief, homes

CONFIG_DIR = f"{homes.HOME}/.codex"


def test_a_file_is_replaced_whole_readable_by_the_container(tmp_path: Path) -> None:
    first = brief.write(tmp_path, brief.BOARD, "old\n")
    held = first.open()  # a reader that opened the old file keeps it whole
    again = brief.write(tmp_path, brief.BOARD, "new\n")
    assert again == first == tmp_path / "brief" / "board.json"
    assert held.read() == "old\n" and again.read_text() == "new\n"
    held.close()
    assert stat.S_IMODE(again.stat().st_mode) == 0o644
    assert sorted(p.name for p in (tmp_path / "brief").iterdir()) == ["board.json"]


def test_the_mounts_name_the_folder_and_the_file_where_the_cli_reads_it(tmp_path: Path) -> None:
    assert brief.mounts(tmp_path, CONFIG_DIR, "AGENTS.md") == (
        (tmp_path / "brief", "/workspace/.wallfacer"),
        (tmp_path / "brief" / "instructions.md", "/home/agent/.codex/AGENTS.md"),
    )


def test_clear_undoes_what_an_agent_left_on_the_mounts_way(tmp_path: Path) -> None:
    home, outside = tmp_path / "home", tmp_path / "outside"
    outside.mkdir()
    (outside / "AGENTS.md").write_text("the user's own file\n")
    home.mkdir()
    (home / ".codex").symlink_to(outside)  # the config dir made a link out of the home
    homes.clear(home, CONFIG_DIR, ("AGENTS.md", "AGENTS.override.md"))
    inner = home / ".codex"
    assert inner.is_dir() and not inner.is_symlink() and list(inner.iterdir()) == []
    assert (outside / "AGENTS.md").read_text() == "the user's own file\n", "never followed"

    (inner / "AGENTS.md").mkdir()  # a folder where the file is mounted
    (inner / "AGENTS.md" / "x").write_text("x")
    (inner / "AGENTS.override.md").write_text("read instead\n")
    (inner / "config.toml").write_text("kept\n")
    homes.clear(home, CONFIG_DIR, ("AGENTS.md", "AGENTS.override.md"))
    assert sorted(p.name for p in inner.iterdir()) == ["config.toml"]

    (inner / "AGENTS.md").symlink_to(outside / "AGENTS.md")
    homes.clear(home, CONFIG_DIR, ("AGENTS.md",))
    assert not (inner / "AGENTS.md").is_symlink()
    assert (outside / "AGENTS.md").exists()
