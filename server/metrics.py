"""Prometheus metrics: what an operator watches on a server that runs agents."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from server.events import Hub
from server.states import Status
from server.store import Store

_LATENCY_BUCKETS = (0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60)


class _TaskStates(Collector):
    """Read at scrape time from the store, so it can never drift from the truth."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def collect(self) -> Iterator[GaugeMetricFamily]:
        counts = self._store.counts()
        family = GaugeMetricFamily("wallfacer_tasks", "Tasks by state", labels=["state"])
        for state in Status:
            family.add_metric([state.value], counts.get(state.value, 0))
        yield family


class Metrics:
    def __init__(self, store: Store, hub: Hub) -> None:
        self.registry = CollectorRegistry()
        self.registry.register(_TaskStates(store))
        self.runs_started = Counter(
            "wallfacer_runs_started", "Agent runs started", registry=self.registry
        )
        self.runs_failed = Counter(
            "wallfacer_runs_failed", "Agent runs that ended failed", registry=self.registry
        )
        self.runs_timed_out = Counter(
            "wallfacer_runs_timed_out", "Agent runs stopped by the timeout", registry=self.registry
        )
        self.container_start = Histogram(
            "wallfacer_container_start_seconds",
            "From asking the engine for a container to its running",
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.accept = Histogram(
            "wallfacer_accept_seconds",
            "The accept pipeline: commit, rebase, fast-forward",
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        sse = Gauge("wallfacer_sse_clients", "Connected SSE clients", registry=self.registry)
        sse.set_function(lambda: hub.clients)

    def render(self) -> bytes:
        """Blocking (it reads the store): call from a worker thread."""
        return generate_latest(self.registry)
