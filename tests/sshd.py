"""A real ssh remote for push tests: Debian's sshd on a free port, an ssh-agent holding
the client key, and a home whose known_hosts trusts the server's host key."""

from __future__ import annotations

import getpass
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pygit2
import pytest

from tests.gitrepo import commit, make_repo
from tests.ports import free_port

SSHD = "/usr/sbin/sshd"
TOOLS = ("ssh-keygen", "ssh-agent", "ssh-add")


@dataclass(frozen=True)
class SshRemote:
    port: int
    agent_socket: Path
    home: Path  # libgit2's home: its .ssh/known_hosts names the server's host key

    def url(self, bare: Path) -> str:
        return f"ssh://{getpass.getuser()}@127.0.0.1:{self.port}{bare}"


def require_ssh() -> None:
    missing = [t for t in (SSHD, *TOOLS) if not shutil.which(t)]
    if missing:
        message = f"{', '.join(missing)} needed (apt-get install openssh-server openssh-client)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


@contextmanager
def ssh_remote(root: Path, trusted: bool = True) -> Iterator[SshRemote]:
    """sshd and ssh-agent as children of the test; ``trusted``: known_hosts has the host key."""
    require_ssh()
    root.mkdir(parents=True)
    keygen = ["ssh-keygen", "-q", "-t", "ed25519", "-N", ""]
    subprocess.run([*keygen, "-f", str(root / "host_key")], check=True)
    subprocess.run([*keygen, "-f", str(root / "client_key")], check=True)
    (root / "authorized_keys").write_bytes((root / "client_key.pub").read_bytes())
    port = free_port()
    config = root / "sshd_config"
    config.write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {root / 'host_key'}\n"
        f"AuthorizedKeysFile {root / 'authorized_keys'}\nPidFile none\n"
        "StrictModes no\nUsePAM no\nPasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\n"
    )
    home = root / "home"
    (home / ".ssh").mkdir(parents=True)
    if trusted:
        host_key = (root / "host_key.pub").read_text().split()[:2]
        (home / ".ssh" / "known_hosts").write_text(f"[127.0.0.1]:{port} {' '.join(host_key)}\n")
    if os.geteuid() == 0:
        Path("/run/sshd").mkdir(exist_ok=True)  # sshd's privilege separation directory
    sshd = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)], stderr=subprocess.PIPE)
    agent_socket = root / "agent.sock"
    agent = subprocess.Popen(["ssh-agent", "-D", "-a", str(agent_socket)], stdout=subprocess.PIPE)
    try:
        # Each child says when it is ready: sshd logs that it listens, the agent prints its socket.
        assert sshd.stderr is not None and agent.stdout is not None
        for line in sshd.stderr:
            if b"listening on" in line.lower():
                break
        else:
            raise AssertionError("sshd exited before it listened")
        agent.stdout.readline()
        env = {**os.environ, "SSH_AUTH_SOCK": str(agent_socket)}
        subprocess.run(["ssh-add", "-q", str(root / "client_key")], check=True, env=env)
        yield SshRemote(port, agent_socket, home)
    finally:
        for child in (sshd, agent):
            child.terminate()
            child.wait()


def serve_ssh(root: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SshRemote]:
    """For a fixture: the remote, with this process's agent and libgit2 home pointed at it."""
    with ssh_remote(root) as remote, as_home(remote.home):
        monkeypatch.setenv("SSH_AUTH_SOCK", str(remote.agent_socket))
        yield remote


@contextmanager
def as_home(home: Path) -> Iterator[None]:
    """libgit2 reads ~/.ssh/known_hosts from its own home setting: this process's, for a while."""
    saved = pygit2.settings.homedir
    pygit2.settings.homedir = str(home)
    try:
        yield
    finally:
        pygit2.settings.homedir = saved or str(Path.home())


def remote_pair(checkout: Path, bare: Path, url: str) -> None:
    """``bare`` holds ``checkout``'s main; the checkout's main tracks it as origin/main."""
    pygit2.clone_repository(str(checkout), str(bare), bare=True)
    repo = pygit2.Repository(str(checkout))
    repo.remotes.create("origin", url)
    repo.references.create("refs/remotes/origin/main", repo.head.target)
    repo.config["branch.main.remote"] = "origin"
    repo.config["branch.main.merge"] = "refs/heads/main"


def checkout_ahead(tmp_path: Path, ssh: SshRemote, *commits: dict[str, str]) -> Path:
    """A registered-to-be checkout with an ssh remote, ``commits`` ahead of it."""
    checkout = make_repo(tmp_path / "project")
    remote_pair(checkout, tmp_path / "remote.git", ssh.url(tmp_path / "remote.git"))
    for files in commits:
        commit(checkout, files)
    return checkout
