"""The demo data set behind `liaison demo`: real public records (NLM PubMed and MeSH, ClinicalTrials.gov,
CMS Open Payments) for people and places, and a fictional company's field activity around them.

See data/*/SOURCE.txt for where each file came from and under which terms it may be shared.
"""

from .content import DEMO_PASSWORD
from .loader import DemoSummary, count_rows, database_is_empty, demo_logins, load_demo, planned_steps
from .plan import SIZES

__all__ = [
    "DEMO_PASSWORD",
    "SIZES",
    "DemoSummary",
    "count_rows",
    "database_is_empty",
    "demo_logins",
    "load_demo",
    "planned_steps",
]
