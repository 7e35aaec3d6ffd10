"""What a task container may reach on the network, decided from settings and the agent env.

The host is out of reach by default: ``host.docker.internal`` is mapped only
when the user enables host access, or when a configured ``*_BASE_URL`` names
it (how an agent reaches a local model proxy or a test stub).
"""

from __future__ import annotations

from urllib.parse import urlsplit

HOST_GATEWAY = "host.docker.internal"


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


def names_host_gateway(env: dict[str, str]) -> bool:
    return HOST_GATEWAY in base_url_hosts(env)
