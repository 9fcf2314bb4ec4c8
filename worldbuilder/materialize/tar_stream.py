"""Tar archives streamed from their sources, with their size known before the first byte.

The fast image path puts each computer's layer tar *inside* the docker-archive it streams to the daemon.
Writing the layer to a file first and copying it into the archive moved every byte of the home twice
more; :class:`TarStream` knows the layer's exact size from its headers and the files' sizes, so the
archive's member header can be written first and the layer produced straight from the source files.
The bytes are those of ``tarfile.open(mode="w|", format=PAX_FORMAT)`` with the same members.
"""

from __future__ import annotations

import hashlib
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

BLOCK, RECORD = tarfile.BLOCKSIZE, tarfile.RECORDSIZE

Source = Path | bytes | None


def _header(info: tarfile.TarInfo) -> bytes:
    return info.tobuf(tarfile.PAX_FORMAT, tarfile.ENCODING, "surrogateescape")


def _pad(n: int) -> bytes:
    return bytes(-n % BLOCK)


class TarStream:
    """A tar of ``members`` (TarInfo, source: a file, bytes or None), produced on demand."""

    def __init__(self, members: list[tuple[tarfile.TarInfo, Source]]) -> None:
        self.parts = [(_header(info), src, info.size if src is not None else 0) for info, src in members]
        body = sum(len(h) + size + (-size % BLOCK) for h, _, size in self.parts) + 2 * BLOCK
        self.size = body + (-body % RECORD)
        self.sha = hashlib.sha256()

    def chunks(self) -> Iterator[bytes]:
        """The archive's bytes (hashed into ``self.sha`` as they go)."""
        sent = 0
        for head, src, size in self.parts:
            data = b""
            if isinstance(src, Path):
                with open(src, "rb") as fh:
                    data = fh.read(size + 1)
            elif src is not None:
                data = src
            if len(data) != size:
                raise OSError(f"{src} changed size while the image was built")
            for piece in (head, data, _pad(size)):
                if piece:
                    self.sha.update(piece)
                    sent += len(piece)
                    yield piece
        tail = bytes(self.size - sent)
        self.sha.update(tail)
        yield tail

    def write_to(self, out: BinaryIO) -> str:
        """Write the archive to ``out``; returns its ``sha256:`` digest."""
        for piece in self.chunks():
            out.write(piece)
        return "sha256:" + self.sha.hexdigest()


def member(out: BinaryIO, name: str, size: int, mtime: int, pieces: Iterator[bytes] | bytes) -> None:
    """One regular-file member of an outer tar written to ``out`` (then its padding)."""
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = size, mtime, 0o644
    out.write(_header(info))
    for piece in [pieces] if isinstance(pieces, bytes) else pieces:
        out.write(piece)
    out.write(_pad(size))


def end(out: BinaryIO, written: int) -> None:
    """The end-of-archive blocks, padded to a whole record (``written``: bytes so far)."""
    total = written + 2 * BLOCK
    out.write(bytes(2 * BLOCK + (-total % RECORD)))
