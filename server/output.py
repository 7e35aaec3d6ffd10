"""One run's output, line by line: what it means, what it cost, and the log entry.

Runs on the run's stream thread. Usage is counted as each line arrives,
before the stored line is cut to ``MAX_STORED_LINE`` (and before the store
drops old output past the task's cap), and held against the task's budget,
whose line ends the run; a CLI's session totals become the run's own share;
secrets are redacted before anything is stored.
"""

from __future__ import annotations

import functools
import itertools
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from runner.agents import AgentEvent, Init, MessageUsage, RunResult, ToolResult, Usage
from runner.agents.events import to_dict
from runner.lines import CutLine
from server import budget
from server.config import ConfigStore
from server.errors import InsufficientStorage
from server.readahead import ReadAhead
from server.redact import Redactor
from server.store import Output, Spending, Store
from server.store.log import DERIVED

log = logging.getLogger(__name__)
# How often a run held back by a full disk tries its write again.
DISK_FULL_RETRY_S = 2.0
# The log keeps at most this much of one raw output line.
MAX_STORED_LINE = 1024 * 1024
Parser = Callable[[str], list[AgentEvent]]


@dataclass
class RunState:
    """What one run has told us so far."""

    result: RunResult | None = None
    timed_out: float = 0.0  # the timeout, in seconds, that ended the run
    lost: str = ""
    replies: dict[str, Usage] = field(default_factory=dict)  # each reply's usage, by its id
    tool_results: int = 0
    tool_errors: int = 0
    interrupted: str = ""  # what cut the run off, should it then fail (an engine restart)
    over_budget: str = ""  # why the run was stopped at its task's budget

    def unreported(self) -> Usage | None:
        """What the run's replies used when it ended without a result (killed, timed out)."""
        if self.result is not None or not self.replies:
            return None
        return functools.reduce(Usage.plus, self.replies.values(), Usage())


class Recorder:
    """Stores a run's output lines, a batch per transaction, with what they mean."""

    def __init__(
        self, store: Store, task_id: str, parse: Parser, state: RunState, lines: int = 0
    ) -> None:
        self.store = store
        self.task_id = task_id
        self.parse = parse
        self.state = state
        self.lines = lines  # the run's lines so far: a reattach skips as many
        self.spending: Spending | None = None  # the task's, as of the last write
        self.edits = store.budget_edits  # the store's budget edits when it was read
        self.unwritten = 0.0  # the cost of turns parsed since then

    def follow(
        self,
        lines: Iterator[str],
        config: ConfigStore,
        stop: threading.Event,
        changed: Callable[[], None],
    ) -> bool:
        """Store a run's output to its end (False: ``stop`` came first, or the task's
        budget was reached: ``state.over_budget`` says so), telling
        ``changed`` after each batch. The settings are read per batch: the env
        file's secrets and the output cap follow their edits."""
        ahead = ReadAhead(lines, f"read-{self.task_id[:8]}")
        try:
            while batch := ahead.take():
                if stop.is_set():
                    return False
                current = config.current
                self.record(batch, config.redactor, current.output_cap_bytes, stop)
                changed()
                if self.state.over_budget:
                    return False
        finally:
            ahead.stop()
        return True

    def record(
        self,
        lines: list[str],
        redactor: Redactor,
        cap_bytes: int,
        stop: threading.Event | None = None,
    ) -> None:
        """Store lines that arrived together, in one transaction (two around a
        session's cumulative result, which needs the session's earlier turns stored).
        While the data dir's disk is full, a write is tried again until there is
        room or ``stop`` is set: the run waits (its container is held back by its
        unread output) rather than failing for want of space, and resumes once
        space is freed. Without ``stop`` a full disk raises at once. The line that
        reaches the task's budget is the run's last: any after it are left
        unstored, as if the run had been stopped right there."""
        if self.store.budget_edits != self.edits:  # a budget edited while the run goes
            self.edits, self.spending = self.store.budget_edits, None
        batch: list[Output] = []
        for line in lines:
            events = self.parse(line)
            if any(isinstance(e, RunResult) and e.cumulative for e in events):
                self._write(batch, cap_bytes, stop)
                batch = []
            self.lines += 1
            output = self._output(events, line, redactor)
            batch.append(output)
            if output.turn is not None:
                self.unwritten += output.turn.cost_usd
            costs = output.turn is not None or any(isinstance(e, MessageUsage) for e in events)
            if costs and self._over_budget():
                break
        self._write(batch, cap_bytes, stop)

    def _write(self, batch: list[Output], cap_bytes: int, stop: threading.Event | None) -> None:
        """Store lines, waiting for space while the disk is full (see ``record``)."""
        for attempt in itertools.count():
            try:
                spending = self.store.append_outputs(self.task_id, batch, self.lines, cap_bytes)
                break
            except InsufficientStorage as exc:
                if stop is None:
                    raise
                if attempt == 0:
                    log.warning("task %s: its output waits for space: %s", self.task_id[:8], exc)
                if stop.wait(DISK_FULL_RETRY_S):
                    raise
        if spending is not None:
            self.spending, self.unwritten = spending, 0.0

    def _over_budget(self) -> bool:
        """Whether the task has spent its budget: its recorded turns, this batch's, and
        what this run's replies used that no result has counted yet (a stopped run is
        charged that).

        The figures are those the last write returned, read again only after a budget
        edit: ten chatty runs queued on the store once more per batch for them (P5,
        ten runs: 50 against 55 MB/s)."""
        if self.spending is None:
            self.spending = self.store.spending(self.task_id)
        if self.spending.budget_usd is None:
            return False
        pending = self.state.unreported()
        spent = self.spending.cost_usd + self.unwritten + (pending.cost_usd if pending else 0.0)
        self.state.over_budget = budget.exceeded(spent, self.spending.budget_usd)
        return bool(self.state.over_budget)

    def _output(self, events: list[AgentEvent], line: str, redactor: Redactor) -> Output:
        state = self.state
        session = next(
            (e.session_id for e in events if isinstance(e, Init | RunResult) and e.session_id),
            None,
        )
        for event in events:
            if isinstance(event, MessageUsage):
                state.replies[event.message_id or f"line {self.lines}"] = event.usage
            elif isinstance(event, ToolResult):
                state.tool_results += 1
                state.tool_errors += event.is_error
        result = next((e for e in events if isinstance(e, RunResult)), None)
        if result is not None and result.cumulative:
            earlier = self.store.session_usage(self.task_id, result.session_id)
            own = replace(result, usage=result.usage.less(earlier, result.cumulative))
            events = [own if e is result else e for e in events]
            result = own
        if result is not None:
            state.result = result
        if _kept_raw(line, events, redactor):
            return Output(DERIVED, line=line)
        data = _stored(line, [to_dict(e) for e in events])
        text = _result_text(data)
        return Output(
            redactor.json(data),
            session_id=session,
            turn=result.usage if result else None,
            turn_is_error=bool(result and result.is_error),
            result=None if text is None else redactor.text(text),
        )


def _kept_raw(line: str, events: list[AgentEvent], redactor: Redactor) -> bool:
    """Whether the log may keep the line as its raw text and derive its events from
    it when read (``Adapter.parser``): it is stored whole, holds no secret, and
    says nothing a fresh parser would not (neither a session's start nor a result
    depends on the line alone). Then the agent's bytes are stored once and never
    encoded again: writing them twice, as the line and as its events' JSON, took
    half the time a line took to store."""
    if isinstance(line, CutLine) or len(line) > MAX_STORED_LINE:
        return False
    if any(isinstance(e, Init | RunResult) for e in events):
        return False
    return redactor.text(line) == line


def _stored(line: str, events: list[dict[str, Any]]) -> dict[str, Any]:
    """A line's log entry: a long line cut to MAX_STORED_LINE, saying how many of the
    bytes it came with were not stored, and its events' texts cut alike."""
    dropped = line.dropped if isinstance(line, CutLine) else 0
    if len(line) <= MAX_STORED_LINE and not dropped:
        return {"line": line, "truncated": False, "events": events}
    kept = line[:MAX_STORED_LINE]
    omitted = len(line.encode()) - len(kept.encode()) + dropped
    return {"line": kept, "truncated": True, "omitted": omitted, "events": _cut(events)}


def _cut(value: Any) -> Any:
    if isinstance(value, str) and len(value) > MAX_STORED_LINE:
        return f"{value[:MAX_STORED_LINE]} … ({len(value) - MAX_STORED_LINE} characters not stored)"
    if isinstance(value, dict):
        return {key: _cut(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_cut(item) for item in value]
    return value


def _result_text(data: dict[str, Any]) -> str | None:
    """The run's final text as stored, or None on any other line."""
    texts = [e["text"] for e in data["events"] if e.get("kind") == "result"]
    return str(texts[-1]) if texts else None
