"""What the host-side layer builder needs to know about a shared base image, read once per base.

One ``docker run --rm --network none`` of the base dumps (as JSON) the account databases, the skeleton
files, the metadata of the directories the provisioner touches, the time-zone names, the generated
locales and the locale sources ``localedef`` can compile. The result is cached under
``$WORLDBUILDER_CACHE/base-facts/<image-id>.json`` so every later computer over the same base is built
without starting any container.
"""

from __future__ import annotations

import json
import os
import re

from worldbuilder.errors import DockerError, ImageNotFound
from worldbuilder.materialize import docker_sdk
from worldbuilder.materialize.paths import cache_home

ACCOUNT_FILES = ("passwd", "group", "shadow", "gshadow", "subuid", "subgid")
STAT_PATHS = ("/etc", "/etc/ssh", "/etc/ssh/sshd_config.d", "/etc/worldbuilder", "/etc/default", "/etc/sudoers.d",
              "/home", "/mnt", "/run", "/run/sshd", "/var", "/var/log", "/var/log/lastlog", "/var/log/faillog",
              "/etc/localtime", "/etc/ssh/ssh_host_ed25519_key", *(f"/etc/{n}" for n in ACCOUNT_FILES),
              "/usr", "/usr/lib", "/usr/lib/locale", "/usr/lib/locale/locale-archive")
FACTS_VERSION = "3"

_SCRIPT = r"""
import base64, json, os, stat, subprocess
def st(p):
    try:
        s = os.lstat(p)
    except OSError:
        return None
    kind = "dir" if stat.S_ISDIR(s.st_mode) else "link" if stat.S_ISLNK(s.st_mode) else "file"
    return {"mode": stat.S_IMODE(s.st_mode), "uid": s.st_uid, "gid": s.st_gid, "mtime": s.st_mtime,
            "size": s.st_size, "kind": kind}
out = {"files": {}, "stat": {}, "skel": [], "zoneinfo": [], "locales": []}
for n in ACCOUNT_FILES:
    p = "/etc/" + n
    if os.path.isfile(p):
        out["files"][n] = base64.b64encode(open(p, "rb").read()).decode()
for p in STAT_PATHS:
    out["stat"][p] = st(p)
skel = "/etc/skel"
for n in sorted(os.listdir(skel)) if os.path.isdir(skel) else []:
    p = os.path.join(skel, n)
    if os.path.isfile(p):
        out["skel"].append({"name": n, "data": base64.b64encode(open(p, "rb").read()).decode(), **st(p)})
zi = "/usr/share/zoneinfo"
for d, _, fs in os.walk(zi):
    out["zoneinfo"] += [os.path.relpath(os.path.join(d, f), zi) for f in fs]
loc = subprocess.run(["locale", "-a"], capture_output=True, text=True).stdout.split()
out["locales"] = loc
src = "/usr/share/i18n/locales"
out["locale_sources"] = sorted(os.listdir(src)) if os.path.isdir(src) else []
print(json.dumps(out))
"""


def base_id(base: str) -> str:
    info = docker_sdk.image_info(base)
    if info is None:
        raise ImageNotFound(f"image not found: {base}")
    return info["Id"]


def base_facts(base: str, image_id: str | None = None) -> dict:
    """The cached facts of ``base`` (read from the image the first time); ``image_id`` if known."""
    image_id = image_id or base_id(base)
    path = cache_home() / "base-facts" / f"{image_id.split(':')[-1]}-v{FACTS_VERSION}.json"
    if path.exists():
        return json.loads(path.read_text())
    script = f"ACCOUNT_FILES = {ACCOUNT_FILES!r}\nSTAT_PATHS = {STAT_PATHS!r}\n" + _SCRIPT
    code, raw, err = docker_sdk.run_capture(base, ["-c", script], entrypoint=["python3"], timeout=120)
    if code != 0:
        detail = err.decode(errors="replace").strip().splitlines()[-1:] or ["?"]
        raise DockerError(f"reading the facts of {base} failed: {detail[0]}")
    facts = json.loads(raw)
    facts["image_id"] = image_id
    facts["inspect"] = docker_sdk.image_info(base)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(facts))
    os.replace(tmp, path)
    return facts



def locale_archive(base: str, image_id: str, lang: str, charset: str) -> bytes | None:
    """The base's ``/usr/lib/locale/locale-archive`` after ``localedef -i LANG -f CHARSET LANG.CHARSET``
    (what the provisioner runs for a locale the base lacks), generated once per (base, locale) in a
    throw-away container and cached; None when the base cannot generate that locale."""
    if not re.fullmatch(r"[A-Za-z]{2,3}(_[A-Za-z]{2})?(@[a-z]+)?", lang) or not re.fullmatch(r"[A-Za-z0-9-]+", charset):
        return None
    cache = cache_home() / "base-facts" / "locales" / image_id.split(":")[-1]
    path, missing = cache / f"{lang}.{charset}.archive", cache / f"{lang}.{charset}.none"
    if path.exists():
        return path.read_bytes()
    if missing.exists():
        return None
    script = (f"localedef -i {lang} -f {charset} {lang}.{charset} >/dev/null 2>&1 "
              "&& cat /usr/lib/locale/locale-archive")
    code, out, _ = docker_sdk.run_capture(base, ["-c", script], entrypoint=["/bin/sh"], timeout=300)
    cache.mkdir(parents=True, exist_ok=True)
    if code != 0 or not out:
        missing.touch()
        return None
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(out)
    os.replace(tmp, path)
    return out
