"""Optional download of a GDPval dataset from the public dataset hub (``hf://owner/name``)."""

from __future__ import annotations

from pathlib import Path

from agent_harness.gdpval.dataset import GDPvalError


def download(repo_id: str) -> Path:
    try:
        from huggingface_hub import snapshot_download
    except ImportError:
        raise GDPvalError("downloading from the hub needs huggingface_hub (pip install 'worldbuilder[gdpval]')") from None
    try:
        return Path(snapshot_download(repo_id=repo_id, repo_type="dataset"))
    except Exception as exc:  # network errors, unknown repo, offline mode
        raise GDPvalError(f"cannot download dataset {repo_id!r} from the hub ({type(exc).__name__}); "
                          "download it elsewhere and give its local folder") from None
