"""A run's files shipped out and back: what comes back is read as hostile data."""

from __future__ import annotations

import base64
import io
import os
import subprocess
import tarfile
from dataclasses import replace
from pathlib import Path

import pygit2
import pytest

from runner import shipping
from runner.errors import WorkspaceRefused
from tests.gitrepo import make_repo

TASK = "abcd1234-0000-4000-8000-000000000000"


@pytest.fixture
def plan(tmp_path: Path) -> shipping.Plan:
    user = make_repo(tmp_path / "user", {"a.txt": "one\n"})
    repo = pygit2.Repository(str(user))
    repo.branches.local.create("task/abcd1234", repo.head.peel(pygit2.Commit))
    ws, home = tmp_path / "ws", tmp_path / "home"
    (ws / ".git").mkdir(parents=True)
    (ws / ".git" / "HEAD").write_text("the host's\n")
    (ws / "a.txt").write_text("one\n")
    os.symlink("a.txt", ws / "link")
    (home / ".claude").mkdir(parents=True)
    (home / ".claude" / "settings.json").write_text("{}")
    objects = {"project": str(user / ".git" / "objects")}
    return shipping.Plan({"project": str(ws)}, objects, TASK, str(home), None, [], False)


def _tar(*members: tuple[tarfile.TarInfo, bytes]) -> io.BytesIO:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for info, data in members:
            info.size = len(data) if info.isreg() else 0
            tar.addfile(info, io.BytesIO(data) if info.isreg() else None)
    out.seek(0)
    return out


def _file(name: str, data: bytes = b"x\n") -> tuple[tarfile.TarInfo, bytes]:
    return tarfile.TarInfo(name), data


def _entry(name: str, kind: bytes, link: str = "") -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, link
    return info, b""


def test_the_workspace_goes_out_without_its_git_and_its_links_as_links(
    plan: shipping.Plan,
) -> None:
    out = io.BytesIO()
    shipping.pack(plan, out)
    out.seek(0)
    with tarfile.open(fileobj=out) as tar:
        members = {m.name: m for m in tar.getmembers() if "/.git" not in m.name}
    assert set(members) == {
        "workspace/project/a.txt",
        "workspace/project/link",
        "home/agent/.claude",
        "home/agent/.claude/settings.json",
    }
    assert members["workspace/project/link"].issym()


def test_what_comes_back_replaces_the_files_and_keeps_the_hosts_git(
    plan: shipping.Plan,
) -> None:
    back = _tar(
        _file("workspace/project/b.txt", b"two\n"),
        _entry("workspace/project/sub", tarfile.DIRTYPE),
        _entry("workspace/project/sub/up", tarfile.SYMTYPE, "../../../../etc/passwd"),
        _file("workspace/project/.git/HEAD", b"planted\n"),
        _file("workspace/.wallfacer/board.json", b"{}"),
        _file("etc/cron.d/evil", b"* * * * * root sh\n"),
        _file("home/agent/.claude/session", b"kept\n"),
    )
    shipping.unpack(plan, back)
    ws, home = Path(plan.workspaces["project"]), Path(plan.home)
    assert sorted(os.listdir(ws)) == [".git", "b.txt", "sub"]
    assert (ws / ".git" / "HEAD").read_text() == "the host's\n"
    assert os.readlink(ws / "sub" / "up") == "../../../../etc/passwd"
    assert os.listdir(home / ".claude") == ["session"]


@pytest.mark.parametrize(
    "member",
    [
        _entry("workspace/project/fifo", tarfile.FIFOTYPE),
        _entry("workspace/project/hard", tarfile.LNKTYPE, "workspace/project/a.txt"),
        _entry("workspace/project/dev", tarfile.CHRTYPE),
    ],
)
def test_special_files_and_hard_links_are_refused_and_nothing_is_kept(
    plan: shipping.Plan, member: tuple[tarfile.TarInfo, bytes]
) -> None:
    with pytest.raises(WorkspaceRefused):
        shipping.unpack(plan, _tar(_file("workspace/project/b.txt"), member))
    ws = Path(plan.workspaces["project"])
    assert sorted(os.listdir(ws)) == [".git", "a.txt", "link"]
    assert not ws.with_name("ws.in").exists()


def test_a_file_under_a_planted_link_is_refused(plan: shipping.Plan) -> None:
    back = _tar(
        _entry("workspace/project/out", tarfile.SYMTYPE, "/etc"),
        _file("workspace/project/out/evil", b"owned\n"),
    )
    with pytest.raises(WorkspaceRefused, match="under a link"):
        shipping.unpack(plan, back)


def test_a_file_over_the_cap_is_refused_before_it_is_read(
    plan: shipping.Plan, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shipping, "MAX_FILE_BYTES", 4)
    with pytest.raises(WorkspaceRefused, match="refused"):
        shipping.unpack(plan, _tar(_file("workspace/project/big", b"12345")))


def test_a_cut_tar_is_refused(plan: shipping.Plan) -> None:
    whole = _tar(_file("workspace/project/b.txt", b"y" * 4096)).getvalue()
    with pytest.raises(WorkspaceRefused, match="not a whole tar"):
        shipping.unpack(plan, io.BytesIO(whole[:1000]))


def test_a_read_only_runs_workspace_is_never_written(plan: shipping.Plan) -> None:
    readonly = replace(plan, workspace_readonly=True)
    shipping.unpack(readonly, _tar(_file("workspace/project/b.txt")))
    assert "b.txt" not in os.listdir(plan.workspaces["project"])


def test_the_base64_upload_decodes_across_any_chunking(plan: shipping.Plan) -> None:
    encoded = base64.encodebytes(_tar(_file("workspace/project/b.txt", b"two\n")).getvalue())

    class Trickle(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            return super().read(7)  # groups and lines cut anywhere

    shipping.unpack(plan, io.BufferedReader(shipping.Decoded(Trickle(encoded))))
    assert Path(plan.workspaces["project"], "b.txt").read_text() == "two\n"


def test_an_upload_that_is_not_base64_is_refused(plan: shipping.Plan) -> None:
    with pytest.raises(WorkspaceRefused, match="not base64"):
        shipping.unpack(plan, io.BufferedReader(shipping.Decoded(io.BytesIO(b"!!!!" * 200))))


def test_the_workspace_goes_with_a_shallow_git_of_its_base_that_git_reads(
    plan: shipping.Plan, tmp_path: Path
) -> None:
    out = io.BytesIO()
    shipping.pack(plan, out)
    out.seek(0)
    node = tmp_path / "node"
    with tarfile.open(fileobj=out) as tar:
        tar.extractall(node, filter="tar")
    checkout = node / "workspace" / "project"
    (checkout / "b.txt").write_text("the agent's\n")

    def git(*args: str) -> str:
        done = subprocess.run(["git", "-C", str(checkout), *args], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout

    git("reset", "-q")  # as the ship wrapper does
    base = pygit2.Repository(str(Path(plan.objects["project"]).parent)).head.target
    assert git("rev-parse", "HEAD").strip() == str(base)
    assert git("branch", "--show-current").strip() == "task/abcd1234"
    assert git("status", "--porcelain").splitlines() == ["?? b.txt", "?? link"]
