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
        super().__init__("rebase onto the default branch conflicts in: " + ", ".join(self.files))


class DirtyCheckout(RunnerError):
    """The user's checkout has uncommitted changes in files the merge would touch."""

    def __init__(self, files: list[str]) -> None:
        self.files = sorted(files)
        super().__init__(
            "your checkout has uncommitted changes in files this merge touches: "
            + ", ".join(self.files)
            + "; commit or stash them, then accept again"
        )


class BranchMoved(RunnerError):
    """The default branch moved while the merge was being prepared; retry."""
