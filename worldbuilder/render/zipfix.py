"""Deterministic zip writing: fixed timestamps, stable order, fixed attributes.

Office files (docx/xlsx/pptx) are zips whose entries normally carry the time they were written.
:func:`write_zip` writes entries with a given ``date_time`` and attributes, and caches the
compressed form of repeated content (template parts such as styles and slide masters).
"""

from __future__ import annotations

import hashlib
import io
import struct
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

DateTime = tuple[int, int, int, int, int, int]
ZIP_EPOCH: DateTime = (1980, 1, 1, 0, 0, 0)
_STORED_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".zip", ".gz")
_CACHE: dict[bytes, tuple[int, bytes]] = {}
_CACHE_MIN = 2048  # only remember compressed data of entries at least this large
_CACHE_MAX = 512


@dataclass(frozen=True)
class Entry:
    name: str
    data: bytes
    date_time: DateTime
    deflate: bool = True


def _compress(data: bytes) -> tuple[int, bytes]:
    key = hashlib.sha1(data).digest() if len(data) >= _CACHE_MIN else b""
    if key and key in _CACHE:
        return _CACHE[key]
    comp = zlib.compressobj(6, zlib.DEFLATED, -15)
    result = (zlib.crc32(data), comp.compress(data) + comp.flush())
    if key:
        if len(_CACHE) >= _CACHE_MAX:
            _CACHE.clear()
        _CACHE[key] = result
    return result


def _dos_time(dt: DateTime) -> tuple[int, int]:
    y, mo, d, h, mi, s = dt
    return (y - 1980) << 9 | mo << 5 | d, h << 11 | mi << 5 | s // 2


def write_zip(entries: Iterable[Entry], unix_mode: int | None = None) -> bytes:
    """Serialise ``entries`` in the given order into zip bytes.

    ``unix_mode`` None writes MS-DOS attributes (as Office does); otherwise Unix permissions.
    """
    out = io.BytesIO()
    central: list[bytes] = []
    system, ext_attr = (0, 0) if unix_mode is None else (3, (0o100000 | unix_mode) << 16)
    for e in entries:
        name = e.name.encode("utf-8")
        flags = 0x800 if not e.name.isascii() else 0
        if e.deflate and not e.name.lower().endswith(_STORED_SUFFIXES):
            method, (crc, payload) = 8, _compress(e.data)
        else:
            method, crc, payload = 0, zlib.crc32(e.data), e.data
        ddate, dtime = _dos_time(e.date_time)
        offset = out.tell()
        common = struct.pack("<HHHHHIII", 20, flags, method, dtime, ddate, crc, len(payload), len(e.data))
        out.write(b"PK\x03\x04" + common + struct.pack("<HH", len(name), 0) + name + payload)
        central.append(b"PK\x01\x02" + struct.pack("<BB", 20, system) + common
                       + struct.pack("<HHHHHI", len(name), 0, 0, 0, 0, ext_attr)
                       + struct.pack("<I", offset) + name)
    start = out.tell()
    for c in central:
        out.write(c)
    size = out.tell() - start
    out.write(b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, len(central), len(central), size, start, 0))
    return out.getvalue()


def read_entries(data: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return [(i.filename, zf.read(i)) for i in zf.infolist() if not i.is_dir()]


def ooxml_order(names: Iterable[str]) -> list[str]:
    """Stable OOXML entry order: ``[Content_Types].xml`` first, then the original order."""
    names = list(names)
    return sorted(names, key=lambda n: 0 if n == "[Content_Types].xml" else 1)


def normalise(data: bytes, date_time: DateTime, replace: dict[str, bytes] | None = None,
              drop: Iterable[str] = ()) -> bytes:
    """Rewrite an OOXML zip with fixed timestamps, replacing or dropping some entries."""
    replace = replace or {}
    dropped = set(drop)
    entries = dict(read_entries(data))
    names = ooxml_order(n for n in entries if n not in dropped)
    return write_zip(Entry(n, replace.get(n, entries[n]), date_time) for n in names)
