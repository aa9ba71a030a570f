"""Explainable KOL scores for one therapeutic area (docs/kol-scores.md), without Django.

`score_area` reads the pipelines' Parquet tables and writes scores, evidence and payments context; every
point of a score is an evidence row naming its PMID or NCT id. Engines: "local" (Polars + SciPy, default)
and "spark" (PySpark, imported only when asked for).
"""

from .common import Area, ScoreSummary
from .score import ENGINES, score_area
from .weights import COMPONENTS, Weights

__all__ = ["COMPONENTS", "ENGINES", "Area", "ScoreSummary", "Weights", "score_area"]
