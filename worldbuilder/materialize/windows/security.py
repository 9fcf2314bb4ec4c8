"""Windows-like NTFS security descriptors for the ``D:`` data disk (self-relative binary form).

The volume root is protected (no inheritance from above) and carries inheritable ACEs; every other
directory and file carries the same ACEs marked inherited, as Windows writes them:

    owner BUILTIN\\Administrators, group NT AUTHORITY\\SYSTEM
    SYSTEM full, Administrators full, Authenticated Users modify, Users read & execute
"""

from __future__ import annotations

import struct

SYSTEM = "S-1-5-18"
ADMINISTRATORS = "S-1-5-32-544"
AUTHENTICATED_USERS = "S-1-5-11"
USERS = "S-1-5-32-545"

FULL = 0x1F01FF
MODIFY = 0x1301BF
READ_EXECUTE = 0x1200A9
ACES = ((SYSTEM, FULL), (ADMINISTRATORS, FULL), (AUTHENTICATED_USERS, MODIFY), (USERS, READ_EXECUTE))

OBJECT_INHERIT, CONTAINER_INHERIT, INHERITED = 0x01, 0x02, 0x10
SE_DACL_PRESENT, SE_DACL_AUTO_INHERITED, SE_DACL_PROTECTED, SE_SELF_RELATIVE = 0x0004, 0x0400, 0x1000, 0x8000


def sid_bytes(sid: str) -> bytes:
    """Binary SID of ``S-1-<authority>-<sub>...``."""
    parts = sid.split("-")
    if parts[:2] != ["S", "1"] or len(parts) < 3:
        raise ValueError(f"not a SID: {sid}")
    subs = [int(p) for p in parts[3:]]
    return struct.pack("<BB", 1, len(subs)) + int(parts[2]).to_bytes(6, "big") + struct.pack(f"<{len(subs)}I", *subs)


def sid_str(data: bytes) -> str:
    """``S-1-...`` of a binary SID (the inverse of :func:`sid_bytes`)."""
    count = data[1]
    subs = struct.unpack_from(f"<{count}I", data, 8)
    return "-".join(["S", str(data[0]), str(int.from_bytes(data[2:8], "big")), *map(str, subs)])


def _ace(sid: str, mask: int, flags: int) -> bytes:
    body = struct.pack("<I", mask) + sid_bytes(sid)
    return struct.pack("<BBH", 0, flags, 4 + len(body)) + body


def descriptor(kind: str) -> bytes:
    """The security descriptor of ``kind``: ``root``, ``dir`` or ``file``."""
    if kind == "root":
        flags, control = OBJECT_INHERIT | CONTAINER_INHERIT, SE_DACL_PROTECTED | SE_DACL_AUTO_INHERITED
    elif kind == "dir":
        flags, control = OBJECT_INHERIT | CONTAINER_INHERIT | INHERITED, SE_DACL_AUTO_INHERITED
    elif kind == "file":
        flags, control = INHERITED, SE_DACL_AUTO_INHERITED
    else:
        raise ValueError(kind)
    aces = b"".join(_ace(sid, mask, flags) for sid, mask in ACES)
    acl = struct.pack("<BBHHH", 2, 0, 8 + len(aces), len(ACES), 0) + aces
    owner, group = sid_bytes(ADMINISTRATORS), sid_bytes(SYSTEM)
    dacl_at = 20
    owner_at = dacl_at + len(acl)
    group_at = owner_at + len(owner)
    head = struct.pack("<BBHIIII", 1, 0, SE_SELF_RELATIVE | SE_DACL_PRESENT | control, owner_at, group_at, 0, dacl_at)
    return head + acl + owner + group


def parse(sd: bytes) -> dict:
    """Owner, group, control and DACL entries (sid, mask, flags) of a self-relative descriptor."""
    _, _, control, owner_at, group_at, _, dacl_at = struct.unpack_from("<BBHIIII", sd)
    aces = []
    if dacl_at:
        _, _, _, count, _ = struct.unpack_from("<BBHHH", sd, dacl_at)
        at = dacl_at + 8
        for _ in range(count):
            kind, flags, size = struct.unpack_from("<BBH", sd, at)
            (mask,) = struct.unpack_from("<I", sd, at + 4)
            aces.append((kind, sid_str(sd[at + 8: at + size]), mask, flags))
            at += size
    return {"owner": sid_str(sd[owner_at:]), "group": sid_str(sd[group_at:]), "control": control, "aces": aces}
