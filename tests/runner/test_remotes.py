"""Git status and push of a registered repository, against real repositories and a real sshd."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pygit2
import pytest

from runner import remotes
from tests.gitrepo import SIG, commit, make_repo
from tests.ports import free_port
from tests.sshd import SshRemote, as_home, remote_pair, serve_ssh, ssh_remote


@pytest.fixture
def ssh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SshRemote]:
    yield from serve_ssh(tmp_path / "ssh", monkeypatch)


def pair(tmp_path: Path, url: str) -> tuple[Path, Path]:
    checkout = make_repo(tmp_path / "project")
    bare = tmp_path / "remote.git"
    remote_pair(checkout, bare, url)
    return checkout, bare


def commit_on_bare(bare: Path, name: str) -> None:
    """Someone else's commit on the remote's main."""
    repo = pygit2.Repository(str(bare))
    parent = repo.references["refs/heads/main"].peel(pygit2.Commit)
    builder = repo.TreeBuilder(parent.tree)
    builder.insert(name, repo.create_blob(b"theirs\n"), pygit2.enums.FileMode.BLOB)
    repo.create_commit("refs/heads/main", SIG, SIG, "theirs", builder.write(), [parent.id])


def test_status_names_branch_upstream_and_uncommitted_files(tmp_path: Path) -> None:
    checkout, _ = pair(tmp_path, "https://user:s3cret-token@example.com/x.git")
    commit(checkout, {"a.txt": "a\n"})
    commit(checkout, {"b.txt": "b\n"})
    (checkout / "README.md").write_text("changed\n")
    (checkout / "new.txt").write_text("new\n")
    (checkout / ".gitignore").write_text("*.log\n")
    (checkout / "debug.log").write_text("ignored\n")
    (checkout / "build").mkdir()
    for n in range(3):
        (checkout / "build" / f"{n}.o").write_text("untracked directory\n")

    got = remotes.status(checkout)

    assert (got.branch, got.default_branch, got.upstream) == ("main", "main", "origin/main")
    assert (got.ahead, got.behind) == (2, 0)
    assert "s3cret" not in got.remote_url and got.remote_url == "https://user@example.com/x.git"
    assert got.files == [
        {"path": ".gitignore", "status": "untracked"},
        {"path": "README.md", "status": "modified"},
        {"path": "build/", "status": "untracked"},
        {"path": "new.txt", "status": "untracked"},
    ]
    assert got.more_files == 0


def test_status_lists_a_bounded_number_of_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checkout = make_repo(tmp_path / "project")
    for n in range(5):
        (checkout / f"{n}.txt").write_text("new\n")
    monkeypatch.setattr(remotes, "MAX_FILES", 3)
    got = remotes.status(checkout)
    assert [f["path"] for f in got.files] == ["0.txt", "1.txt", "2.txt"]
    assert got.more_files == 2


def test_push_refused_by_the_remote_names_its_reason(tmp_path: Path, ssh: SshRemote) -> None:
    bare = tmp_path / "remote.git"
    checkout, _ = pair(tmp_path, ssh.url(bare))
    hook = bare / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\nexit 1\n")
    hook.chmod(0o755)
    commit(checkout, {"a.txt": "a\n"})

    with pytest.raises(remotes.PushFailed, match="refused refs/heads/main") as failed:
        remotes.push(checkout)
    assert failed.value.cause == "rejected"
    assert "hook declined" in str(failed.value)


def test_status_counts_behind_from_the_tracking_ref(tmp_path: Path) -> None:
    checkout = make_repo(tmp_path / "project")
    remote_pair(checkout, tmp_path / "remote.git", "ssh://git@example.com/x.git")
    repo = pygit2.Repository(str(checkout))
    base = repo.head.target
    commit(checkout, {"a.txt": "a\n"})
    repo.references.create("refs/remotes/origin/main", repo.head.target, force=True)
    repo.references["refs/heads/main"].set_target(base)  # as after a reset: one behind

    got = remotes.status(checkout)
    assert (got.ahead, got.behind) == (0, 1)


def test_status_without_upstream_says_so(tmp_path: Path) -> None:
    got = remotes.status(make_repo(tmp_path / "project"))
    assert (got.upstream, got.remote_url, got.ahead, got.behind) == ("", "", 0, 0)
    with pytest.raises(remotes.NoUpstream, match="git push -u"):
        remotes.push(tmp_path / "project")


def test_push_over_ssh_with_the_agent(tmp_path: Path, ssh: SshRemote) -> None:
    bare = tmp_path / "remote.git"
    checkout, _ = pair(tmp_path, ssh.url(bare))
    head = commit(checkout, {"a.txt": "a\n"})
    assert remotes.status(checkout).ahead == 1

    pushed = remotes.push(checkout)

    assert (pushed.branch, pushed.upstream, pushed.commit) == ("main", "origin/main", head)
    assert str(pygit2.Repository(str(bare)).references["refs/heads/main"].target) == head
    after = remotes.status(checkout)
    assert (after.ahead, after.behind) == (0, 0)


def test_push_rejected_when_the_remote_moved_on(tmp_path: Path, ssh: SshRemote) -> None:
    bare = tmp_path / "remote.git"
    checkout, _ = pair(tmp_path, ssh.url(bare))
    commit_on_bare(bare, "theirs.txt")
    commit(checkout, {"mine.txt": "mine\n"})

    with pytest.raises(remotes.PushFailed, match="non-fast-forward") as failed:
        remotes.push(checkout)
    assert failed.value.cause == "rejected"


def test_push_refuses_a_host_key_not_in_known_hosts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with ssh_remote(tmp_path / "ssh", trusted=False) as remote, as_home(remote.home):
        monkeypatch.setenv("SSH_AUTH_SOCK", str(remote.agent_socket))
        bare = tmp_path / "remote.git"
        checkout, _ = pair(tmp_path, remote.url(bare))
        commit(checkout, {"a.txt": "a\n"})
        with pytest.raises(remotes.PushFailed, match="known_hosts") as failed:
            remotes.push(checkout)
    assert failed.value.cause == "host_key"


def test_push_without_an_ssh_agent_is_an_auth_error(
    tmp_path: Path, ssh: SshRemote, monkeypatch: pytest.MonkeyPatch
) -> None:
    bare = tmp_path / "remote.git"
    checkout, _ = pair(tmp_path, ssh.url(bare))
    commit(checkout, {"a.txt": "a\n"})
    monkeypatch.setenv("SSH_AUTH_SOCK", str(tmp_path / "no-agent.sock"))

    with pytest.raises(remotes.PushFailed) as failed:
        remotes.push(checkout)
    assert failed.value.cause == "auth"
    assert "ssh-add" in str(failed.value)


def test_push_to_a_closed_port_is_unreachable(tmp_path: Path, ssh: SshRemote) -> None:
    bare = tmp_path / "remote.git"
    url = ssh.url(bare).replace(f":{ssh.port}/", f":{free_port()}/")  # nothing listens there
    checkout, _ = pair(tmp_path, url)

    with pytest.raises(remotes.PushFailed, match="could not reach origin") as failed:
        remotes.push(checkout)
    assert failed.value.cause == "unreachable"
