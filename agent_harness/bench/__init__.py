"""Benchmark bundles: export computers (image + objectives + grader) to share, import, run and rank.

Sits at the bottom of the data flow (it uses the image, run and judge stages); nothing under
``worldbuilder/`` imports it. Layout and contract of a bundle: :mod:`agent_harness.bench.model`.
"""
