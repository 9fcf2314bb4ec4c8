"""Skills distilled from judged runs (Agent Skills format), their validation and installation."""
