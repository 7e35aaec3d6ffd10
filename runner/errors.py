"""Typed failures the runner raises, so callers can tell a person what to do."""

from __future__ import annotations


class RunnerError(Exception):
    """Base class: the message is meant to be shown to the user as is."""


class RuntimeUnavailable(RunnerError):
    """The container engine cannot be reached (Docker or Podman not running)."""


class ImageMissing(RunnerError):
    """The sandbox image is not present locally (and is never pulled implicitly)."""


class NotARepository(RunnerError):
    """A path given as a repository is not a git repository."""


class MergeConflict(RunnerError):
    """Rebasing the task branch onto the default branch conflicted."""

    def __init__(self, files: list[str]) -> None:
        self.files = sorted(files)
        super().__init__("rebase onto the default branch conflicts in: " + listing(self.files))


class MarkersLeft(MergeConflict):
    """Files a conflict round marked still hold conflict markers: never landed so."""

    def __init__(self, files: list[str]) -> None:
        super().__init__(files)
        self.args = ("conflict markers are still in: " + listing(self.files),)


class DirtyCheckout(RunnerError):
    """The user's checkout has uncommitted changes in files the merge would touch."""

    def __init__(self, files: list[str]) -> None:
        self.files = sorted(files)
        super().__init__(
            "your checkout has uncommitted changes in files this merge touches: "
            + listing(self.files)
            + "; commit or stash them, then accept again"
        )


def listing(paths: list[str], most: int = 50) -> str:
    """Paths for a message a person reads: at most ``most``, then how many more."""
    shown = ", ".join(paths[:most])
    return shown + (f" and {len(paths) - most} more" if len(paths) > most else "")


class OperationInProgress(RunnerError):
    """The user's repository is mid-rebase (or merge, ...): landing now would be undone."""


class NothingToMerge(RunnerError):
    """The task's workspace has no change against its base."""


class BranchMoved(RunnerError):
    """The default branch moved while the merge was being prepared; retry."""


class ImageFailed(RunnerError):
    """Building or pulling a sandbox image failed; ``log_tail`` is what the UI shows of it."""

    def __init__(self, message: str, log_tail: list[str]) -> None:
        super().__init__(message)
        self.log_tail = log_tail


class WorkspaceRefused(RunnerError):
    """The workspace holds something the host will not take in (a special file, a huge file)."""


class EgressFailed(RunnerError):
    """The proxy or its networks could not be set up; the message says why."""


class NoShell(RunnerError):
    """The image has no /bin/sh, which the steps before its agent (a setup script) need."""


class ShipDenied(RunnerError):
    """A fetch or upload of a run's files with no such run, a wrong token, or again."""
