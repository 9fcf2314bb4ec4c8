"""Key material that must never enter a bundle: private keys, API keys, and where images keep them."""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterable
from pathlib import Path

# A PEM private key: the armour line followed by (optional RFC 1421 headers and) a base64 body; the bare
# armour string alone is not a key (sshd, ssh-keygen and libcrypto carry it as a literal).
PRIVATE_KEY_RE = re.compile(rb"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----\r?\n"
                            rb"(?:[A-Za-z-]+: [^\n]*\n)*\r?\n?[A-Za-z0-9+/=\r\n]{64,}")
API_KEY_RE = re.compile(rb"\b(?:sk-[A-Za-z0-9_-]{20,}|sk-ant-[A-Za-z0-9_-]{20,}|AKIA[0-9A-Z]{16}|ghp_[A-Za-z0-9]{36}"
                        rb"|hf_[A-Za-z0-9]{30,}|xox[bp]-[A-Za-z0-9-]{20,})")
SECRET_ENVS = ("WORLDBUILDER_LLM_API_KEY", "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "HF_TOKEN")

# Paths (inside an image layer, no leading "/") whose files are keys: dropped from every exported layer.
# Host keys are made again at boot (the exported image's CMD runs ``ssh-keygen -A``); authorized_keys
# and client keys belong to the exporting machine.
KEY_PATHS = ("etc/ssh/ssh_host_*", "etc/ssl/private/*", "*/.ssh/id_*", "*/.ssh/authorized_keys")


def is_key_path(name: str) -> bool:
    name = name.lstrip("./").lstrip("/")
    base = name.rsplit("/", 1)[-1]
    if base.startswith(".wh."):  # a whiteout deletes; it holds nothing
        return False
    return any(fnmatch.fnmatchcase(name, pat) for pat in KEY_PATHS)


def env_secrets() -> list[bytes]:
    """Values of the API-key variables set in this process (long enough to be real secrets)."""
    return [v.encode() for k in SECRET_ENVS if len(v := os.environ.get(k, "")) >= 8]


def find_key_material(data: bytes, extra: Iterable[bytes] = ()) -> str | None:
    """What kind of key material ``data`` holds, or None."""
    if PRIVATE_KEY_RE.search(data):
        return "a private key"
    if API_KEY_RE.search(data):
        return "an API key"
    for secret in extra:
        if secret and secret in data:
            return "the value of an API-key environment variable"
    return None


def scan_tree(root: Path, skip_blobs: bool = False, skip_layers: Iterable[str] = ()) -> list[tuple[str, str]]:
    """(relative path, what) for every file under ``root`` holding key material.

    ``skip_layers``: digests of layer blobs already scanned file by file while they were written."""
    hits = []
    extra = env_secrets()
    skip = {d.split(":")[-1] for d in skip_layers}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root)
        if not p.is_file() or (skip_blobs and "blobs" in rel.parts) or ("blobs" in rel.parts and p.name in skip):
            continue
        what = find_key_material(p.read_bytes(), extra)
        if what:
            hits.append((p.relative_to(root).as_posix(), what))
    return hits
