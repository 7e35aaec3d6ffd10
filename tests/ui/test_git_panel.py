"""The git panel, from the repo chip: branch, ahead/behind, uncommitted files, and a push
over a real sshd; a refused push says why in the panel."""

from __future__ import annotations

from pathlib import Path

import pygit2
import pytest
from playwright.sync_api import Browser, expect

from tests.gitrepo import commit, make_repo
from tests.server_process import ServerProcess
from tests.sshd import SshRemote, checkout_ahead
from tests.ui.conftest import screenshot, sign_in


@pytest.fixture
def repo(tmp_path: Path, ssh: SshRemote) -> Path:
    """The registered checkout: two commits ahead of its ssh remote, two files uncommitted."""
    checkout = checkout_ahead(tmp_path, ssh, {"a.txt": "a\n"}, {"b.txt": "b\n"})
    (checkout / "README.md").write_text("# demo, edited\n")
    (checkout / "notes.txt").write_text("draft\n")
    return checkout


def test_the_repo_chip_opens_the_git_panel_and_pushes(
    browser: Browser, bare_server: ServerProcess, repo: Path
) -> None:
    page = sign_in(browser, bare_server)
    page.locator("#repos").get_by_role("button", name="project").click()
    panel = page.locator("#git-dialog")
    expect(panel).to_be_visible()
    expect(panel.locator("[data-counts]")).to_have_text("2 ahead · 0 behind")
    expect(panel.locator(".git-files li")).to_have_text(["modifiedREADME.md", "untrackednotes.txt"])
    screenshot(page, "git-panel")

    panel.get_by_role("button", name="Push main → origin/main").click()
    expect(panel.get_by_role("status")).to_contain_text("to origin/main")
    expect(panel.locator("[data-counts]")).to_have_text("0 ahead · 0 behind")
    expect(panel.get_by_role("button", name="Push main → origin/main")).to_be_disabled()
    bare = pygit2.Repository(str(repo.parent / "remote.git"))
    assert bare.references["refs/heads/main"].target == pygit2.Repository(str(repo)).head.target
    screenshot(page, "git-panel-pushed")

    # Someone else pushed meanwhile: the next push is refused, and the panel says why.
    other = make_repo(repo.parent / "other")
    commit(other, {"theirs.txt": "theirs\n"})
    pygit2.Repository(str(other)).remotes.create("bare", str(repo.parent / "remote.git"))
    pygit2.Repository(str(other)).remotes["bare"].push(["+refs/heads/main:refs/heads/main"])
    commit(repo, {"c.txt": "c\n"})
    panel.get_by_role("button", name="Refresh").click()
    panel.get_by_role("button", name="Push main → origin/main").click()
    expect(panel.locator('.field-error[data-for="path"]')).to_contain_text("non-fast-forward")
    screenshot(page, "git-panel-rejected")
    page.context.close()
