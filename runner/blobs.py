"""A workspace file into the host's objects, with memory bounded whatever its size.

A file of up to a chunk is read whole. A larger one is hashed a chunk at a
time, and only when the objects lack it (most files are unchanged: the user's
objects hold them) written through libgit2's blob stream, which spools to
disk. So a snapshot holds at most a chunk of any file an agent wrote.
"""

from __future__ import annotations

import hashlib
import io
import os

import pygit2
from pygit2.enums import ObjectType

CHUNK = 1 << 20


def store(repo: pygit2.Repository, fd: int, size: int) -> pygit2.Oid:
    """The blob of the first ``size`` bytes of ``fd`` (its size when checked, so a
    file that grows meanwhile is read as it was), written unless ``repo`` has it."""
    if size <= CHUNK:
        data = os.read(fd, size)
        oid = pygit2.hash(data)
        if oid not in repo.odb:
            repo.odb.write(ObjectType.BLOB, data)
        return oid
    oid = oid_of(fd, size)
    if oid in repo.odb:  # (``in repo`` would load the object whole)
        return oid
    os.lseek(fd, 0, os.SEEK_SET)
    return repo.create_blob_fromiobase(_Prefix(fd, size))


def oid_of(fd: int, size: int) -> pygit2.Oid:
    """Git's id for a blob of these bytes. Should a file shrink meanwhile, the id is
    one the objects lack, and libgit2 names what it writes itself. (A crafted SHA-1
    collision would only make review show, and accept commit, the blob it collides
    with: what is reviewed is still what lands.)"""
    digest = hashlib.sha1(b"blob %d\0" % size, usedforsecurity=False)
    left = size
    while left and (chunk := os.read(fd, min(CHUNK, left))):
        digest.update(chunk)
        left -= len(chunk)
    return pygit2.Oid(raw=digest.digest())


class _Prefix(io.RawIOBase):
    """The first ``size`` bytes of a descriptor, as libgit2's blob stream reads them."""

    def __init__(self, fd: int, size: int) -> None:
        super().__init__()
        self.fd = fd
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        read = os.readv(self.fd, [memoryview(buffer)[: self.left]])
        self.left -= read
        return read
