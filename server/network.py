"""What a task container may reach on the network, decided from settings and the agent env.

Three modes (``egress`` in the settings):

- ``allowlist``, the default: the container sits on an internal network with
  no route anywhere, and reaches the world only through the egress proxy
  (``runner.egress``), which allows the agent's API hosts, the common package
  registries, the user's list, and always the hosts of configured
  ``*_BASE_URL`` values. Agents need their API and usually a registry; they
  never need the rest of the internet or the host.
- ``open``: the engine's bridge (or ``network``), the internet at large.
- ``none``: no network at all.

The host is out of reach in every mode unless the user enables host access or
a ``*_BASE_URL`` names ``host.docker.internal`` (a local model proxy, a test
stub); in allowlist mode even then only through the proxy.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from runner.containers import HOST_GATEWAY

# Package registries agents commonly install from while they work.
REGISTRIES = (
    "registry.npmjs.org",
    "registry.yarnpkg.com",
    "pypi.org",
    "files.pythonhosted.org",
    "deb.debian.org",
    "security.debian.org",
    "github.com",
    "codeload.github.com",
    "objects.githubusercontent.com",
    "proxy.golang.org",
    "sum.golang.org",
    "crates.io",
    "index.crates.io",
    "static.crates.io",
    "rubygems.org",
    "repo.maven.apache.org",
)


@dataclass(frozen=True)
class Plan:
    mode: str
    network: str | None  # a network for "open" ("none" for none; allowlist: the proxy's)
    host_gateway: bool  # map host.docker.internal in the task container itself
    allow: tuple[str, ...]  # the proxy's allowlist, in allowlist mode


def base_url_hosts(env: dict[str, str]) -> list[str]:
    """The host names of every ``*_BASE_URL`` in the agent env: always reachable."""
    hosts = []
    for name, value in env.items():
        if not name.endswith("_BASE_URL"):
            continue
        try:
            host = urlsplit(value).hostname
        except ValueError:
            continue
        if host:
            hosts.append(host.lower())
    return sorted(set(hosts))


def plan(
    mode: str,
    network: str | None,
    host_access: bool,
    extra: tuple[str, ...],
    api_hosts: tuple[str, ...],
    env: dict[str, str],
) -> Plan:
    wanted = base_url_hosts(env)
    host = host_access or HOST_GATEWAY in wanted
    if mode == "none":
        return Plan(mode, "none", False, ())
    if mode == "open":
        return Plan(mode, network, host, ())
    allow = {*api_hosts, *REGISTRIES, *extra, *wanted, *((HOST_GATEWAY,) if host else ())}
    return Plan(mode, None, False, tuple(sorted(allow)))
