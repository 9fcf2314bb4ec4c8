"""inspect_ai entry point (``[project.entry-points.inspect_ai]``): registers the ``worldbuilder`` sandbox
and the ``worldbuilder_bench`` task."""

from agent_harness.bench.inspect_sandbox import WorldbuilderSandbox
from agent_harness.bench.inspect_task import worldbuilder_bench

__all__ = ["WorldbuilderSandbox", "worldbuilder_bench"]
