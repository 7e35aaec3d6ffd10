"""What the server is started with and cannot change while running: paths,
address, token, repositories, and the first values of the runtime config.

Built once by ``app.main`` from CLI flags and their environment fallbacks.
"""

from __future__ import annotations

import os
import secrets
import socket
import ssl
from dataclasses import dataclass, field
from ipaddress import IPv4Network, IPv6Network, ip_address
from pathlib import Path

from runner.containers import instance_id
from server.config import RuntimeConfig


class UnresolvableHost(ValueError):
    """The address to listen on names no host, so nothing can be said of its exposure."""


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 8080
    repos: tuple[Path, ...] = ()
    token: str | None = None  # WALLFACER_TOKEN; otherwise read or made in the data dir
    config: RuntimeConfig = field(default_factory=RuntimeConfig)
    pinned: frozenset[str] = frozenset()  # config fields set by flag or environment
    allowed_hosts: tuple[str, ...] = ()  # public names accepted in the Host header
    # Reverse proxies whose X-Forwarded-For names the client (see api.common.client).
    trusted_proxies: tuple[IPv4Network | IPv6Network, ...] = ()
    tls_cert: Path | None = None
    tls_key: Path | None = None
    image_base: str | None = None  # base for building the bundled sandbox images
    agent_binaries: dict[str, Path] = field(default_factory=dict)  # prebuilt CLIs to copy in
    # Where task previews listen (``server.previews``), each on a port of its own.
    preview_host: str = "127.0.0.1"
    backend: str = "local"  # what runs the tasks (``runner.backends``)
    advertise_url: str | None = None  # how a remote backend's containers reach the app
    constraints: tuple[str, ...] = ()  # placement of every run (on kubernetes, a nodeSelector)
    node_engines: tuple[str, ...] = ()  # a swarm's nodes' engines, to load images into
    namespace: str = "default"  # where the kubernetes backend makes its objects

    @property
    def loopback(self) -> bool:
        """Whether every address the host resolves to is a loopback one, since a
        bind listens on all of them (a name like ``127.example`` can be anything).

        Raises ``UnresolvableHost`` when the host has no address at all.
        """
        try:
            found = socket.getaddrinfo(self.host, None, proto=socket.IPPROTO_TCP)
        except (OSError, UnicodeError) as exc:  # gaierror is an OSError
            raise UnresolvableHost(f"cannot resolve {self.host!r} to an address: {exc}") from exc
        return all(ip_address(str(info[4][0]).partition("%")[0]).is_loopback for info in found)

    def tls_context(self) -> ssl.SSLContext | None:
        """The server side of TLS when a certificate is given: the board's and the previews'."""
        if self.tls_cert is None or self.tls_key is None:
            return None
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.tls_cert, self.tls_key)
        return context

    @property
    def instance(self) -> str:
        """This instance's id, which labels its containers and names its desktop's socket."""
        return instance_id(self.data_dir)

    @property
    def db_path(self) -> Path:
        return self.data_dir / "wallfacer.db"

    @property
    def workspaces_dir(self) -> Path:
        return self.data_dir / "workspaces"

    @property
    def pool_dir(self) -> Path:
        """Ready workspaces (see ``runner.pool``)."""
        return self.data_dir / "pool"

    @property
    def homes_dir(self) -> Path:
        """Each task's agent home (see ``runner.homes``)."""
        return self.data_dir / "homes"

    @property
    def templates_dir(self) -> Path:
        """``templates/<agent>/`` is copied into each new home's CLI config dir."""
        return self.data_dir / "templates"

    def api_token(self) -> str:
        """The explicit token, or the one saved in the data dir (made once, mode 0600)."""
        if self.token:
            return self.token
        path = self.data_dir / "token"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        token = secrets.token_urlsafe(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(token + "\n")
        return token
