"""``.tar.zst`` bundles: deterministic packing and an extraction that trusts nothing.

Extraction accepts only plain files and folders with relative names that stay inside the target;
``..``, absolute names, links (symbolic or hard), devices and a truncated or corrupt stream are
rejected with one line, and the partly extracted folder is removed.
"""

from __future__ import annotations

import io
import os
import posixpath
import secrets
import shutil
import tarfile
from pathlib import Path

from agent_harness.bench.errors import BundleRejected

SUFFIXES = (".tar.zst", ".tzst")


def is_archive(path: Path) -> bool:
    return path.name.endswith(SUFFIXES)


def _zstd():
    try:
        import zstandard
    except ImportError as exc:  # pragma: no cover - the bench extra installs it
        raise BundleRejected("reading .tar.zst bundles needs the zstandard package "
                             "(pip install 'worldbuilder[bench]')") from exc
    return zstandard


def pack(src: Path, dest: Path, level: int = 3) -> Path:
    """Write the folder ``src`` as a deterministic ``.tar.zst`` at ``dest`` (tmp + rename)."""
    zstd = _zstd()
    tmp = dest.with_name(f".{dest.name}.tmp-{secrets.token_hex(3)}")
    try:
        with open(tmp, "wb") as raw, zstd.ZstdCompressor(level=level).stream_writer(raw) as zw, \
                tarfile.open(fileobj=zw, mode="w|", format=tarfile.PAX_FORMAT) as tar:  # type: ignore[arg-type]
            for p in sorted(src.rglob("*")):
                rel = p.relative_to(src).as_posix()
                info = tar.gettarinfo(str(p), arcname=rel)
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                info.mtime = 0
                info.mode = 0o755 if p.is_dir() else 0o644
                if p.is_dir():
                    tar.addfile(info)
                else:
                    with open(p, "rb") as fh:
                        tar.addfile(info, fh)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return dest


def check_member(m: tarfile.TarInfo) -> str:
    """The member's safe relative name, or raise BundleRejected."""
    name = m.name
    if name.startswith("/") or (len(name) > 1 and name[1] == ":") or "\\" in name:
        raise BundleRejected(f"archive entry {name!r} has an absolute path")
    norm = posixpath.normpath(name)
    if norm == ".." or norm.startswith("../") or ".." in name.split("/"):
        raise BundleRejected(f"archive entry {name!r} escapes the bundle folder")
    if m.issym() or m.islnk():
        target = m.linkname if m.islnk() else posixpath.join(posixpath.dirname(norm), m.linkname)
        outside = m.linkname.startswith("/") or posixpath.normpath(target).startswith("..")
        kind = "symbolic link" if m.issym() else "hard link"
        if outside:
            raise BundleRejected(f"archive entry {name!r} is a {kind} pointing outside the bundle "
                                 f"({m.linkname})")
        raise BundleRejected(f"archive entry {name!r} is a {kind} (bundles hold only files and folders)")
    if not (m.isreg() or m.isdir()):
        raise BundleRejected(f"archive entry {name!r} is not a file or folder")
    return norm


def extract(archive: Path, dest_parent: Path) -> Path:
    """Extract ``archive`` into a new folder under ``dest_parent``; on any problem remove it and raise."""
    zstd = _zstd()
    dest_parent.mkdir(parents=True, exist_ok=True)
    out = dest_parent / f".bundle-{secrets.token_hex(4)}"
    out.mkdir()
    try:
        with open(archive, "rb") as raw, tarfile.open(fileobj=_StrictZstdReader(raw, zstd), mode="r|") as tar:
            for m in tar:
                rel = check_member(m)
                target = out / rel
                if m.isdir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                with open(target, "wb") as fh:
                    shutil.copyfileobj(tar.extractfile(m), fh)  # type: ignore[arg-type]
            while tar.fileobj.read(1 << 20):  # type: ignore[union-attr]  # drain: reach the end of the frame
                pass
        return out
    except BundleRejected:
        shutil.rmtree(out, ignore_errors=True)
        raise
    except (tarfile.TarError, EOFError, OSError, zstd.ZstdError) as exc:
        shutil.rmtree(out, ignore_errors=True)
        raise BundleRejected(f"{archive.name} is truncated or corrupt ({str(exc).splitlines()[0] or type(exc).__name__})") from exc
    except BaseException:
        shutil.rmtree(out, ignore_errors=True)
        raise


class _StrictZstdReader(io.RawIOBase):
    """Decompress a zstd file, raising at the end when its last frame is incomplete (truncation)."""

    def __init__(self, raw, zstd) -> None:
        self.raw, self.zstd = raw, zstd
        self.dobj, self.buf, self.done = zstd.ZstdDecompressor().decompressobj(), b"", False

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        while not self.buf and not self.done:
            chunk = self.raw.read(1 << 20)
            if not chunk:
                self.done = True
                if not self.dobj.eof:
                    raise EOFError("the compressed stream ends inside a frame")
                break
            while chunk:
                if self.dobj.eof:
                    self.dobj = self.zstd.ZstdDecompressor().decompressobj()
                self.buf += self.dobj.decompress(chunk)
                chunk = self.dobj.unused_data if self.dobj.eof else b""
        n = min(len(b), len(self.buf))
        b[:n] = self.buf[:n]
        self.buf = self.buf[n:]
        return n
