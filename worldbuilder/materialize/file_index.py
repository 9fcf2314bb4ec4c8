"""The file lister every backend runs to index a computer's files (and the label of the fresh build).

``LISTER`` is a Python program: given ``{layout prefix: absolute root}`` as JSON in ``argv[1]``, it prints
``{path relative to the layout root: sha256 or "link:<target>"}``. The disk builder runs it on the host
over the staged root; the snapshot backends run it inside the computer.
"""

from __future__ import annotations

INITIAL = "latest"  # the freshly built image/disk; usable as ``a`` in diff and in restore
LISTER = r"""
import hashlib, json, os, sys
out = {}
for prefix, root in json.loads(sys.argv[1]).items():
    pre = "" if prefix == "." else prefix + "/"
    for d, dirs, files in os.walk(root):
        dirs.sort()
        for n in sorted(files + [x for x in dirs if os.path.islink(os.path.join(d, x))]):
            p = os.path.join(d, n)
            rel = pre + os.path.relpath(p, root)
            if os.path.islink(p):
                out[rel] = "link:" + os.readlink(p)
            elif os.path.isfile(p):
                h = hashlib.sha256()
                with open(p, "rb") as fh:
                    for chunk in iter(lambda: fh.read(1 << 20), b""):
                        h.update(chunk)
                out[rel] = h.hexdigest()
json.dump(out, sys.stdout)
"""
