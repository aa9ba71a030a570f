"""`link_persons`: find each author cluster in the other sources and in the app's HCP records.

Steps (docs/kol-scores.md, "Linking people across sources"):

1. Candidates: every target source is joined with the persons' name spellings on the block key (surname and
   first initial, vectorised), plus HCP records found through an ORCID or e-mail of a person.
2. Evidence: each pair is scored in Python (`evidence.Scorer`); a target met under several spellings or
   addresses keeps its best-scoring one.
3. Ambiguity: when several persons match one target about equally well (or one person several NPPES or HCP
   records), each of them loses log(n) of log-odds, and says so.
4. Decisions: a user's accept or reject wins over the computed status, and survives re-runs.
5. Chaining: an NPI of a record linked (or accepted) for a person corroborates that person's other
   candidates with the same NPI (HCP record, payment recipient, NPPES provider), up to three rounds.
6. Output: rows with status linked, suggested, accepted or rejected, sorted by person, target, target id.
"""

from __future__ import annotations

import math
import os
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from ..tables import PipelineTables
from .evidence import AMBIGUITY_MARGIN, WEIGHTS, Scored, Scorer
from .schema import (
    AUTO_LINK,
    DECISION_SCHEMA,
    DECISIONS,
    LINK_SCHEMA,
    SUGGEST,
    TARGETS,
    LinkInputError,
    LinkSummary,
)
from .sources import (
    TARGET_COLUMNS,
    candidate_pairs,
    check_hcps,
    hcp_targets,
    identifier_pairs,
    investigators,
    nppes_providers,
    payment_recipients,
    person_profiles,
    person_variants,
)

Progress = Callable[[str, int, int], None]  # (step, done, total)
Key = tuple[str, str, str]  # (person_id, target, target_id)

_INPUTS = (
    "authorships",
    "authors",
    "mesh",
    "trials",
    "trial_people",
    "physicians",
    "pi_payments",
    "payments",
    "providers",
)
_SOURCE_TABLES = {
    "investigator": ("trial_people",),
    "payment_recipient": ("physicians", "pi_payments", "payments"),
    "npi": ("providers",),
}
_TARGET_WORDS = {"hcp": "HCP records", "npi": "NPPES providers", "payment_recipient": "payment recipients"}
_RIVAL_TARGETS = ("hcp", "npi")  # one person matching several of these is ambiguous (not trials: many rows)


def link_persons(
    tables: PipelineTables,
    out_path: Path,
    *,
    hcps: pa.Table | None = None,
    decisions: pa.Table | None = None,
    progress: Progress | None = None,
) -> LinkSummary:
    """Link the persons of `tables` to investigators, payment recipients, NPPES providers and HCP records.

    Writes `out_path` (LINK_SCHEMA, replaced atomically) and returns the summary. Any input table may be
    missing: what is there is linked. `hcps` (HCP_SCHEMA) are the app's records; `decisions`
    (DECISION_SCHEMA) the users' accept/reject decisions, which win over computed confidences. Raises
    LinkInputError when `hcps` or `decisions` cannot be used.
    """
    started = time.perf_counter()
    out_path = Path(out_path)
    decided = _check_decisions(decisions)
    hcp_frame = check_hcps(hcps) if hcps is not None else None
    present = tables.present()
    summary = LinkSummary(
        sources_missing=[n for n in _INPUTS if not present[n]] + ([] if hcps is not None else ["hcps"])
    )

    step = _stepper(progress)
    sources: dict[str, pl.LazyFrame | None] = {
        "investigator": investigators(tables),
        "payment_recipient": payment_recipients(tables),
        "npi": nppes_providers(tables),
        "hcp": hcp_targets(hcp_frame) if hcp_frame is not None else None,
    }
    variants = person_variants(tables)
    if present["authorships"]:
        summary.persons = (
            pl.scan_parquet(tables.authorships).select(pl.col("person_id").n_unique()).collect().item()
        )
    frames: list[pl.DataFrame] = []
    for name, frame in sources.items():
        if frame is not None and variants is not None:
            frames.append(candidate_pairs(variants, frame))
        step(f"candidates: {name}")
    if hcp_frame is not None:
        frames.append(identifier_pairs(tables, hcp_frame))
    columns = [*TARGET_COLUMNS, "topics", "person_id"]
    frames = [f.select(columns) for f in frames if f.height]
    pairs = pl.concat(frames) if frames else pl.DataFrame()
    if pairs.height:
        pairs = pairs.sort([*TARGET_COLUMNS, "person_id"])
    summary.pairs_compared = pairs.height

    person_ids = sorted(set(pairs["person_id"].to_list() if pairs.height else []) | {k[0] for k in decided})
    profiles = person_profiles(tables, person_ids)
    step("profiles")

    found = _score(pairs, profiles)
    step("evidence")
    _ambiguity(found)
    statuses = _statuses(found, decided)
    _chain(found, decided, statuses)
    step("decisions and chaining")

    previous = _previous(out_path, decided)
    rows = _rows(found, statuses, decided, profiles)
    kept, dropped = _decided_elsewhere(found, decided, sources, previous, profiles)
    rows.extend(kept)
    summary.decisions_dropped = dropped
    summary.decisions_applied = sum(1 for k in decided if k in found) + len(kept)
    rows.sort(key=lambda r: (r["person_id"], r["target"], r["target_id"]))
    _write(rows, out_path)
    for r in rows:
        by_status = summary.counts.setdefault(r["target"], {})
        by_status[r["status"]] = by_status.get(r["status"], 0) + 1
    summary.rows = len(rows)
    summary.seconds = time.perf_counter() - started
    step("written")
    return summary


# ---------------------------------------------------------------------------------------------------------


def _stepper(progress: Progress | None) -> Callable[[str], None]:
    total, done = 8, 0

    def step(name: str) -> None:
        nonlocal done
        done += 1
        if progress:
            progress(name, done, total)

    return step


def _check_decisions(decisions: pa.Table | None) -> dict[Key, str]:
    """Validate DECISION_SCHEMA rows; a later row for the same link replaces an earlier one."""
    if decisions is None:
        return {}
    missing = [n for n in DECISION_SCHEMA.names if n not in decisions.column_names]
    if missing:
        raise LinkInputError(
            f"decisions table lacks column(s) {', '.join(missing)} (expected DECISION_SCHEMA)"
        )
    out: dict[Key, str] = {}
    for i, row in enumerate(decisions.select(DECISION_SCHEMA.names).to_pylist()):
        if any(not isinstance(row[n], str) or not row[n] for n in DECISION_SCHEMA.names):
            raise LinkInputError(f"decisions row {i} has an empty or non-text value: {row}")
        if row["target"] not in TARGETS:
            raise LinkInputError(
                f"decisions row {i}: target {row['target']!r} is not one of {', '.join(TARGETS)}"
            )
        if row["decision"] not in DECISIONS:
            raise LinkInputError(
                f"decisions row {i}: decision {row['decision']!r} is not accepted or rejected"
            )
        out[(row["person_id"], row["target"], row["target_id"])] = row["decision"]
    return out


def _score(pairs: pl.DataFrame, profiles: dict[str, Any]) -> dict[Key, tuple[Scored, dict[str, Any]]]:
    """Score every pair; per (person, target, id) keep the best of its spellings and addresses."""
    scorer = Scorer()
    found: dict[Key, tuple[Scored, dict[str, Any]]] = {}
    for row in pairs.iter_rows(named=True):
        person = profiles.get(row["person_id"])
        if person is None:
            continue
        scored = scorer.score(person, row)
        key = (row["person_id"], row["target"], row["target_id"])
        held = found.get(key)
        if held is None or _rank(scored) > _rank(held[0]):
            found[key] = (scored, row)
    return found


def _rank(s: Scored) -> tuple[bool, bool, float]:
    return (not s.blocked, s.certain, s.log_odds)


def _ambiguity(found: dict[Key, tuple[Scored, dict[str, Any]]]) -> None:
    """Lower the log-odds of candidates that rivals match about equally well, and say why."""
    open_ = {k: s for k, (s, _) in found.items() if not s.blocked and not s.certain}
    by_target: dict[tuple[str, str], list[Key]] = defaultdict(list)
    by_person: dict[tuple[str, str], list[Key]] = defaultdict(list)
    for k in open_:
        by_target[(k[1], k[2])].append(k)
        if k[1] in _RIVAL_TARGETS:
            by_person[(k[0], k[1])].append(k)
    penalties: dict[Key, list[tuple[float, str]]] = defaultdict(list)
    for _, keys in sorted(by_target.items()):
        rivals = _rivals(keys, open_)
        if len(rivals) > 1:
            for k in rivals:
                others = ", ".join(r[0] for r in rivals if r != k)
                penalties[k].append(
                    (
                        math.log(len(rivals)),
                        f"name ambiguity: {len(rivals)} authors match this record about equally well (also {others})",
                    )
                )
    for (_, target), keys in sorted(by_person.items()):
        rivals = _rivals(keys, open_)
        if len(rivals) > 1:
            for k in rivals:
                penalties[k].append(
                    (
                        math.log(len(rivals)),
                        f"name ambiguity: {len(rivals)} {_TARGET_WORDS[target]} match this author about equally well",
                    )
                )
    for k, items in penalties.items():
        scored = found[k][0]
        for penalty, sentence in items:
            scored.log_odds -= penalty
            scored.extra.append(sentence)


def _rivals(keys: list[Key], scored: dict[Key, Scored]) -> list[Key]:
    best = max(scored[k].log_odds for k in keys)
    # Only rivals that could be shown: two persons at a bare-initial match compete for nothing.
    if best < _logit(SUGGEST):
        return []
    return sorted(k for k in keys if scored[k].log_odds >= best - AMBIGUITY_MARGIN)


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


def _status(scored: Scored, decision: str | None) -> str | None:
    if decision:
        return decision
    if scored.blocked:
        return None
    c = scored.confidence
    return "linked" if c >= AUTO_LINK else "suggested" if c >= SUGGEST else None


def _statuses(
    found: dict[Key, tuple[Scored, dict[str, Any]]], decided: dict[Key, str]
) -> dict[Key, str | None]:
    return {k: _status(s, decided.get(k)) for k, (s, _) in found.items()}


def _chain(
    found: dict[Key, tuple[Scored, dict[str, Any]]], decided: dict[Key, str], statuses: dict[Key, str | None]
) -> None:
    """Identifier chaining: an NPI of a linked or accepted record corroborates the person's other candidates
    that carry the same NPI (HCP record <-> payment recipient <-> NPPES provider)."""
    chained: set[Key] = set()
    for _ in range(3):
        anchors: dict[str, list[tuple[str, Key]]] = defaultdict(list)
        for k, (_, row) in sorted(found.items()):
            if statuses[k] in ("linked", "accepted") and row["npi"]:
                anchors[k[0]].append((row["npi"], k))
        changed = False
        for k, (scored, row) in sorted(found.items()):
            if k in chained or scored.blocked or not row["npi"]:
                continue
            anchor = next((a for npi, a in anchors.get(k[0], []) if npi == row["npi"] and a != k), None)
            if anchor is None:
                continue
            scored.log_odds += WEIGHTS["npi_chain"]
            scored.extra.append(f"NPI {row['npi']} via {_describe(anchor)}")
            chained.add(k)
            statuses[k] = _status(scored, decided.get(k))
            changed = True
        if not changed:
            break


def _describe(key: Key) -> str:
    if key[1] == "hcp":
        return "the HCP record"
    if key[1] == "npi":
        return "the NPPES provider"
    return f"payment recipient {key[2]}"


def _decision_sentence(decision: str) -> str:
    return f"{decision} by a user"


def _rows(
    found: dict[Key, tuple[Scored, dict[str, Any]]],
    statuses: dict[Key, str | None],
    decided: dict[Key, str],
    profiles: dict[str, Any],
) -> list[dict[str, Any]]:
    rows = []
    for k, (scored, row) in found.items():
        status = statuses[k]
        if status is None:
            continue
        evidence = scored.sentences() + ([_decision_sentence(decided[k])] if k in decided else [])
        rows.append(_row(k, profiles[k[0]].name, row["target_name"], scored.confidence, evidence, status))
    return rows


def _row(
    key: Key, person_name: str, target_name: str, confidence: float, evidence: list[str], status: str
) -> dict[str, Any]:
    return {
        "person_id": key[0],
        "person_name": person_name,
        "target": key[1],
        "target_id": key[2],
        "target_name": target_name,
        "confidence": round(confidence, 9),
        "evidence": evidence,
        "status": status,
    }


def _previous(out_path: Path, decided: dict[Key, str]) -> dict[Key, dict[str, Any]]:
    """The last written rows of decided links: their evidence is kept when linking no longer finds them."""
    if not decided or not out_path.exists():
        return {}
    try:
        table = pq.read_table(out_path)
    except (OSError, pa.ArrowInvalid):
        return {}  # an unreadable previous output only costs the last known evidence
    if not set(LINK_SCHEMA.names) <= set(table.column_names):
        return {}
    return {
        (r["person_id"], r["target"], r["target_id"]): r
        for r in table.select(LINK_SCHEMA.names).to_pylist()
        if (r["person_id"], r["target"], r["target_id"]) in decided
    }


def _decided_elsewhere(
    found: dict[Key, tuple[Scored, dict[str, Any]]],
    decided: dict[Key, str],
    sources: dict[str, pl.LazyFrame | None],
    previous: dict[Key, dict[str, Any]],
    profiles: dict[str, Any],
) -> tuple[list[dict[str, Any]], int]:
    """Rows for decisions on links this run did not find: kept while the target exists (or while its source
    is absent from this run and cannot be checked); dropped, and counted, when the target is gone."""
    missing = sorted(k for k in decided if k not in found)
    if not missing:
        return [], 0
    names: dict[tuple[str, str], str] = {}
    for target in TARGETS:
        ids = sorted({k[2] for k in missing if k[1] == target})
        frame = sources.get(target)
        if ids and frame is not None:
            hits = frame.filter(pl.col("target_id").is_in(ids)).select("target_id", "target_name").collect()
            for tid, name in hits.sort("target_id", "target_name").iter_rows():
                names.setdefault((target, tid), name)
    rows, dropped = [], 0
    for k in missing:
        decision, last = decided[k], previous.get(k)
        if sources.get(k[1]) is None:
            note = f"not re-checked: the {k[1]} source is not present in this run"
            target_name = last["target_name"] if last else ""
        elif (k[1], k[2]) in names:
            note = f"no longer found by linking; kept because a user {decision} it"
            target_name = names[(k[1], k[2])]
        else:
            dropped += 1
            continue
        person = profiles.get(k[0])
        person_name = person.name if person else (last["person_name"] if last else "")
        evidence = [e for e in (last["evidence"] if last else []) if e != _decision_sentence(decision)]
        evidence += [note, _decision_sentence(decision)]
        confidence = float(last["confidence"]) if last else 0.0
        rows.append(_row(k, person_name, target_name, confidence, list(dict.fromkeys(evidence)), decision))
    return rows, dropped


def _write(rows: list[dict[str, Any]], out_path: Path) -> None:
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(out_path.name + ".tmp")
    pq.write_table(pa.Table.from_pylist(rows, schema=LINK_SCHEMA), tmp, compression="zstd")
    os.replace(tmp, out_path)
