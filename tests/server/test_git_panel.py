"""The git panel's HTTP face: status and push of registered repositories only, and a
failed push as a clear error naming its cause, never a 500."""

from __future__ import annotations

from pathlib import Path

import pygit2
import pytest

from tests.gitrepo import commit, make_repo
from tests.server_process import ServerProcess
from tests.sshd import SshRemote, checkout_ahead


@pytest.fixture
def repo(tmp_path: Path, ssh: SshRemote) -> Path:
    """The registered checkout, one commit ahead of its ssh remote."""
    return checkout_ahead(tmp_path, ssh, {"a.txt": "a\n"})


def test_status_then_push_then_status(bare_server: ServerProcess, repo: Path) -> None:
    (repo / "draft.txt").write_text("not committed\n")
    query = {"path": str(repo)}
    before = bare_server.request("GET", "/api/repos/git", params=query).json()
    assert (before["branch"], before["upstream"], before["ahead"]) == ("main", "origin/main", 1)
    assert before["files"] == [{"path": "draft.txt", "status": "untracked"}]

    pushed = bare_server.api("POST", "/api/repos/push", {"path": str(repo)})

    bare = pygit2.Repository(str(repo.parent / "remote.git"))
    assert str(bare.references["refs/heads/main"].target) == pushed["commit"]
    after = bare_server.request("GET", "/api/repos/git", params=query).json()
    assert (after["ahead"], after["behind"]) == (0, 0)


def test_a_rejected_push_is_a_409_naming_why(bare_server: ServerProcess, repo: Path) -> None:
    other = make_repo(repo.parent / "other")
    commit(other, {"theirs.txt": "theirs\n"})
    pygit2.Repository(str(other)).remotes.create("bare", str(repo.parent / "remote.git"))
    pygit2.Repository(str(other)).remotes["bare"].push(["+refs/heads/main:refs/heads/main"])

    response = bare_server.request("POST", "/api/repos/push", json={"path": str(repo)})
    assert response.status_code == 409
    body = response.json()
    assert (body["field"], body["cause"]) == ("path", "rejected")
    assert "non-fast-forward" in body["error"]


def test_an_unreachable_remote_is_a_502_naming_why(bare_server: ServerProcess, repo: Path) -> None:
    pygit2.Repository(str(repo)).remotes.set_url("origin", "ssh://git@127.0.0.1:1/x.git")
    response = bare_server.request("POST", "/api/repos/push", json={"path": str(repo)})
    assert response.status_code == 502
    assert response.json()["cause"] == "unreachable"
    assert "could not reach origin" in response.json()["error"]


def test_only_registered_repositories(bare_server: ServerProcess, tmp_path: Path) -> None:
    stranger = str(make_repo(tmp_path / "stranger"))
    responses = (
        bare_server.request("GET", "/api/repos/git", params={"path": stranger}),
        bare_server.request("POST", "/api/repos/push", json={"path": stranger}),
    )
    for response in responses:
        assert response.status_code == 404, response.text
        assert response.json()["field"] == "path"
    assert bare_server.request("GET", "/api/repos/git").status_code == 400
    assert bare_server.request("POST", "/api/repos/push", json={}).status_code == 400
