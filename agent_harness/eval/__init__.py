"""Evaluations built on runs and judgements: paired skill comparisons (Fig. 7)."""
