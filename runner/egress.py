"""The "allowlist" network mode: a task container reaches the world only through a proxy.

Such a task container sits on an internal Docker network (no route out) whose
one way out is an egress proxy (tinyproxy, ``runner/images/egress/``) that is
also on a normal bridge network. The proxy lets CONNECT and plain HTTP through
only to allowlisted host names and answers everything else with a 403, which
its log records, so the app can show a task what it was refused. All of it is
labelled with the app instance, and only that is ever removed: the engine may
be shared. The docker SDK is synchronous: call this from worker threads only.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import docker.errors
from docker.types import LogConfig

from runner import holders
from runner.containers import HOST_GATEWAY, HOST_GATEWAY_MAPPING, LABEL_INSTANCE, Engine
from runner.errors import EgressFailed, ImageMissing
from runner.images.build import Progress, build, bundled_tag, current

IMAGE = "egress"  # the image's folder under runner/images
ALIAS = "egress-proxy"  # the proxy's name on the internal network
PORT = 8888
URL = f"http://{ALIAS}:{PORT}"  # what the task container's *_PROXY variables say
# With EGRESS_REVERSE (a swarm's, ``runner.swarmnet``): the proxy's path to the app,
# which passes a run's /api/ship/ requests on and nothing else.
REVERSE_URL = f"http://{ALIAS}:8889"
LABEL_ROLE = "wallfacer.egress"  # proxy | internal | outside
LABEL_CONFIG = "wallfacer.egress.config"  # hash of image and allowlist: a change recreates
INHIBIT_IPV4 = "com.docker.network.bridge.inhibit_ipv4"
START_TIMEOUT = 30.0  # seconds; a busy engine can take a while to start a container
LOOKBACK = 60.0  # seconds of log read before `since`: a refusal's connection opened earlier

_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
_NAME = re.compile(rf"(?:\*\.)?{_LABEL}(?:\.{_LABEL})*")
# tinyproxy's messages, each matched from the message's start (after "[pid]: ") so
# a client cannot forge one inside the request line that the proxy logs.
_CONNECT = re.compile(r"Connect \(file descriptor (\d+)\): (\S+)$")
_REQUEST = re.compile(r"Request \(file descriptor (\d+)\): (\S+) (\S+)")
_REFUSED = re.compile(r'Proxying refused on filtered domain "(.*)"$')
_STAMP = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?Z")


@dataclass(frozen=True)
class Proxy:
    network: str  # the internal network: the task container's network_mode
    url: str
    container: str

    def env(self) -> dict[str, str]:
        """Proxy variables for the task container: tools read either spelling."""
        local = "localhost,127.0.0.1,::1"
        env = {"HTTP_PROXY": self.url, "HTTPS_PROXY": self.url, "NO_PROXY": local}
        return env | {k.lower(): v for k, v in env.items()}


@dataclass(frozen=True)
class Denied:
    host: str
    client_ip: str  # the client's address on the internal network; "" if the log lost it
    at: float  # seconds since the epoch, from the engine's log timestamp


def patterns(allow: Iterable[str]) -> list[str]:
    """The allowlist checked and normalised: host names and ``*.suffix``, sorted, unique.

    Only letters, digits, ``-``, ``_`` and dots pass, so a pattern cannot smuggle
    regex syntax into the proxy's filter.
    """
    names = set()
    for raw in allow:
        name = raw.strip().lower().rstrip(".")
        if not _NAME.fullmatch(name):
            raise EgressFailed(
                f"{raw!r} is not a host name or *.suffix pattern for the egress allowlist"
            )
        names.add(name)
    return sorted(names)


def filter_text(names: list[str]) -> str:
    """tinyproxy's filter: one extended regex a line, matched case-insensitively.

    ``*.example.com`` allows any subdomain but not ``example.com`` itself.
    """
    lines = []
    for name in names:
        wild = name.startswith("*.")
        escaped = (name[2:] if wild else name).replace(".", r"\.")
        lines.append(rf"^.+\.{escaped}$" if wild else f"^{escaped}$")
    return "\n".join(lines)


def prepare(engine: Engine, progress: Progress, base: str | None = None) -> str:
    """The proxy image's tag, building it first where this machine lacks it."""
    tag = bundled_tag(IMAGE, base)
    return tag if current(engine, tag, base) else build(engine, IMAGE, progress, base)


def parse_denied(lines: Iterable[str]) -> list[Denied]:
    """Refusals in the proxy's log (lines as ``docker logs --timestamps`` gives them).

    tinyproxy logs a refusal without its connection, so the client is the one
    whose open connection last asked for that host: the ``Connect`` and
    ``Request`` lines carry the connection's descriptor, which no two open
    connections share. The latest is taken since an older one may be a client
    that went away before the proxy had read its request.
    """
    open_: dict[str, tuple[str, str]] = {}  # descriptor -> (client ip, requested host)
    found = []
    for line in lines:
        stamp, _, text = line.partition(" ")
        message = text.partition("]: ")[2]
        if match := _CONNECT.match(message):
            open_.pop(match[1], None)  # a descriptor reused: its older connection is over
            open_[match[1]] = (match[2], "")
        elif (match := _REQUEST.match(message)) and match[1] in open_:
            ip = open_.pop(match[1])[0]
            open_[match[1]] = (ip, _target_host(match[2], match[3]))
        elif match := _REFUSED.match(message):
            host = match[1].lower()
            asked = [fd for fd, (_, wanted) in open_.items() if wanted == host]
            ip = open_.pop(asked[-1])[0] if asked else ""
            found.append(Denied(host, ip, _epoch(stamp)))
    return found


def _target_host(method: str, target: str) -> str:
    if method.upper() == "CONNECT":
        host = target.rpartition(":")[0] if ":" in target else target
        return host.strip("[]").lower()
    try:
        return (urlsplit(target).hostname or "").lower()
    except ValueError:  # not a URL: the proxy refuses it before its filter
        return ""


def _epoch(stamp: str) -> float:
    """An RFC 3339 UTC timestamp with nanoseconds (more than datetime parses) as epoch."""
    match = _STAMP.fullmatch(stamp)
    if match is None:
        return 0.0
    whole = datetime.fromisoformat(match[1] + "+00:00").timestamp()
    return whole + float("0." + (match[2] or "0"))


def config_hash(image: str, names: list[str]) -> str:
    return hashlib.sha256("\n".join([image, *names]).encode()).hexdigest()[:16]


class Egress:
    """One app instance's internal network, outside network and proxy container."""

    def __init__(self, engine: Engine, instance: str) -> None:
        self.engine = engine
        self.instance = instance
        self.network = f"wallfacer-egress-{instance}"  # also the proxy container's name
        self.outside = f"{self.network}-out"
        self._lock = threading.Lock()  # two tasks starting at once must not race to create

    def ensure(self, image: str, allow: Iterable[str]) -> Proxy:
        """The running proxy for this allowlist, recreating it if the list or image changed.

        Recreating drops the connections running tasks have open through the
        proxy; they reconnect to the new one under the same alias.
        """
        names = patterns(allow)
        config = config_hash(image, names)
        with self._lock:
            found = self._proxy()
            if found and found["State"]["Running"] and _labels(found).get(LABEL_CONFIG) == config:
                return Proxy(self.network, URL, found["Id"])
            if found:
                self.engine.remove(found["Id"])
            self._ensure_network(self.network, internal=True)
            self._ensure_network(self.outside, internal=False)
            container_id = self._create(image, names, config)
            self._wait_listening(container_id)
            return Proxy(self.network, URL, container_id)

    def denied(self, since: float) -> list[Denied]:
        """Requests the current proxy refused at or after ``since`` (epoch seconds)."""
        found = self._proxy()
        if found is None:
            return []
        start = since - LOOKBACK if since > LOOKBACK else None
        raw = self._call("logs", found["Id"], stderr=False, timestamps=True, since=start)
        lines = bytes(raw).decode("utf-8", errors="replace").splitlines()
        return [d for d in parse_denied(lines) if d.at >= since]

    def container_ip(self, container_id: str, network: str | None = None) -> str | None:
        """A container's address on ``network`` (default: the internal one), to match
        a refusal's client to its task: a container that joined a holder's namespace
        (``runner.holders``) has the holder's."""
        try:
            info = self._call("inspect_container", container_id)
            holder = holders.holder_of(info)
            if holder is not None:
                info = self._call("inspect_container", holder)
        except docker.errors.NotFound:
            return None
        networks = info.get("NetworkSettings", {}).get("Networks") or {}
        return networks.get(network or self.network, {}).get("IPAddress") or None

    def remove(self) -> None:
        """Remove this instance's proxy and networks, and nothing else.

        A network a task container is still on stays, and the error says so,
        after everything else is gone.
        """
        mine = {"label": [f"{LABEL_INSTANCE}={self.instance}", LABEL_ROLE]}
        busy = []
        with self._lock:
            for container in self._call("containers", all=True, filters=mine):
                self.engine.remove(container["Id"])
            for net in self._call("networks", filters=mine):
                try:
                    self._call("remove_network", net["Id"])
                except docker.errors.NotFound:
                    pass
                except docker.errors.APIError as exc:
                    busy.append(f"{net['Name']} ({exc.explanation or exc})")
        if busy:
            raise EgressFailed("cannot remove network " + ", ".join(busy))

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return self.engine._call(getattr(self.engine.client().api, method), *args, **kwargs)

    def _labels(self, role: str, **extra: str) -> dict[str, str]:
        return {LABEL_INSTANCE: self.instance, LABEL_ROLE: role, **extra}

    def _mine(self, what: str, name: str, labels: dict[str, str]) -> None:
        if labels.get(LABEL_INSTANCE) != self.instance or LABEL_ROLE not in labels:
            raise EgressFailed(
                f"a {what} named {name} exists that this app instance did not create; "
                "remove or rename it"
            )

    def _proxy(self) -> dict[str, Any] | None:
        try:
            info: dict[str, Any] = self._call("inspect_container", self.network)
        except docker.errors.NotFound:
            return None
        self._mine("container", self.network, _labels(info))
        return info

    def _ensure_network(self, name: str, internal: bool) -> None:
        for net in self._call("networks", names=[name]):
            if net["Name"] == name:  # the engine's name filter also matches parts of names
                self._mine("network", name, net.get("Labels") or {})
                return
        try:
            self._call(
                "create_network",
                name,
                internal=internal,
                labels=self._labels("internal" if internal else "outside"),
                check_duplicate=True,
                **self._network_kind(internal),
            )
        except docker.errors.APIError as exc:
            raise EgressFailed(f"cannot create network {name}: {exc.explanation or exc}") from exc

    def _network_kind(self, internal: bool) -> dict[str, Any]:
        """The driver of the proxy's networks, and its options."""
        # An internal bridge still gives the host an address on it, where a task
        # could reach the host's services; without one there is no route at all.
        return {"driver": "bridge", "options": {INHIBIT_IPV4: "true"} if internal else None}

    def _create(self, image: str, names: list[str], config: str) -> str:
        """Create and start the proxy: on the internal network under ALIAS, then the outside."""
        api = self.engine.client().api
        host_config = api.create_host_config(
            network_mode=self.network,
            cap_drop=["ALL"],
            security_opt=["no-new-privileges"],
            read_only=True,
            tmpfs={"/tmp": "size=1m"},
            # Only the proxy resolves the host: the task container must not reach it.
            extra_hosts=HOST_GATEWAY_MAPPING if HOST_GATEWAY in names else None,
            restart_policy={"Name": "unless-stopped"},  # tasks outlive the app and engine restarts
            log_config=LogConfig(
                type=LogConfig.types.JSON, config={"max-size": "10m", "max-file": "2"}
            ),
        )
        networking = api.create_networking_config(
            {self.network: api.create_endpoint_config(aliases=[ALIAS])}
        )
        try:
            created = self._call(
                "create_container",
                image,
                name=self.network,
                environment={"EGRESS_FILTER": filter_text(names)},
                labels=self._labels("proxy", **{LABEL_CONFIG: config}),
                host_config=host_config,
                networking_config=networking,
            )
        except docker.errors.ImageNotFound as exc:
            raise ImageMissing(f"egress proxy image {image!r} is not on this machine") from exc
        container_id = str(created["Id"])
        try:
            self._call("connect_container_to_network", container_id, self.outside)
            self._call("start", container_id)
        except BaseException:
            self.engine.remove(container_id)
            raise
        return container_id

    def _wait_listening(self, container_id: str) -> None:
        """tinyproxy prints its first log line only once it listens: wait for that line."""
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self._call("logs", container_id, stderr=False, tail=1):
                return
            info = self._call("inspect_container", container_id)
            if not info["State"]["Running"] or time.monotonic() > deadline:
                log = self._call("logs", container_id, tail=20)
                text = bytes(log).decode("utf-8", errors="replace").strip()
                raise EgressFailed(f"the egress proxy did not start: {text or 'no output'}")
            time.sleep(0.05)


def _labels(info: dict[str, Any]) -> dict[str, str]:
    return dict(info.get("Config", {}).get("Labels") or {})
