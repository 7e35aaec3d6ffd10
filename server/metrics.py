"""Prometheus metrics: what an operator watches on a server that runs agents."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from server.events import Hub
from server.lag import BUCKETS, LagProbe
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


class _LoopLag(Collector):
    """The probe's counts as they are at scrape time; it runs from the start, these
    metrics only once scraped."""

    def __init__(self, probe: LagProbe) -> None:
        self._probe = probe

    def collect(self) -> Iterator[Metric]:
        probe = self._probe
        cumulative = list(itertools.accumulate(probe.counts))
        bounds = [*map(str, BUCKETS), "+Inf"]
        yield HistogramMetricFamily(
            "wallfacer_event_loop_lag_seconds",
            "How late the event loop runs a task that sleeps a fixed interval",
            buckets=list(zip(bounds, cumulative, strict=True)),
            sum_value=probe.sum,
        )
        yield GaugeMetricFamily(
            "wallfacer_event_loop_lag_max_seconds",
            "The longest event-loop lag since the server started",
            value=probe.max,
        )


class Metrics:
    def __init__(self, store: Store, hub: Hub, lag: LagProbe) -> None:
        self.registry = CollectorRegistry()
        self.registry.register(_TaskStates(store))
        self.registry.register(_LoopLag(lag))
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
