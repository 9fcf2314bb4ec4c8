"""The files the provisioner would write, computed on the host (mirror of provisioners/provision.py).

Given the provisioner's config and the facts of the base (account databases, skeleton, directory
metadata), return the tar members that ``provision.py`` run inside the base would leave behind: the
account entries (passwd/group/shadow/gshadow/subuid/subgid), the skeleton dotfiles, ``~/.ssh`` with the
authorized key, the sshd drop-in and an ed25519 host key, time zone, locale, environment and the
``/etc/worldbuilder`` metadata. Anything this mirror cannot reproduce (e.g. an account the base has)
raises :class:`NeedsProvisioner`, and the caller falls back to the provisioner path.
"""

from __future__ import annotations

import base64
import importlib.util
import io
import json
import tarfile
import time
from dataclasses import dataclass
from functools import cache

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from worldbuilder.errors import WorldbuilderError
from worldbuilder.materialize.paths import PROVISIONERS_DIR

SUB_ID_MIN, SUB_ID_COUNT = 100000, 65536
IN_PLACE = "usr/lib/locale/locale-archive"


class NeedsProvisioner(WorldbuilderError):
    """The host-side layer cannot reproduce this computer; build it with the provisioner instead."""


@dataclass
class Member:
    info: tarfile.TarInfo
    data: bytes | None = None


@cache
def provisioner():
    """provisioners/provision.py as a module (its SSHD_CONF is the one source of the sshd drop-in)."""
    spec = importlib.util.spec_from_file_location("wb_provision", PROVISIONERS_DIR / "provision.py")
    mod = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


def _member(name: str, kind: bytes, mode: int, mtime: float, uid: int = 0, gid: int = 0,
            data: bytes | None = None, link: str = "") -> Member:
    ti = tarfile.TarInfo(name.lstrip("/"))
    ti.type, ti.mode, ti.uid, ti.gid, ti.mtime = kind, mode, uid, gid, mtime
    ti.uname = ti.gname = ""
    if data is not None:
        ti.size = len(data)
    ti.linkname = link
    return Member(ti, data)


def _file(name: str, data: bytes, mode: int, mtime: float, uid: int = 0, gid: int = 0) -> Member:
    return _member(name, tarfile.REGTYPE, mode, mtime, uid, gid, data)


def _dir_like_base(path: str, facts: dict, mtime: float | None) -> Member | None:
    """A parent directory entry with the base's owner and mode (the layer may not change them) and
    ``mtime`` (None: the base's own, for a directory whose direct entries do not change)."""
    st = facts["stat"].get(path)
    if st is None or st["kind"] != "dir":
        return None
    return _member(path, tarfile.DIRTYPE, st["mode"], st["mtime"] if mtime is None else mtime, st["uid"], st["gid"])


def host_key(hostname: str = "localhost") -> tuple[bytes, str]:
    """A fresh ed25519 host key: (OpenSSH private key file, public line)."""
    key = Ed25519PrivateKey.generate()
    priv = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                             serialization.NoEncryption())
    pub = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return priv, f"{pub.decode()} root@{hostname}"


def _accounts(cfg: dict, facts: dict, now: float) -> list[Member]:
    """The account databases (and their ``-`` backups) after ``groupadd``, ``useradd -M`` and
    ``usermod -p '*'``: group/gshadow/subuid/subgid are written once (backup = the base's file, with
    its mtime), passwd/shadow twice (backup = the state after ``useradd``, password still ``!``)."""
    user = cfg["user"]
    name, uid, gid = user["name"], int(user["uid"]), int(user["gid"])
    days = int(now // 86400)
    files = {k: base64.b64decode(v).decode() for k, v in facts["files"].items()}
    lines = {
        "passwd": f"{name}:x:{uid}:{gid}:{user['gecos']}:{user['home']}:{user['shell']}\n",
        "group": f"{name}:x:{gid}:\n",
        "shadow": f"{name}:*:{days}:0:99999:7:::\n",
        "gshadow": f"{name}:!::\n",
    }
    for kind in ("subuid", "subgid"):
        if kind in files:
            lines[kind] = f"{name}:{_next_sub_id(files[kind])}:{SUB_ID_COUNT}\n"
    out = []
    for kind, line in lines.items():
        old = files.get(kind, "")
        if any(ln.split(":", 1)[0] == name for ln in old.splitlines()):
            raise NeedsProvisioner(f"the base already has an account entry {name!r} in /etc/{kind}")
        st = facts["stat"].get(f"/etc/{kind}") or {"mode": 0o644, "uid": 0, "gid": 0, "mtime": now}
        own = (st["mode"], st["uid"], st["gid"])
        out.append(_file(f"/etc/{kind}", (old + line).encode(), own[0], now, *own[1:]))
        if kind == "passwd":
            out.append(_file(f"/etc/{kind}-", (old + line).encode(), own[0], now, *own[1:]))
        elif kind == "shadow":
            out.append(_file(f"/etc/{kind}-", (old + line.replace(":*:", ":!:", 1)).encode(), own[0], now, *own[1:]))
        elif kind in files:
            out.append(_file(f"/etc/{kind}-", old.encode(), own[0], st["mtime"], *own[1:]))
    return out


def _next_sub_id(text: str) -> int:
    end = SUB_ID_MIN
    for ln in text.splitlines():
        parts = ln.split(":")
        if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
            end = max(end, int(parts[1]) + int(parts[2]))
    return end


def _home(cfg: dict, facts: dict, now: float, existing: set[str]) -> tuple[list[Member], list[str]]:
    """Skeleton dotfiles, ``~/.ssh/authorized_keys`` and the Windows home link; returns (members, extras)."""
    user = cfg["user"]
    uid, gid, home = int(user["uid"]), int(user["gid"]), user["home"].rstrip("/")
    out, extras = [], []
    for sk in facts["skel"]:
        if f"{home}/{sk['name']}".lstrip("/") in existing:
            continue
        out.append(_file(f"{home}/{sk['name']}", base64.b64decode(sk["data"]), sk["mode"], sk["mtime"], uid, gid))
        extras.append(sk["name"])
    out.append(_member(f"{home}/.ssh", tarfile.DIRTYPE, 0o700, now, uid, gid))
    out.append(_file(f"{home}/.ssh/authorized_keys", (cfg["ssh_public_key"].strip() + "\n").encode(), 0o600,
                     now, uid, gid))
    extras.append(".ssh/authorized_keys")
    if user.get("home_link"):
        out.append(_member(user["home_link"], tarfile.SYMTYPE, 0o777, now, link=home))
    return out, extras


def _locale(cfg: dict, facts: dict) -> tuple[str, Member | None]:
    """(LANG value, the regenerated locale-archive when the base lacks the locale, as ``localedef`` does)."""
    loc = cfg.get("locale") or "C.UTF-8"
    lang, _, charset = loc.partition(".")
    charset = charset or "UTF-8"
    have = {x.lower().replace("-", "") for x in facts["locales"]}
    if f"{lang}.{charset}".lower().replace("-", "") in have:
        return f"{lang}.{charset}", None
    archive = facts.get("locale_archives", {}).get(f"{lang}.{charset}")
    if archive is None:
        raise NeedsProvisioner(f"locale {loc!r} is not generated in the base")
    if archive is False:  # the base cannot generate it: the provisioner falls back to C.UTF-8
        return "C.UTF-8", None
    st = facts["stat"].get("/usr/lib/locale/locale-archive") or {"mode": 0o644, "uid": 0, "gid": 0}
    return f"{lang}.{charset}", _file("/usr/lib/locale/locale-archive", archive, st["mode"], 0, st["uid"], st["gid"])


def _system(cfg: dict, facts: dict, now: float, extras: list[str]) -> tuple[list[Member], str]:
    """sshd, time zone, locale, sudo and metadata files; returns (members, host public key)."""
    prov = provisioner()
    user = cfg["user"]
    out = [_file("/etc/ssh/sshd_config.d/worldbuilder.conf", prov.SSHD_CONF.format(user=user["name"]).encode(),
                 0o644, now)]
    if facts["stat"].get("/etc/ssh/ssh_host_ed25519_key"):
        raise NeedsProvisioner("the base ships an ssh host key")
    priv, pub = host_key()
    out += [_file("/etc/ssh/ssh_host_ed25519_key", priv, 0o600, now),
            _file("/etc/ssh/ssh_host_ed25519_key.pub", (pub + "\n").encode(), 0o644, now)]
    if not facts["stat"].get("/run/sshd"):
        out.append(_member("/run/sshd", tarfile.DIRTYPE, 0o755, now))
    tz = cfg.get("timezone") or "UTC"
    if tz not in set(facts["zoneinfo"]) or ".." in tz:
        tz = "UTC"
    lang, archive = _locale(cfg, facts)
    if archive is not None:
        archive.info.mtime = now
        out.append(archive)
    out += [_file("/etc/timezone", f"{tz}\n".encode(), 0o644, now),
            _member("/etc/localtime", tarfile.SYMTYPE, 0o777, now, link=f"/usr/share/zoneinfo/{tz}"),
            _file("/etc/default/locale", f"LANG={lang}\n".encode(), 0o644, now),
            _file("/etc/environment", f"LANG={lang}\nTZ=:/etc/localtime\n".encode(), 0o644, now)]
    if user.get("sudo"):
        out.append(_file(f"/etc/sudoers.d/90-worldbuilder-{user['name']}",
                         f"{user['name']} ALL=(ALL) NOPASSWD:ALL\n".encode(), 0o440, now))
    meta = {k: v for k, v in cfg.items() if k != "ssh_public_key"}
    for name, value in (("computer.json", meta), ("drives.json", cfg.get("drives", {})),
                        ("extras.json", sorted(extras))):
        out.append(_file(f"/etc/worldbuilder/{name}", (json.dumps(value, indent=1) + "\n").encode(), 0o644, now))
    return out, pub


def provisioned_members(cfg: dict, facts: dict, now: float | None = None,
                        existing: set[str] = frozenset()) -> tuple[list[Member], str]:  # type: ignore[assignment]
    """Every member the provisioner would add to the home tree (whose tar names are ``existing``) and
    the system, parents first; and the host public key."""
    prov = provisioner()
    try:
        prov.validate(cfg)
    except prov.ProvisionError as exc:
        raise WorldbuilderError(f"provisioning config invalid: {exc}") from exc
    now = float(int(time.time() if now is None else now))
    home, extras = _home(cfg, facts, now, existing)
    system, pub = _system(cfg, facts, now, extras)
    members = [*home, *_accounts(cfg, facts, now), *system]
    # a directory whose direct entries are created or replaced gets the build's time, others keep the base's
    # (localedef rewrites the locale-archive in place: its directory keeps its time)
    names = [*existing, *(m.info.name for m in members if m.info.name != IN_PLACE)]
    direct = {"/" + n.rsplit("/", 1)[0] for n in names if "/" in n}
    parents: dict[str, Member] = {}
    for m in members:
        parts = m.info.name.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            path = "/" + "/".join(parts[:i])
            if path not in parents and not path.startswith(cfg["user"]["home"].rstrip("/")):
                d = _dir_like_base(path, facts, now if path in direct else None)
                if d is not None:
                    parents[path] = d
    return [*parents.values(), *members], pub


def tar_bytes(members: list[Member]) -> bytes:
    """Members as a tar (tests and debugging)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for m in members:
            tar.addfile(m.info, io.BytesIO(m.data) if m.data is not None else None)
    return buf.getvalue()
