"""The trajectory-analysis report of a judged run (the seed paper's appendix, six sections)."""

from agent_harness.report.api import build_report, write_report

__all__ = ["build_report", "write_report"]
