"""What an engine runs for one job-stage: the stage function, timed, its failure turned into data.

Only small values cross process (or Ray object-store) boundaries: the fleet directory path, the job,
the stage name and the config in; the output path, timings and a one-line error out.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

from agent_harness.fleet.faults import is_transient
from agent_harness.fleet.models import FleetConfig, Job, now_iso
from agent_harness.fleet.stages import StageContext, stage_funcs


def execute(fleet_dir: str, job: dict, stage: str, config: dict, node: str | None = None) -> dict:
    """Run ``stage`` for ``job``; never raises (the result says ok or not, and whether to retry)."""
    started, t0 = now_iso(), time.monotonic()
    out: dict = {"started": started, "node": node or socket.gethostname()}
    try:
        ctx = StageContext(Path(fleet_dir), Job.model_validate(job), FleetConfig.model_validate(config))
        out.update(ok=True, output=stage_funcs(ctx.config.pipeline)[stage](ctx), error=None, transient=False)
    except Exception as exc:  # every failure becomes a manifest record; the fleet goes on
        text = " ".join(str(exc).split())[:500]
        out.update(ok=False, output=None, error=f"{type(exc).__name__}: {text}", transient=is_transient(exc))
    out.update(ended=now_iso(), seconds=round(time.monotonic() - t0, 3))
    return out
