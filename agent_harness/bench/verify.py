"""Verify a bundle folder before anything is loaded: format version, file list, every sha256."""

from __future__ import annotations

import json
import os
import posixpath
from pathlib import Path

from agent_harness.bench.errors import BundleRejected
from agent_harness.bench.layers import sha256_file
from agent_harness.bench.model import (
    BLOBS,
    DIGEST_RE,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    Manifest,
    blob_path,
    task_dir,
)

TASK_FILES = ("task.json", "spec.json", "briefing.json", "grader/objectives.json", "grader/grader.json")


def read_manifest(root: Path) -> Manifest:
    path = root / MANIFEST
    if path.is_symlink() or not path.is_file():
        raise BundleRejected(f"{root} is not a benchmark bundle (no {MANIFEST})")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BundleRejected(f"malformed {MANIFEST}: {str(exc).splitlines()[0]}") from exc
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise BundleRejected(f"{MANIFEST} is not a {FORMAT} manifest")
    if raw.get("format_version") != FORMAT_VERSION:
        raise BundleRejected(f"unknown bundle format version {raw.get('format_version')!r} "
                             f"(this worldbuilder reads version {FORMAT_VERSION})")
    try:
        return Manifest.model_validate(raw)
    except ValueError as exc:
        raise BundleRejected(f"malformed {MANIFEST}: {str(exc).splitlines()[0]}") from exc


def _listing(root: Path) -> set[str]:
    """Every file under ``root`` (relative); links and special files are rejected."""
    found = set()
    for dirpath, dirs, files in os.walk(root):
        for n in dirs + files:
            p = Path(dirpath) / n
            rel = p.relative_to(root).as_posix()
            if p.is_symlink():
                raise BundleRejected(f"bundle entry {rel!r} is a symbolic link (bundles hold only files and folders)")
            if n in files:
                if not p.is_file():
                    raise BundleRejected(f"bundle entry {rel!r} is not a file or folder")
                if p.stat().st_nlink > 1:
                    raise BundleRejected(f"bundle entry {rel!r} is a hard link (bundles hold only files and folders)")
                found.add(rel)
    return found - {MANIFEST}


def verify(root: Path) -> Manifest:
    """Check the whole bundle at ``root``; return its manifest or raise BundleRejected (one line)."""
    m = read_manifest(root)
    for rel, digest in m.files.items():
        norm = posixpath.normpath(rel)
        if rel.startswith("/") or norm != rel or norm.startswith(".."):
            raise BundleRejected(f"{MANIFEST} lists {rel!r}, which escapes the bundle folder")
        if not DIGEST_RE.match(digest):
            raise BundleRejected(f"{MANIFEST} gives {rel!r} a malformed digest")
        if rel.startswith(BLOBS + "/") and rel != blob_path(digest):
            raise BundleRejected(f"blob {rel!r} is not named by its digest")
    present = _listing(root)
    if extra := sorted(present - set(m.files)):
        raise BundleRejected(f"bundle file {extra[0]!r} is not listed in {MANIFEST}")
    if missing := sorted(set(m.files) - present):
        raise BundleRejected(f"bundle file {missing[0]!r} is missing (truncated bundle?)")
    for t in m.tasks:
        for rel in [f"{task_dir(t.id)}/{f}" for f in TASK_FILES] + [blob_path(d) for d in
                                                                     [t.image.config, *t.image.layers]]:
            if rel not in m.files:
                raise BundleRejected(f"task {t.id}: {rel} is missing from the bundle")
    for rel in sorted(m.files):
        actual = sha256_file(root / rel)
        if actual != m.files[rel]:
            raise BundleRejected(f"digest mismatch for {rel}: expected {m.files[rel][:19]}..., got {actual[:19]}...")
    return m
