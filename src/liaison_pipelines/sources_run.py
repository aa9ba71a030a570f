"""Runners for the non-PubMed sources: input files in, Parquet tables and a manifest out.

Each ``run_<source>(paths, out_dir, progress=None) -> Manifest``:
- expands directories to their data files and processes every file in sorted order, so the same inputs give
  byte-identical Parquet tables whatever order they were named in;
- skips a broken file (empty, HTML, truncated, wrong format) with its reason in the manifest and goes on; rows
  already read from a file that turns out truncated are kept, and the file is still named as skipped;
- counts every record it does not write, by reason;
- calls ``progress(stage, 1)`` after each input file (the CLI's progress-bar ``advance``).

Outputs: ``trials.parquet``, ``trial_people.parquet``, ``trial_locations.parquet`` (ClinicalTrials.gov);
``payments.parquet``, ``pi_payments.parquet``, ``physicians.parquet`` (Open Payments); ``providers.parquet``
(NPPES); ``mesh_tree.parquet`` (MeSH), each with ``<source>.manifest.json`` beside it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import pyarrow as pa

from .inputs import SkippedInput
from .manifest import InputRecord, Manifest
from .outputs import ParquetSink
from .sources import clinicaltrials, mesh, nppes, open_payments

Progress = Callable[[str, int], None]

REASON_DUPLICATE_TRIAL = "duplicate NCT id (already read from an earlier file; the first is kept)"
PathsArg = Iterable[Path | str] | Path | str

_str = pa.string()
_list_str = pa.list_(pa.string())

TRIALS_SCHEMA = pa.schema(
    [
        ("nct_id", _str),
        ("source_format", _str),
        ("brief_title", _str),
        ("official_title", _str),
        ("acronym", _str),
        ("study_type", _str),
        ("overall_status", _str),
        ("phases", _list_str),
        ("conditions", _list_str),
        ("condition_mesh_terms", _list_str),
        ("condition_mesh_ids", _list_str),
        ("keywords", _list_str),
        ("interventions", pa.list_(pa.struct([("type", _str), ("name", _str)]))),
        ("start_date", _str),
        ("primary_completion_date", _str),
        ("completion_date", _str),
        ("last_update_date", _str),
        ("enrollment", pa.int64()),
        ("lead_sponsor", _str),
        ("lead_sponsor_class", _str),
        ("collaborators", _list_str),
        ("source_file", _str),
    ]
)
TRIAL_PEOPLE_SCHEMA = pa.schema(
    [
        ("nct_id", _str),
        ("position", pa.int32()),
        ("name", _str),
        ("role", _str),
        ("affiliation", _str),
        ("source", _str),
        ("city", _str),
        ("state", _str),
        ("country", _str),
    ]
)
TRIAL_LOCATIONS_SCHEMA = pa.schema(
    [
        ("nct_id", _str),
        ("position", pa.int32()),
        ("facility", _str),
        ("city", _str),
        ("state", _str),
        ("zip", _str),
        ("country", _str),
        ("status", _str),
    ]
)

_PAYMENT_NAME_FIELDS = [
    ("first_name", _str),
    ("middle_name", _str),
    ("last_name", _str),
    ("name_suffix", _str),
    ("city", _str),
    ("state", _str),
    ("zip", _str),
    ("country", _str),
    ("primary_type", _str),
    ("specialty", _str),
    ("license_states", _list_str),
]
PAYMENTS_SCHEMA = pa.schema(
    [
        ("record_id", _str),
        ("program_year", pa.int32()),
        ("kind", _str),
        ("recipient_type", _str),
        ("recipient_profile_id", _str),
        ("npi", _str),
        *_PAYMENT_NAME_FIELDS,
        ("teaching_hospital_name", _str),
        ("teaching_hospital_id", _str),
        ("manufacturer", _str),
        ("manufacturer_id", _str),
        ("amount_usd", pa.float64()),
        ("date", pa.date32()),
        ("number_of_payments", pa.int32()),
        ("nature_of_payment", _str),
        ("form_of_payment", _str),
        ("third_party", _str),
        ("drug_names", _list_str),
        ("device_names", _list_str),
        ("study_name", _str),
        ("nct_id", _str),
        ("context", _str),
        ("source_file", _str),
    ]
)
PI_PAYMENTS_SCHEMA = pa.schema(
    [
        ("record_id", _str),
        ("program_year", pa.int32()),
        ("pi_slot", pa.int32()),
        ("profile_id", _str),
        ("npi", _str),
        *_PAYMENT_NAME_FIELDS,
        ("manufacturer", _str),
        ("amount_usd", pa.float64()),  # the whole payment: it is not split between a study's PIs
        ("date", pa.date32()),
        ("study_name", _str),
        ("nct_id", _str),
        ("source_file", _str),
    ]
)
PHYSICIANS_SCHEMA = pa.schema(
    [
        ("profile_id", _str),
        ("npi", _str),
        ("profile_type", _str),
        ("first_name", _str),
        ("middle_name", _str),
        ("last_name", _str),
        ("name_suffix", _str),
        ("alternate_first_name", _str),
        ("alternate_middle_name", _str),
        ("alternate_last_name", _str),
        ("address_line_1", _str),
        ("address_line_2", _str),
        ("city", _str),
        ("state", _str),
        ("zip", _str),
        ("country", _str),
        ("specialty", _str),
        ("license_states", _list_str),
        ("source_file", _str),
    ]
)
PROVIDERS_SCHEMA = pa.schema(
    [
        ("npi", _str),
        ("last_name", _str),
        ("first_name", _str),
        ("middle_name", _str),
        ("name_prefix", _str),
        ("name_suffix", _str),
        ("credential", _str),
        ("other_last_name", _str),
        ("other_first_name", _str),
        ("address_line_1", _str),
        ("address_line_2", _str),
        ("city", _str),
        ("state", _str),
        ("postal_code", _str),
        ("country", _str),
        ("enumeration_date", _str),
        ("last_update_date", _str),
        ("primary_taxonomy", _str),
        ("taxonomies", _list_str),
    ]
)
MESH_TREE_SCHEMA = pa.schema(
    [
        ("tree_number", _str),
        ("descriptor_ui", _str),
        ("name", _str),  # current name where the name list has the descriptor, else the tree file's term
        ("tree_name", _str),  # the term as written in the tree file (MeSH year: tree_year)
        ("tree_year", _str),
        ("depth", pa.int32()),  # 1 for a top heading such as C04
        ("in_current_mesh", pa.bool_()),  # null when no current name list was given
    ]
)

_TRIAL_SUFFIXES = (".json", ".json.gz", ".xml", ".xml.gz", ".zip", ".tar.gz", ".tgz", ".tar")
_CSV_SUFFIXES = (".csv", ".csv.gz")
_MESH_SUFFIXES = (".csv", ".csv.gz", ".txt", ".txt.gz")


def expand_paths(paths: PathsArg, suffixes: tuple[str, ...]) -> list[Path]:
    """Files named directly, plus the data files (by suffix) under named directories; sorted and deduplicated."""
    if isinstance(paths, str | Path):
        paths = [paths]
    found: set[Path] = set()
    for p in map(Path, paths):
        if p.is_dir():
            found.update(f for f in p.rglob("*") if f.is_file() and f.name.lower().endswith(suffixes))
        else:
            found.add(p)  # named explicitly: tried even with an odd suffix, and reported if missing
    return sorted(found)


class _Counter:
    """The skip callback a parser gets: counts the reason in the manifest and the rows read from this file."""

    def __init__(self, manifest: Manifest, record: InputRecord) -> None:
        self.manifest, self.record = manifest, record

    def __call__(self, reason: str) -> None:
        self.manifest.skip_record(reason)
        self.count_read()

    def count_read(self) -> None:
        self.record.read += 1
        self.manifest.read += 1


def _finish(manifest: Manifest, out_dir: Path, sinks: dict[str, ParquetSink]) -> Manifest:
    for name, sink in sinks.items():
        manifest.outputs[name] = sink.close()
    manifest.finish()
    manifest.write(out_dir)
    return manifest


# ---------------------------------------------------------------------------------------------------------


def run_clinicaltrials(paths: PathsArg, out_dir: Path | str, progress: Progress | None = None) -> Manifest:
    """ClinicalTrials.gov studies (API v2 JSON, legacy XML, classic v1 JSON, archives) -> trials Parquet."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    manifest = Manifest(source="clinicaltrials")
    sinks = {
        "trials.parquet": ParquetSink(out / "trials.parquet", TRIALS_SCHEMA),
        "trial_people.parquet": ParquetSink(out / "trial_people.parquet", TRIAL_PEOPLE_SCHEMA),
        "trial_locations.parquet": ParquetSink(out / "trial_locations.parquet", TRIAL_LOCATIONS_SCHEMA),
    }
    # One set of NCT ids (about 600k for the whole registry): the same study in two files is written once.
    seen: set[str] = set()
    for path in expand_paths(paths, _TRIAL_SUFFIXES):
        record = manifest.add_input(path)
        counter = _Counter(manifest, record)
        try:
            for trial in clinicaltrials.iter_trials(path, skip=counter):
                if trial.nct_id in seen:
                    counter(REASON_DUPLICATE_TRIAL)
                    continue
                seen.add(trial.nct_id)
                counter.count_read()
                _write_trial(trial, path.name, sinks)
                manifest.written += 1
        except SkippedInput as exc:
            record.skipped = exc.reason
        if progress:
            progress(path.name, 1)
    return _finish(manifest, out, sinks)


def _write_trial(trial: clinicaltrials.Trial, source_file: str, sinks: dict[str, ParquetSink]) -> None:
    sinks["trials.parquet"].write(
        {
            "nct_id": trial.nct_id,
            "source_format": trial.source_format,
            "brief_title": trial.brief_title,
            "official_title": trial.official_title,
            "acronym": trial.acronym,
            "study_type": trial.study_type,
            "overall_status": trial.overall_status,
            "phases": trial.phases,
            "conditions": trial.conditions,
            "condition_mesh_terms": trial.condition_mesh_terms,
            "condition_mesh_ids": trial.condition_mesh_ids,
            "keywords": trial.keywords,
            "interventions": [{"type": i.type, "name": i.name} for i in trial.interventions],
            "start_date": trial.start_date,
            "primary_completion_date": trial.primary_completion_date,
            "completion_date": trial.completion_date,
            "last_update_date": trial.last_update_date,
            "enrollment": trial.enrollment,
            "lead_sponsor": trial.lead_sponsor,
            "lead_sponsor_class": trial.lead_sponsor_class,
            "collaborators": trial.collaborators,
            "source_file": source_file,
        }
    )
    for position, person in enumerate(trial.people, start=1):
        sinks["trial_people.parquet"].write(
            {
                "nct_id": trial.nct_id,
                "position": position,
                "name": person.name,
                "role": person.role,
                "affiliation": person.affiliation,
                "source": person.source,
                "city": person.city,
                "state": person.state,
                "country": person.country,
            }
        )
    for position, loc in enumerate(trial.locations, start=1):
        sinks["trial_locations.parquet"].write(
            {
                "nct_id": trial.nct_id,
                "position": position,
                "facility": loc.facility,
                "city": loc.city,
                "state": loc.state,
                "zip": loc.zip,
                "country": loc.country,
                "status": loc.status,
            }
        )


# ---------------------------------------------------------------------------------------------------------


def run_open_payments(paths: PathsArg, out_dir: Path | str, progress: Progress | None = None) -> Manifest:
    """Open Payments general and research payment files and profile supplements -> payments Parquet."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    manifest = Manifest(source="open_payments")
    sinks = {
        "payments.parquet": ParquetSink(out / "payments.parquet", PAYMENTS_SCHEMA),
        "pi_payments.parquet": ParquetSink(out / "pi_payments.parquet", PI_PAYMENTS_SCHEMA),
        "physicians.parquet": ParquetSink(out / "physicians.parquet", PHYSICIANS_SCHEMA),
    }
    for path in expand_paths(paths, _CSV_SUFFIXES):
        record = manifest.add_input(path)
        counter = _Counter(manifest, record)
        try:
            for item in open_payments.iter_open_payments(path, skip=counter):
                counter.count_read()
                if isinstance(item, open_payments.PhysicianProfile):
                    sinks["physicians.parquet"].write(_physician_row(item, path.name))
                else:
                    _write_payment(item, path.name, sinks)
                manifest.written += 1
        except SkippedInput as exc:
            record.skipped = exc.reason
        if progress:
            progress(path.name, 1)
    return _finish(manifest, out, sinks)


def _write_payment(p: open_payments.Payment, source_file: str, sinks: dict[str, ParquetSink]) -> None:
    sinks["payments.parquet"].write(
        {
            "record_id": p.record_id,
            "program_year": p.program_year,
            "kind": p.kind,
            "recipient_type": p.recipient_type,
            "recipient_profile_id": p.recipient_profile_id,
            "npi": p.npi,
            "first_name": p.first_name,
            "middle_name": p.middle_name,
            "last_name": p.last_name,
            "name_suffix": p.name_suffix,
            "city": p.city,
            "state": p.state,
            "zip": p.zip,
            "country": p.country,
            "primary_type": p.primary_type,
            "specialty": p.specialty,
            "license_states": p.license_states,
            "teaching_hospital_name": p.teaching_hospital_name,
            "teaching_hospital_id": p.teaching_hospital_id,
            "manufacturer": p.manufacturer,
            "manufacturer_id": p.manufacturer_id,
            "amount_usd": p.amount_usd,
            "date": p.date,
            "number_of_payments": p.number_of_payments,
            "nature_of_payment": p.nature_of_payment,
            "form_of_payment": p.form_of_payment,
            "third_party": p.third_party,
            "drug_names": p.drug_names,
            "device_names": p.device_names,
            "study_name": p.study_name,
            "nct_id": p.nct_id,
            "context": p.context,
            "source_file": source_file,
        }
    )
    for pi in p.principal_investigators:
        sinks["pi_payments.parquet"].write(
            {
                "record_id": p.record_id,
                "program_year": p.program_year,
                "pi_slot": pi.slot,
                "profile_id": pi.profile_id,
                "npi": pi.npi,
                "first_name": pi.first_name,
                "middle_name": pi.middle_name,
                "last_name": pi.last_name,
                "name_suffix": pi.name_suffix,
                "city": pi.city,
                "state": pi.state,
                "zip": pi.zip,
                "country": pi.country,
                "primary_type": pi.primary_type,
                "specialty": pi.specialty,
                "license_states": pi.license_states,
                "manufacturer": p.manufacturer,
                "amount_usd": p.amount_usd,
                "date": p.date,
                "study_name": p.study_name,
                "nct_id": p.nct_id,
                "source_file": source_file,
            }
        )


def _physician_row(p: open_payments.PhysicianProfile, source_file: str) -> dict[str, object]:
    return {
        "profile_id": p.profile_id,
        "npi": p.npi,
        "profile_type": p.profile_type,
        "first_name": p.first_name,
        "middle_name": p.middle_name,
        "last_name": p.last_name,
        "name_suffix": p.name_suffix,
        "alternate_first_name": p.alternate_first_name,
        "alternate_middle_name": p.alternate_middle_name,
        "alternate_last_name": p.alternate_last_name,
        "address_line_1": p.address_line_1,
        "address_line_2": p.address_line_2,
        "city": p.city,
        "state": p.state,
        "zip": p.zip,
        "country": p.country,
        "specialty": p.specialty,
        "license_states": p.license_states,
        "source_file": source_file,
    }


# ---------------------------------------------------------------------------------------------------------


def run_nppes(paths: PathsArg, out_dir: Path | str, progress: Progress | None = None) -> Manifest:
    """NPPES NPI registry data files -> providers.parquet (individuals only)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    manifest = Manifest(source="nppes")
    sinks = {"providers.parquet": ParquetSink(out / "providers.parquet", PROVIDERS_SCHEMA)}
    for path in expand_paths(paths, _CSV_SUFFIXES):
        record = manifest.add_input(path)
        counter = _Counter(manifest, record)
        try:
            for provider in nppes.iter_providers(path, skip=counter):
                counter.count_read()
                sinks["providers.parquet"].write(
                    {name: getattr(provider, name) for name in PROVIDERS_SCHEMA.names}
                )
                manifest.written += 1
        except SkippedInput as exc:
            record.skipped = exc.reason
        if progress:
            progress(path.name, 1)
    return _finish(manifest, out, sinks)


# ---------------------------------------------------------------------------------------------------------


def run_mesh(
    paths: PathsArg, out_dir: Path | str, progress: Progress | None = None, mesh_version: str = ""
) -> Manifest:
    """MeSH tree file(s) and a current descriptor-name list -> mesh_tree.parquet, MeSH versions in the manifest.

    `mesh_version` overrides the tree year read from the file name (NLM's files are named ``2017MeshTree.txt``).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    manifest = Manifest(source="mesh")
    sink = ParquetSink(out / "mesh_tree.parquet", MESH_TREE_SCHEMA)
    files = expand_paths(paths, _MESH_SUFFIXES)
    kinds: dict[Path, str] = {}
    records: dict[Path, InputRecord] = {}
    for path in files:
        records[path] = manifest.add_input(path)
        try:
            kinds[path] = mesh.file_kind(path)
        except SkippedInput as exc:
            records[path].skipped = exc.reason
    # Names first (small: one entry per descriptor), so that tree rows stream straight to Parquet.
    names: dict[str, str] | None = None
    for path in (p for p in files if kinds.get(p) == mesh.KIND_NAMES):
        counter = _Counter(manifest, records[path])
        try:
            loaded = mesh.load_names(path, skip=counter)
        except SkippedInput as exc:
            records[path].skipped = exc.reason
            continue
        names = {**(names or {}), **loaded}
        records[path].read += len(loaded)
        manifest.read += len(loaded)
        manifest.versions["mesh_names"] = mesh.mesh_year(path) or "unknown"
        if progress:
            progress(path.name, 1)
    tree_years: set[str] = set()
    for path in (p for p in files if kinds.get(p) == mesh.KIND_TREE):
        year = mesh_version or mesh.mesh_year(path) or "unknown"
        tree_years.add(year)
        manifest.versions["mesh_tree"] = ", ".join(sorted(tree_years))
        counter = _Counter(manifest, records[path])
        try:
            for row in mesh.iter_tree(path, skip=counter):
                counter.count_read()
                current = names.get(row.descriptor_ui) if names is not None else None
                sink.write(
                    {
                        "tree_number": row.tree_number,
                        "descriptor_ui": row.descriptor_ui,
                        "name": current or row.term,
                        "tree_name": row.term,
                        "tree_year": year,
                        "depth": row.tree_number.count(".") + 1,
                        "in_current_mesh": (current is not None) if names is not None else None,
                    }
                )
                manifest.written += 1
        except SkippedInput as exc:
            records[path].skipped = exc.reason
        if progress:
            progress(path.name, 1)
    return _finish(manifest, out, {"mesh_tree.parquet": sink})


run_trials = run_clinicaltrials
run_payments = run_open_payments

# `liaison ingest <word> PATH...` -> runner
RUNNERS: dict[str, Callable[..., Manifest]] = {
    "trials": run_clinicaltrials,
    "payments": run_open_payments,
    "nppes": run_nppes,
    "mesh": run_mesh,
}
