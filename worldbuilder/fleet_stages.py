"""The fleet directory's vocabulary, shared by its writer (``agent_harness.fleet``) and its reader (the viewer):
stage names in pipeline order and the states a manifest record can hold."""

STAGES: tuple[str, ...] = ("generate", "image", "objectives", "simulate", "judge", "report")
STATES: tuple[str, ...] = ("pending", "running", "done", "failed", "quarantined")
