"""The factors of a KOL score (docs/kol-scores.md), as one immutable, JSON-round-tripping value.

A score is only explainable if every factor behind it is written down: the weights travel into the output's
manifest and the app's snapshot, so a user can see exactly which settings produced a ranking.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

COMPONENTS = ("publications", "network", "trials", "focus", "momentum")
POSITIONS = ("sole", "first", "last", "second", "middle")
SITE_INVESTIGATOR = "site investigator"  # the trial-role factor of any role not named in trial_roles
OTHER_PHASE = "other"  # the phase factor of any phase not named in trial_phases (NA, empty)

_CLINICAL_TRIAL_TYPES = (
    "Clinical Trial",
    "Clinical Trial, Phase I",
    "Clinical Trial, Phase II",
    "Clinical Trial, Phase III",
    "Clinical Trial, Phase IV",
    "Controlled Clinical Trial",
    "Pragmatic Clinical Trial",
)


def _default_components() -> dict[str, float]:
    return {"publications": 0.35, "network": 0.25, "trials": 0.20, "focus": 0.10, "momentum": 0.10}


def _default_positions() -> dict[str, float]:
    return {"sole": 1.0, "first": 1.0, "last": 1.0, "second": 0.6, "middle": 0.4}


def _default_publication_types() -> dict[str, float]:
    types = {
        "Practice Guideline": 2.5,
        "Guideline": 2.5,
        "Consensus Development Conference": 2.5,
        "Consensus Development Conference, NIH": 2.5,
        "Meta-Analysis": 2.0,
        "Randomized Controlled Trial": 2.0,
        "Systematic Review": 1.5,
        "Review": 1.0,
        "Journal Article": 1.0,
        "Case Reports": 0.5,
        "Editorial": 0.3,
        "Comment": 0.3,
        "Letter": 0.3,
        "News": 0.3,
    }
    types.update(dict.fromkeys(_CLINICAL_TRIAL_TYPES, 1.5))
    return dict(sorted(types.items()))


def _default_trial_roles() -> dict[str, float]:
    return {
        "Principal Investigator": 3.0,
        "Study Chair": 3.0,
        "Sponsor-Investigator": 3.0,
        "Study Director": 2.0,
        SITE_INVESTIGATOR: 1.0,
        "Sub-Investigator": 0.5,
    }


def _default_trial_phases() -> dict[str, float]:
    return {"PHASE4": 1.5, "PHASE3": 1.5, "PHASE2": 1.2, "PHASE1": 1.0, "EARLY_PHASE1": 1.0, OTHER_PHASE: 0.8}


# Dict fields whose keys are fixed (a typo there would silently do nothing) and those a user may extend.
_CLOSED_KEYS = {"components": COMPONENTS, "positions": POSITIONS}
_OPEN_DICTS = ("publication_types", "trial_roles", "trial_phases")
_INT_FIELDS = (
    "max_iterations",
    "focus_min_papers",
    "momentum_years",
    "rising_career_years",
    "missing_year_age",
)


@dataclass(frozen=True)
class Weights:
    """Every factor of docs/kol-scores.md with its default.

    Dict fields are copied on construction so a caller's dict cannot change a Weights after the fact.
    `publication_type_other` is the factor of an article none of whose types is listed (rare: nearly every
    record carries "Journal Article"); `trial_roles["site investigator"]` applies to any role not listed and
    `trial_phases["other"]` to any phase not listed.
    """

    components: dict[str, float] = field(default_factory=_default_components)
    positions: dict[str, float] = field(default_factory=_default_positions)
    publication_types: dict[str, float] = field(default_factory=_default_publication_types)
    publication_type_other: float = 1.0
    topic_major: float = 1.0
    topic_minor: float = 0.6
    half_life_years: float = 5.0
    missing_year_age: int = 10  # an article or trial without a year counts as as_of_year - 10
    trial_roles: dict[str, float] = field(default_factory=_default_trial_roles)
    trial_phases: dict[str, float] = field(default_factory=_default_trial_phases)
    damping: float = 0.85
    max_iterations: int = 100
    tolerance: float = 1e-10
    focus_min_papers: int = 5
    momentum_years: int = 3
    rising_career_years: int = 8

    def __post_init__(self) -> None:
        for name in ("components", "positions", *_OPEN_DICTS):
            object.__setattr__(self, name, dict(getattr(self, name)))
        _validate(self)

    def __hash__(self) -> int:  # dict fields are not hashable; the JSON form is
        return hash(repr(sorted(self.to_dict().items())))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Weights:
        """Defaults overridden by `data` (a weights JSON file or the app's settings).

        Dicts merge key by key with the defaults, so `{"components": {"network": 0.5}}` changes one weight.
        Unknown keys, unknown components or positions, and negative, non-finite or non-numeric values raise
        ValueError naming the offending key: a misspelt weight must not be ignored silently.
        """
        if not isinstance(data, Mapping):
            raise ValueError(f"weights must be a JSON object, not {type(data).__name__}")
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(
                f"unknown weight key(s) {', '.join(map(repr, unknown))}; known: {', '.join(sorted(names))}"
            )
        defaults = cls()
        values: dict[str, Any] = {}
        for key, value in data.items():
            if key in _CLOSED_KEYS or key in _OPEN_DICTS:
                if not isinstance(value, Mapping):
                    raise ValueError(f"weights.{key} must be an object of name -> number")
                allowed = _CLOSED_KEYS.get(key)
                bad = sorted(set(value) - set(allowed)) if allowed else []
                if bad:
                    raise ValueError(
                        f"weights.{key}: unknown key(s) {', '.join(map(repr, bad))}; known: {', '.join(allowed or ())}"
                    )
                merged = dict(getattr(defaults, key))
                for sub, number in value.items():
                    if not isinstance(sub, str) or not sub:
                        raise ValueError(f"weights.{key}: keys must be non-empty strings")
                    merged[sub] = _number(f"{key}.{sub}", number)
                values[key] = merged
            elif key in _INT_FIELDS:
                number = _number(key, value)
                if number != int(number):
                    raise ValueError(f"weights.{key} must be a whole number, not {value!r}")
                values[key] = int(number)
            else:
                values[key] = _number(key, value)
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable; `Weights.from_dict(w.to_dict()) == w`."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = dict(sorted(value.items())) if isinstance(value, dict) else value
        return out

    # --- look-ups the engines share --------------------------------------------------------------------

    def trial_role(self, role: str) -> float:
        return self.trial_roles.get(role, self.trial_roles.get(SITE_INVESTIGATOR, 1.0))

    def trial_phase(self, phase: str) -> float:
        return self.trial_phases.get(phase, self.trial_phases.get(OTHER_PHASE, 0.8))


def _number(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"weights.{key} must be a number, not {value!r}")
    number = float(value)
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"weights.{key} must be a finite number >= 0, not {value!r}")
    return number


def _validate(w: Weights) -> None:
    """Ranges the formulas need; checked for every Weights, so a bad value fails before any work is done."""
    for name in ("components", "positions", *_OPEN_DICTS):
        for sub, number in getattr(w, name).items():
            _number(f"{name}.{sub}", number)
    missing = [c for c in COMPONENTS if c not in w.components]
    if missing or set(w.components) - set(COMPONENTS):
        raise ValueError(f"weights.components must name exactly {', '.join(COMPONENTS)}")
    if set(w.positions) != set(POSITIONS):
        raise ValueError(f"weights.positions must name exactly {', '.join(POSITIONS)}")
    if sum(w.components.values()) <= 0:
        raise ValueError("weights.components: at least one component weight must be above 0")
    for key in ("publication_type_other", "topic_major", "topic_minor"):
        _number(key, getattr(w, key))
    if not (_number("half_life_years", w.half_life_years) > 0):
        raise ValueError("weights.half_life_years must be above 0")
    if not (0 <= _number("damping", w.damping) < 1):
        raise ValueError("weights.damping must be in [0, 1)")
    if not (_number("tolerance", w.tolerance) > 0):
        raise ValueError("weights.tolerance must be above 0")
    for key in _INT_FIELDS:
        value = getattr(w, key)
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or value < (0 if key == "missing_year_age" else 1)
        ):
            raise ValueError(
                f"weights.{key} must be a whole number >= {0 if key == 'missing_year_age' else 1}"
            )
