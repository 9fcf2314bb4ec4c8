"""Host-side state and cache locations (outside any image).

``WORLDBUILDER_HOME`` (default ``~/.local/share/worldbuilder``) holds per-computer SSH keys and the
running-computer state; ``WORLDBUILDER_CACHE`` (default ``~/.cache/worldbuilder``) holds the apt/.deb
cache, downloaded wheels and bootstrapped rootfs tarballs so base rebuilds are fast.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
IMAGES_DIR = REPO_ROOT / "images"
PROVISIONERS_DIR = REPO_ROOT / "provisioners"


def state_home() -> Path:
    env = os.environ.get("WORLDBUILDER_HOME")
    path = Path(env) if env else Path.home() / ".local" / "share" / "worldbuilder"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def cache_home() -> Path:
    env = os.environ.get("WORLDBUILDER_CACHE")
    path = Path(env) if env else Path.home() / ".cache" / "worldbuilder"
    path.mkdir(parents=True, exist_ok=True)
    return path


def keys_dir() -> Path:
    path = state_home() / "keys"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path
