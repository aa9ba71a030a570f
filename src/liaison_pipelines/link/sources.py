"""Read the pipeline tables into the shapes linking compares: person name variants and profiles on one
side, target records of every source in one common layout on the other, and the candidate pairs between
them (a Polars join on the block key, so that no source is ever looped over in Python)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import pyarrow as pa

from ..resolve.names import parse_given_name
from ..tables import PipelineTables
from .keys import NICKNAME_VOCABULARY, block_key_expr, first_name_expr, readable_case_expr
from .schema import HCP_SCHEMA, LinkInputError

# Every target source is brought to these columns (all strings but `topics`, a list of MeSH UIs).
TARGET_COLUMNS = (
    "target",
    "target_id",
    "target_name",
    "last_name",
    "given",
    "npi",
    "city",
    "state",
    "country",
    "org",
    "orcid",
    "email",
)

_DEGREES = (
    r"(?i)(?:\s+(?:m\.?d\.?|ph\.?d\.?|m\.?p\.?h\.?|m\.?sc?\.?|d\.?o\.?|r\.?n\.?|mbbs|mbchb|facp|frcpc?|facs|"
    r"pharm\.?d\.?|dds|dmd|mba|ma|bsc|b\.?s\.?|msn|np|pa-c|dnp|jr\.?|sr\.?|ii|iii|iv))+$"
)
_TITLES = r"(?i)^(?:dr|prof|professor|mr|mrs|ms|mme|sir)\.?\s+"


def _scan(path: Path) -> pl.LazyFrame | None:
    return pl.scan_parquet(path) if path.exists() else None


def _s(name: str) -> pl.Expr:
    return pl.col(name).cast(pl.String).fill_null("")


def _join_name(*parts: pl.Expr) -> pl.Expr:
    """Name parts joined by single spaces, empty parts left out."""
    return pl.concat_str(list(parts), separator=" ").str.replace_all(r"\s+", " ").str.strip_chars()


# ---------------------------------------------------------------------------------------------------------
# Targets.
# ---------------------------------------------------------------------------------------------------------


def investigators(tables: PipelineTables) -> pl.LazyFrame | None:
    """trial_people rows as targets `NCT...:position`; the trial's condition MeSH UIs as their topics."""
    people = _scan(tables.trial_people)
    if people is None:
        return None
    # "Neil H White, M.D." -> given "Neil H", surname "White": degrees follow a comma or the name itself.
    core = (
        _s("name")
        .str.split(",")
        .list.first()
        .fill_null("")
        .str.replace(_TITLES, "")
        .str.replace(_DEGREES, "")
    )
    core = core.str.strip_chars()
    frame = people.select(
        pl.lit("investigator").alias("target"),
        pl.concat_str([_s("nct_id"), pl.lit(":"), pl.col("position").cast(pl.String)]).alias("target_id"),
        _s("name").alias("target_name"),
        core.str.extract(r"(\S+)$", 1).fill_null("").alias("last_name"),
        readable_case_expr(core.str.replace(r"\s*\S+$", "")).alias("given"),
        pl.lit("").alias("npi"),
        _s("city").alias("city"),
        _s("state").alias("state"),
        _s("country").alias("country"),
        _s("affiliation").alias("org"),
        pl.lit("").alias("orcid"),
        pl.lit("").alias("email"),
        _s("nct_id").alias("_nct_id"),
    ).filter(pl.col("given") != "")
    trials = _scan(tables.trials)
    if trials is None:
        return frame.with_columns(pl.lit([], dtype=pl.List(pl.String)).alias("topics")).drop("_nct_id")
    topics = trials.select(pl.col("nct_id").alias("_nct_id"), pl.col("condition_mesh_ids").alias("topics"))
    return (
        frame.join(topics, on="_nct_id", how="left")
        .with_columns(pl.col("topics").fill_null(pl.lit([], dtype=pl.List(pl.String))))
        .drop("_nct_id")
    )


def _recipient_rows(frame: pl.LazyFrame, profile: str, first: str, middle: str, last: str) -> pl.LazyFrame:
    profile_id, npi = _s(profile), _s("npi")
    return frame.select(
        pl.lit("payment_recipient").alias("target"),
        pl.when(profile_id != "")
        .then(profile_id)
        .otherwise(pl.when(npi != "").then(pl.concat_str([pl.lit("npi:"), npi])).otherwise(pl.lit("")))
        .alias("target_id"),
        _join_name(_s(first), _s(middle), _s(last)).alias("target_name"),
        _s(last).alias("last_name"),
        readable_case_expr(_join_name(_s(first), _s(middle))).alias("given"),
        npi.alias("npi"),
        _s("city").alias("city"),
        _s("state").alias("state"),
        _s("country").alias("country"),
        pl.lit("").alias("org"),
        pl.lit("").alias("orcid"),
        pl.lit("").alias("email"),
    ).filter((pl.col("target_id") != "") & (pl.col("last_name") != ""))


def payment_recipients(tables: PipelineTables) -> pl.LazyFrame | None:
    """Open Payments physicians: profiles (and their alternate names), PIs of research payments, recipients
    of payments; one target per profile id, or `npi:<NPI>` for a 2021+ row that only has an NPI."""
    parts: list[pl.LazyFrame] = []
    physicians = _scan(tables.physicians)
    if physicians is not None:
        parts.append(_recipient_rows(physicians, "profile_id", "first_name", "middle_name", "last_name"))
        parts.append(
            _recipient_rows(
                physicians,
                "profile_id",
                "alternate_first_name",
                "alternate_middle_name",
                "alternate_last_name",
            )
        )
    pis = _scan(tables.pi_payments)
    if pis is not None:
        parts.append(_recipient_rows(pis, "profile_id", "first_name", "middle_name", "last_name"))
    payments = _scan(tables.payments)
    if payments is not None:
        parts.append(
            _recipient_rows(payments, "recipient_profile_id", "first_name", "middle_name", "last_name")
        )
    if not parts:
        return None
    return pl.concat(parts).with_columns(pl.lit([], dtype=pl.List(pl.String)).alias("topics")).unique()


def nppes_providers(tables: PipelineTables) -> pl.LazyFrame | None:
    """NPPES individual providers, under their name and their other (former) name; target_id is the NPI."""
    providers = _scan(tables.providers)
    if providers is None:
        return None

    def rows(first: str, last: str, middle: pl.Expr) -> pl.LazyFrame:
        return providers.select(
            pl.lit("npi").alias("target"),
            _s("npi").alias("target_id"),
            _join_name(_s("first_name"), _s("middle_name"), _s("last_name")).alias("target_name"),
            _s(last).alias("last_name"),
            readable_case_expr(_join_name(_s(first), middle)).alias("given"),
            _s("npi").alias("npi"),
            _s("city").alias("city"),
            _s("state").alias("state"),
            _s("country").alias("country"),
            pl.lit("").alias("org"),
            pl.lit("").alias("orcid"),
            pl.lit("").alias("email"),
        ).filter((pl.col("target_id") != "") & (pl.col("last_name") != ""))

    both = pl.concat(
        [
            rows("first_name", "last_name", _s("middle_name")),
            rows("other_first_name", "other_last_name", pl.lit("")),
        ]
    )
    return both.with_columns(pl.lit([], dtype=pl.List(pl.String)).alias("topics")).unique()


def check_hcps(hcps: pa.Table) -> pl.DataFrame:
    """Validate the app's HCP table (HCP_SCHEMA) and return it as a DataFrame with nulls made empty."""
    missing = [name for name in HCP_SCHEMA.names if name not in hcps.column_names]
    if missing:
        raise LinkInputError(f"hcps table lacks column(s) {', '.join(missing)} (expected HCP_SCHEMA)")
    frame = pl.from_arrow(hcps.select(HCP_SCHEMA.names))
    assert isinstance(frame, pl.DataFrame)
    frame = frame.with_columns(
        [pl.col(n).cast(pl.String).fill_null("") for n in HCP_SCHEMA.names if n != "organizations"]
    ).with_columns(pl.col("organizations").cast(pl.List(pl.String)).fill_null([]))
    if (frame["hcp_id"] == "").any():
        raise LinkInputError("hcps table has rows without an hcp_id")
    dup = frame["hcp_id"].filter(frame["hcp_id"].is_duplicated()).unique().sort().to_list()
    if dup:
        raise LinkInputError(f"hcps table repeats hcp_id {', '.join(dup[:5])}")
    return frame


def hcp_targets(hcps: pl.DataFrame) -> pl.LazyFrame:
    """The app's HCP records as targets; organisations become the affiliation text."""
    return hcps.lazy().select(
        pl.lit("hcp").alias("target"),
        pl.col("hcp_id").alias("target_id"),
        _join_name(pl.col("first_name"), pl.col("middle_name"), pl.col("last_name")).alias("target_name"),
        pl.col("last_name"),
        readable_case_expr(_join_name(pl.col("first_name"), pl.col("middle_name"))).alias("given"),
        pl.col("npi").str.strip_chars().alias("npi"),
        pl.col("city"),
        pl.col("state"),
        pl.col("country"),
        pl.col("organizations").list.join(" ; ").alias("org"),
        pl.col("orcid").str.strip_chars().str.to_uppercase().alias("orcid"),
        pl.col("email").str.strip_chars().str.to_lowercase().alias("email"),
        pl.lit([], dtype=pl.List(pl.String)).alias("topics"),
    )


# ---------------------------------------------------------------------------------------------------------
# Persons and candidate pairs.
# ---------------------------------------------------------------------------------------------------------


def person_variants(tables: PipelineTables) -> pl.LazyFrame | None:
    """Distinct name spellings of each person, with their block key and folded first name."""
    authorships = _scan(tables.authorships)
    if authorships is None:
        return None
    return (
        authorships.select("person_id", _s("last_name"), _s("fore_name"), _s("initials"))
        .unique()
        .with_columns(
            block_key_expr(pl.col("last_name"), pl.col("fore_name"), pl.col("initials")).alias("key"),
            first_name_expr(pl.col("fore_name")).alias("p_first"),
        )
        .select("person_id", "key", "p_first")
        .unique()
    )


def candidate_pairs(variants: pl.LazyFrame, targets: pl.LazyFrame) -> pl.DataFrame:
    """(person_id, target row) pairs in the same block whose first names may agree.

    The join is on the vectorised block key; the first-name filter only drops pairs whose spelled-out first
    names can neither be equal, nor a prefix of each other, nor known nicknames (the exact test follows).
    """
    vocabulary = pl.Series(sorted(NICKNAME_VOCABULARY), dtype=pl.String).implode()
    # Keys are computed once per distinct spelling (sources repeat names: one row per payment, per address).
    spellings = (
        targets.select("last_name", "given")
        .unique()
        .with_columns(
            block_key_expr(pl.col("last_name"), pl.col("given")).alias("key"),
            first_name_expr(pl.col("given")).alias("t_first"),
        )
    )
    p, t = pl.col("p_first"), pl.col("t_first")
    maybe = (
        (p == "")
        | (t == "")
        | p.str.starts_with(t)
        | t.str.starts_with(p)
        | p.is_in(vocabulary)
        | t.is_in(vocabulary)
    )
    matched = spellings.join(variants, on="key", how="inner").filter(maybe)
    pairs = targets.join(matched.select("last_name", "given", "person_id"), on=["last_name", "given"])
    return pairs.unique(subset=[c for c in (*TARGET_COLUMNS, "person_id")]).collect()


def identifier_pairs(tables: PipelineTables, hcps: pl.DataFrame) -> pl.DataFrame:
    """HCP records found through an ORCID or an e-mail address of a person, whatever the name says."""
    authors, authorships = _scan(tables.authors), _scan(tables.authorships)
    if authors is None or authorships is None:
        return pl.DataFrame()
    instances = authorships.select("pmid", "author_position", "person_id").join(
        authors.select("pmid", "author_position", "orcid", "emails"), on=["pmid", "author_position"]
    )
    orcids = instances.filter(_s("orcid") != "").select("person_id", pl.col("orcid").str.to_uppercase())
    emails = (
        instances.select("person_id", "emails")
        .explode("emails")
        .select("person_id", pl.col("emails").str.to_lowercase().str.strip_chars(". ").alias("email"))
        .filter(pl.col("email").is_not_null() & (pl.col("email") != ""))
    )
    targets = hcp_targets(hcps)
    by_orcid = (
        targets.filter(pl.col("orcid") != "")
        .join(orcids, on="orcid")
        .select(*TARGET_COLUMNS, "topics", "person_id")
    )
    by_email = (
        targets.filter(pl.col("email") != "")
        .join(emails, on="email")
        .select(*TARGET_COLUMNS, "topics", "person_id")
    )
    return pl.concat([by_orcid, by_email]).unique(subset=[*TARGET_COLUMNS, "person_id"]).collect()


@dataclass
class Person:
    """What linking knows about one author cluster."""

    person_id: str
    name: str  # the most frequent full spelling, "Jane Q Doe"
    last_name: str
    fore_name: str  # the most informative fore name of the cluster (spelled out, most initials)
    initials: str
    orcid: str = ""
    emails: frozenset[str] = frozenset()
    affiliations: tuple[str, ...] = ()
    mesh: dict[str, str] = field(default_factory=dict)  # descriptor UI -> name


def person_profiles(tables: PipelineTables, person_ids: list[str]) -> dict[str, Person]:
    """Profiles of the given persons only (a semi-join first keeps memory to the candidates)."""
    authorships = _scan(tables.authorships)
    if authorships is None or not person_ids:
        return {}
    wanted = pl.DataFrame({"person_id": sorted(set(person_ids))}).lazy()
    inst = authorships.join(wanted, on="person_id", how="semi").select(
        "pmid", "author_position", "person_id", _s("last_name"), _s("fore_name"), _s("initials")
    )
    authors = _scan(tables.authors)
    if authors is not None:
        inst = inst.join(
            authors.select("pmid", "author_position", _s("orcid"), "affiliations", "emails"),
            on=["pmid", "author_position"],
            how="left",
        )
    else:
        inst = inst.with_columns(
            pl.lit("").alias("orcid"),
            pl.lit([], dtype=pl.List(pl.String)).alias("affiliations"),
            pl.lit([], dtype=pl.List(pl.String)).alias("emails"),
        )
    rows = inst.sort("person_id", "pmid", "author_position").collect()
    mesh: dict[str, dict[str, str]] = {}
    mesh_lf = _scan(tables.mesh)
    if mesh_lf is not None:
        topics = (
            mesh_lf.join(rows.lazy().select("pmid", "person_id").unique(), on="pmid")
            .select("person_id", "descriptor_ui", "descriptor")
            .unique()
            .sort("person_id", "descriptor_ui")
            .collect()
        )
        for pid, ui, name in topics.iter_rows():
            if ui:
                mesh.setdefault(pid, {})[ui] = name
    profiles: dict[str, Person] = {}
    for (pid,), group in rows.group_by(["person_id"], maintain_order=True):
        profiles[str(pid)] = _profile(str(pid), group, mesh.get(str(pid), {}))
    return profiles


def _profile(person_id: str, group: pl.DataFrame, mesh: dict[str, str]) -> Person:
    spellings = Counter(
        (last, fore, initials)
        for last, fore, initials in group.select("last_name", "fore_name", "initials").iter_rows()
    )
    # Display: the most frequent spelling; comparison: the most informative one (a spelled-out first name
    # and the most initials), so that "J Doe" on one paper does not hide "Jane Q Doe" on another.
    display = max(spellings, key=lambda s: (spellings[s], len(s[1]), s))
    informative = max(spellings, key=lambda s: (_informative(s[1], s[2]), spellings[s], s))
    orcids = sorted({o for o in group["orcid"].fill_null("").to_list() if o})
    affiliations: dict[str, None] = {}
    emails: set[str] = set()
    for affs, mails in group.select("affiliations", "emails").iter_rows():
        affiliations.update(dict.fromkeys(a for a in (affs or []) if a))
        emails.update(m.lower().strip(". ") for m in (mails or []) if m)
    return Person(
        person_id=person_id,
        name=" ".join(f"{display[1]} {display[0]}".split()),
        last_name=informative[0],
        fore_name=informative[1],
        initials=informative[2],
        orcid=orcids[0] if orcids else "",
        emails=frozenset(emails),
        affiliations=tuple(affiliations),
        mesh=mesh,
    )


def _informative(fore_name: str, initials: str) -> tuple[int, int]:
    given = parse_given_name(fore_name, initials)
    return (int(bool(given.first)), len(given.initials))
