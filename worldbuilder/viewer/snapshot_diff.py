"""Files added, changed and deleted between two day snapshots of a Docker run, on request.

The snapshots are the images recorded in the run's snapshots.json (``worldbuilder/computer-<id>:<label>``);
the listing is worldbuilder's own (a short-lived, network-less container per snapshot, cached on disk per
image id), so asking twice costs nothing. Any other ref (local runtime, QEMU) is reported as unavailable.
"""

from __future__ import annotations

import threading

from worldbuilder.errors import WorldbuilderError

_cache: dict[tuple[str, str], dict] = {}
_lock = threading.Lock()


def _split(ref: str) -> tuple[str, str] | None:
    from worldbuilder.materialize.docker_image import REPO_PREFIX

    if not ref.startswith(REPO_PREFIX) or ":" not in ref:
        return None
    repo, label = ref.rsplit(":", 1)
    return repo[len(REPO_PREFIX):], label


def diff_refs(ref_a: str, ref_b: str) -> dict:
    """``{"available": True, "added", "changed", "deleted"}`` or ``{"available": False, "reason"}``."""
    a, b = _split(ref_a), _split(ref_b)
    if a is None or b is None or a[0] != b[0]:
        return {"available": False, "reason": "not Docker snapshots of one computer"}
    with _lock:  # one listing at a time; cached results are immutable
        if (ref_a, ref_b) in _cache:
            return _cache[(ref_a, ref_b)]
        from worldbuilder.runtime.docker_snapshots import INITIAL, DockerSnapshots

        try:
            d = DockerSnapshots(a[0]).diff(a[1] if a[1] != INITIAL else INITIAL, b[1])
        except (WorldbuilderError, OSError) as exc:
            return {"available": False, "reason": str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__}
        out = {"available": True, "added": d.added, "changed": d.changed, "deleted": d.deleted}
        _cache[(ref_a, ref_b)] = out
        return out
