"""The swarm's nodes' own engines, where the manager's API does not say enough.

Without a registry the app loads a run's image into each node it was given
(``--node-engine``) that lacks it. And only a node's engine knows whether the
kernel killed a process of a task's container for its memory limit: Swarm's
task status keeps the exit code and drops ``OOMKilled``. The manager's own
node is asked through the manager's engine.
"""

from __future__ import annotations

import re
import threading
from typing import Any

import docker
import docker.errors
import requests

from runner.containers import Engine
from runner.errors import RunnerError

CONTAINER_ID = re.compile(r"[0-9a-f]{64}")


class Nodes:
    def __init__(self, manager: Engine, urls: tuple[str, ...]) -> None:
        self.manager = manager
        self.urls = urls  # the nodes' engine APIs, unix:// or tcp://
        self._loaded: set[tuple[str, str]] = set()  # (url, image id) known to be there
        self._ids: dict[str, str] = {}  # node id -> url, as each engine said
        self._guard = threading.Lock()

    def push(self, image_id: str) -> None:
        """Load the image into each node's engine that lacks it: ``save`` from the
        manager, ``load`` into the node, streamed. A service names the image by its
        id, so the node then runs exactly the image the app checked."""
        for url in self.urls:
            if (url, image_id) in self._loaded:
                continue
            target = docker.APIClient(base_url=url, timeout=300)
            try:
                try:
                    target.inspect_image(image_id)
                except docker.errors.ImageNotFound:
                    saved = self.manager._call(self.manager.client().api.get_image, image_id)
                    target.load_image(saved)
                    target.inspect_image(image_id)  # the same id, or the load failed
            except (docker.errors.DockerException, requests.RequestException) as exc:
                raise RunnerError(
                    f"cannot load the image {image_id[:19]} into {url}: {exc}"
                ) from exc
            finally:
                target.close()
            with self._guard:
                self._loaded.add((url, image_id))

    def container(self, node_id: str, container_id: str) -> dict[str, Any] | None:
        """A task's container as its node's engine sees it; None where no engine the
        app was given is that node's, or the container is gone. The id is the node's
        word: anything but a container id (a path, say) is never sent to an engine."""
        if not CONTAINER_ID.fullmatch(container_id):
            return None
        api = self.manager.client().api
        try:
            if self.manager._call(api.info)["Swarm"]["NodeID"] == node_id:
                return dict(self.manager._call(api.inspect_container, container_id))
            url = self._url(node_id)
            if url is None:
                return None
            target = docker.APIClient(base_url=url, timeout=30)
            try:
                return dict(target.inspect_container(container_id))
            finally:
                target.close()
        except (docker.errors.DockerException, requests.RequestException, RunnerError):
            return None

    def _url(self, node_id: str) -> str | None:
        with self._guard:
            if node_id in self._ids:
                return self._ids[node_id]
        for url in self.urls:
            target = docker.APIClient(base_url=url, timeout=30)
            try:
                found = str(target.info()["Swarm"]["NodeID"])
            except (docker.errors.DockerException, requests.RequestException):
                continue
            finally:
                target.close()
            with self._guard:
                self._ids[found] = url
        with self._guard:
            return self._ids.get(node_id)
