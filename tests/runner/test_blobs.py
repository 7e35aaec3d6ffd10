"""Workspace files into the host's objects: git's ids, a large file written only when new."""

from __future__ import annotations

import os
from pathlib import Path

import pygit2

from runner import blobs


def test_a_large_file_gets_gits_id_and_is_written_once_as_it_was_sized(tmp_path: Path) -> None:
    repo = pygit2.init_repository(str(tmp_path / "host.git"), bare=True)
    path = tmp_path / "big.txt"
    data = b"".join(b"line %d\n" % i for i in range(blobs.CHUNK // 4))  # over two chunks
    path.write_bytes(data)

    def stored() -> tuple[pygit2.Oid, list[tuple[Path, int]]]:
        fd = os.open(path, os.O_RDONLY)
        try:
            oid = blobs.store(repo, fd, len(data))
        finally:
            os.close(fd)
        files = (tmp_path / "host.git" / "objects").rglob("*")
        return oid, sorted((p, p.stat().st_mtime_ns) for p in files if p.is_file())

    oid, objects = stored()
    assert oid == pygit2.hashfile(str(path))
    assert repo[oid].peel(pygit2.Blob).data == data
    assert stored() == (oid, objects), "known: nothing written or touched"
    with path.open("ab") as grown:
        grown.write(b"written after its size was taken\n")
    assert stored()[0] == oid
