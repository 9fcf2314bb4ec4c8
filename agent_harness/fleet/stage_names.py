"""The fleet's stage names, in pipeline order (a module of its own: the CLI needs them without the models)."""

STAGES: tuple[str, ...] = ("generate", "image", "objectives", "simulate", "judge", "report")
