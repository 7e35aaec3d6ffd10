"""A Docker daemon of a test's own, to stop and start without disturbing the shared one.

It has its own socket, data root, exec root (with its own containerd) and pid
file, no bridge and no iptables rules, and runs in a network namespace of its
own: a daemon without a bridge deletes any ``docker0`` it can see, which would
take the shared engine's default network down. Its containers can only use
``--network none``, which is what the app's ``--egress none`` gives them, or
``host``: its namespace's own, where ``link`` puts a wire to the test's, so
that a Swarm can be made on it with an address to advertise, and its tasks
can reach an app the test serves.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import docker

from tests.smalldisk import missing

START_S = 60.0  # a cold start with its own containerd; under load it takes a while


class PrivateDockerd:
    def __init__(self) -> None:
        # Short: a unix socket's path has a limit of about 100 bytes.
        self.root = Path(tempfile.mkdtemp(prefix="wf-dockerd-", dir="/tmp"))
        self.socket = self.root / "docker.sock"
        self.log_path = self.root / "dockerd.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.wire: str | None = None  # the test's end of ``link``'s veth pair

    @property
    def host(self) -> str:
        return f"unix://{self.socket}"

    def client(self) -> docker.DockerClient:
        return docker.DockerClient(base_url=self.host, timeout=60)

    def start(self, *flags: str) -> None:
        binary, unshare = shutil.which("dockerd"), shutil.which("unshare")
        if binary is None or unshare is None:
            missing("a private Docker daemon needs dockerd and unshare (docker.io, util-linux)")
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [
                    unshare,  # execs the daemon in a new network namespace: its pid is ours
                    "--net",
                    binary,
                    f"--host={self.host}",
                    f"--data-root={self.root / 'data'}",
                    f"--exec-root={self.root / 'exec'}",
                    f"--pidfile={self.root / 'dockerd.pid'}",
                    "--bridge=none",
                    "--iptables=false",
                    "--ip6tables=false",
                    "--ip-masq=false",
                    "--shutdown-timeout=2",
                    *flags,
                ],
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                missing(f"a private dockerd would not start:\n{self.log()[-2000:]}")
            try:
                self.client().ping()
                return
            except docker.errors.DockerException:
                time.sleep(0.1)
        missing(f"a private dockerd did not answer:\n{self.log()[-2000:]}")

    def link(self) -> tuple[str, str]:
        """A veth pair from the test's network namespace into the daemon's: the
        (test's, daemon's) addresses, a /30 of 10.213/16 of this process's own."""
        assert self.proc is not None
        n = (os.getpid() * 4 + self.proc.pid) % 16384
        ours, theirs = f"10.213.{n // 64}.{n % 64 * 4 + 1}", f"10.213.{n // 64}.{n % 64 * 4 + 2}"
        self.wire, peer = f"wfd{self.proc.pid}", f"wfd{self.proc.pid}p"
        inside = ["nsenter", f"--net=/proc/{self.proc.pid}/ns/net"]
        for command in (
            ["ip", "link", "add", self.wire, "type", "veth", "peer", "name", peer],
            ["ip", "link", "set", peer, "netns", str(self.proc.pid)],
            ["ip", "addr", "add", f"{ours}/30", "dev", self.wire],
            ["ip", "link", "set", self.wire, "up"],
            [*inside, "ip", "addr", "add", f"{theirs}/30", "dev", peer],
            [*inside, "ip", "link", "set", peer, "up"],
            [*inside, "ip", "link", "set", "lo", "up"],
        ):
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                missing(f"cannot wire a private dockerd ({' '.join(command)}): {done.stderr}")
        return ours, theirs

    def wire_to(self, other: PrivateDockerd, *routes: str) -> tuple[str, str]:
        """A veth pair from this daemon's namespace into ``other``'s: the (this end's,
        other end's) addresses, a /30 of 10.214/16; ``routes`` (addresses) are then
        reached from ``other`` over it. Gone with the namespaces."""
        assert self.proc is not None and other.proc is not None
        n = (os.getpid() * 4 + other.proc.pid) % 16384
        ours, theirs = f"10.214.{n // 64}.{n % 64 * 4 + 1}", f"10.214.{n // 64}.{n % 64 * 4 + 2}"
        near, far = f"wfw{other.proc.pid}", f"wfw{other.proc.pid}p"
        here = ["nsenter", f"--net=/proc/{self.proc.pid}/ns/net"]
        there = ["nsenter", f"--net=/proc/{other.proc.pid}/ns/net"]
        commands = [
            ["ip", "link", "add", near, "type", "veth", "peer", "name", far],
            ["ip", "link", "set", near, "netns", str(self.proc.pid)],
            ["ip", "link", "set", far, "netns", str(other.proc.pid)],
            [*here, "ip", "addr", "add", f"{ours}/30", "dev", near],
            [*here, "ip", "link", "set", near, "up"],
            [*there, "ip", "addr", "add", f"{theirs}/30", "dev", far],
            [*there, "ip", "link", "set", far, "up"],
            *([*there, "ip", "route", "add", f"{to}/32", "dev", far] for to in routes),
        ]
        for command in commands:
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                missing(f"cannot wire two private dockerds ({' '.join(command)}): {done.stderr}")
        return ours, theirs

    def route(self, to: str) -> None:
        """Reach ``to`` over ``link``'s wire (the test's end answers for all its addresses)."""
        assert self.proc is not None and self.wire is not None
        inside = ["nsenter", f"--net=/proc/{self.proc.pid}/ns/net"]
        command = [*inside, "ip", "route", "add", f"{to}/32", "dev", f"{self.wire}p"]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            missing(f"cannot route from a private dockerd to {to}: {done.stderr}")

    def kill(self) -> None:
        """As a machine that dies: every process in the daemon's network namespace
        (the daemon, its containerd, the shims and the containers on the node's
        network, all ours) killed at once."""
        assert self.proc is not None
        netns = os.stat(f"/proc/{self.proc.pid}/ns/net").st_ino
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if os.stat(entry / "ns" / "net").st_ino == netns:
                        os.kill(int(entry.name), signal.SIGKILL)
                except OSError:  # gone meanwhile
                    pass
        self.proc.wait(10)

    def stop(self) -> None:
        """As a service manager stops it: SIGTERM, then wait for it to exit."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def remove(self) -> None:
        """Its containers, the daemon, and everything it kept."""
        if self.proc is not None and self.proc.poll() is None:
            client = self.client()
            for container in client.containers.list(all=True):
                container.remove(force=True)
            client.close()
        self.stop()
        # Whatever it left mounted under its root (a killed daemon leaves its mounts).
        mounts = Path("/proc/self/mounts").read_text().splitlines()
        inside = [m.split()[1] for m in mounts if m.split()[1].startswith(str(self.root))]
        for mount in sorted(inside, reverse=True):
            subprocess.run(["umount", "--lazy", mount], check=False)
        shutil.rmtree(self.root, ignore_errors=True)
        if self.wire is not None:  # gone with the namespace, unless something holds it
            subprocess.run(["ip", "link", "del", self.wire], capture_output=True, check=False)
