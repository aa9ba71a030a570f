"""ClinicalTrials.gov studies in three generations of the format, as one record type.

- API v2 JSON (camelCase modules under ``protocolSection``): a single study, a search page (``studies``) or a
  list of studies. Partial records (some modules missing) give empty fields, not errors.
- Legacy ``<clinical_study>`` XML (one study per file, the pre-2024 bulk download), streamed with iterparse.
- The retired classic API v1 ``FullStudiesResponse`` (PascalCase, lists wrapped in ``...List`` objects).

Vocabularies are normalised to the API v2 enums (status ``ACTIVE_NOT_RECRUITING``, phases ``PHASE1``...),
roles to the words ClinicalTrials.gov prints ("Principal Investigator", "Study Chair", "Study Director",
"Sub-Investigator"), dates to ISO as precise as the record (``2006-06`` or ``2017-08-01``).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import tarfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from lxml import etree

from ..inputs import SkippedInput, open_binary
from .mesh import normalise_descriptor_ui

FORMAT_V2 = "api_v2_json"
FORMAT_LEGACY_XML = "legacy_xml"
FORMAT_V1 = "classic_api_v1_json"

SOURCE_OFFICIAL = "official"
SOURCE_SITE = "site"
SOURCE_RESPONSIBLE = "responsible_party"


@dataclass(slots=True)
class Intervention:
    type: str = ""
    name: str = ""


@dataclass(slots=True)
class TrialPerson:
    """A named person on a study: an overall official, a site investigator or the responsible investigator."""

    name: str
    role: str = ""
    affiliation: str = ""
    source: str = SOURCE_OFFICIAL  # official | site | responsible_party
    city: str = ""  # for site investigators: where the site is
    state: str = ""
    country: str = ""


@dataclass(slots=True)
class TrialLocation:
    facility: str = ""
    city: str = ""
    state: str = ""
    zip: str = ""
    country: str = ""
    status: str = ""


@dataclass(slots=True)
class Trial:
    """One study, whatever the format it came in."""

    nct_id: str
    source_format: str = ""
    brief_title: str = ""
    official_title: str = ""
    acronym: str = ""
    study_type: str = ""
    overall_status: str = ""
    phases: list[str] = field(default_factory=list)
    conditions: list[str] = field(default_factory=list)
    condition_mesh_terms: list[str] = field(default_factory=list)
    condition_mesh_ids: list[str] = field(default_factory=list)  # descriptor UIs where the format gives them
    keywords: list[str] = field(default_factory=list)
    interventions: list[Intervention] = field(default_factory=list)
    start_date: str = ""
    primary_completion_date: str = ""
    completion_date: str = ""
    last_update_date: str = ""
    enrollment: int | None = None
    lead_sponsor: str = ""
    lead_sponsor_class: str = ""
    collaborators: list[str] = field(default_factory=list)
    people: list[TrialPerson] = field(default_factory=list)
    locations: list[TrialLocation] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------------------
# Normalisation shared by the three formats

_ROLE_WORDS = {
    "PRINCIPAL_INVESTIGATOR": "Principal Investigator",
    "SUB_INVESTIGATOR": "Sub-Investigator",
    "STUDY_CHAIR": "Study Chair",
    "STUDY_DIRECTOR": "Study Director",
    "SPONSOR_INVESTIGATOR": "Sponsor-Investigator",
    "CONTACT": "Contact",
}
# Site contacts named as investigators are KOL evidence; plain "Contact" rows are usually coordinators.
_INVESTIGATOR_ROLES = {"Principal Investigator", "Sub-Investigator", "Study Chair", "Study Director"}

_MONTHS = {m: i for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december"], start=1)}  # fmt: skip


def normalise_role(value: str) -> str:
    """'PRINCIPAL_INVESTIGATOR', 'Principal Investigator' -> 'Principal Investigator'."""
    value = (value or "").strip()
    key = re.sub(r"[^A-Z]+", "_", value.upper()).strip("_")
    return _ROLE_WORDS.get(key, value)


def normalise_status(value: str) -> str:
    """Legacy and v1 words ('Active, not recruiting', 'Unknown status') -> the v2 enum."""
    key = re.sub(r"[^A-Z0-9]+", "_", (value or "").strip().upper()).strip("_")
    return "UNKNOWN" if key == "UNKNOWN_STATUS" else key


def normalise_phases(values: Iterable[str]) -> list[str]:
    """'Phase 1/Phase 2', 'N/A', 'Early Phase 1', 'PHASE2' -> ['PHASE1', 'PHASE2'], ['NA'], ..."""
    out: list[str] = []
    for value in values:
        for part in re.split(r"\s*/\s*(?=Phase|Early)", (value or "").strip()):
            key = part.strip().upper()
            if not key:
                continue
            if key in {"N/A", "NA", "NOT APPLICABLE"}:
                norm = "NA"
            else:
                norm = re.sub(r"PHASE[ _]*", "PHASE", re.sub(r"\s+", "_", key))
            if norm not in out:
                out.append(norm)
    return out


def normalise_date(value: str) -> str:
    """'June 2006' -> '2006-06', 'August 1, 2017' -> '2017-08-01', ISO kept; '' when unparseable."""
    value = (value or "").strip()
    if re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", value):
        return value
    m = re.fullmatch(r"([A-Za-z]+)\s+(?:(\d{1,2}),\s*)?(\d{4})", value)
    if m and m.group(1).lower() in _MONTHS:
        month = _MONTHS[m.group(1).lower()]
        if m.group(2):
            try:
                return dt.date(int(m.group(3)), month, int(m.group(2))).isoformat()
            except ValueError:
                return ""
        return f"{m.group(3)}-{month:02d}"
    return ""


def _clean(value: Any) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def _enrollment(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _add_people_and_sites(trial: Trial) -> Trial:
    """Drop exact duplicate people (the same name and role listed twice at one site)."""
    seen: set[tuple[str, str, str, str]] = set()
    people = []
    for person in trial.people:
        key = (person.name, person.role, person.affiliation, person.source)
        if person.name and key not in seen:
            seen.add(key)
            people.append(person)
    trial.people = people
    return trial


# ---------------------------------------------------------------------------------------------------------
# API v2 JSON


def trial_from_v2(study: dict[str, Any]) -> Trial | None:
    """One API v2 study object -> Trial; None when it has no NCT id."""
    ps = study.get("protocolSection") or {}
    ident = ps.get("identificationModule") or {}
    nct_id = _clean(ident.get("nctId"))
    if not nct_id:
        return None
    status = ps.get("statusModule") or {}
    sponsors = ps.get("sponsorCollaboratorsModule") or {}
    design = ps.get("designModule") or {}
    cond = ps.get("conditionsModule") or {}
    arms = ps.get("armsInterventionsModule") or {}
    contacts = ps.get("contactsLocationsModule") or {}
    browse = (study.get("derivedSection") or {}).get("conditionBrowseModule") or {}
    lead = sponsors.get("leadSponsor") or {}
    trial = Trial(
        nct_id=nct_id,
        source_format=FORMAT_V2,
        brief_title=_clean(ident.get("briefTitle")),
        official_title=_clean(ident.get("officialTitle")),
        acronym=_clean(ident.get("acronym")),
        study_type=_clean(design.get("studyType")),
        overall_status=normalise_status(status.get("overallStatus", "")),
        phases=normalise_phases(design.get("phases") or []),
        conditions=[_clean(c) for c in cond.get("conditions") or []],
        keywords=[_clean(k) for k in cond.get("keywords") or []],
        condition_mesh_terms=[_clean(m.get("term")) for m in browse.get("meshes") or []],
        condition_mesh_ids=[normalise_descriptor_ui(_clean(m.get("id"))) for m in browse.get("meshes") or []],
        interventions=[
            Intervention(type=_clean(i.get("type")), name=_clean(i.get("name")))
            for i in arms.get("interventions") or []
        ],
        start_date=normalise_date((status.get("startDateStruct") or {}).get("date", "")),
        primary_completion_date=normalise_date(
            (status.get("primaryCompletionDateStruct") or {}).get("date", "")
        ),
        completion_date=normalise_date((status.get("completionDateStruct") or {}).get("date", "")),
        last_update_date=normalise_date((status.get("lastUpdatePostDateStruct") or {}).get("date", "")),
        enrollment=_enrollment((design.get("enrollmentInfo") or {}).get("count")),
        lead_sponsor=_clean(lead.get("name")),
        lead_sponsor_class=_clean(lead.get("class")),
        collaborators=[_clean(c.get("name")) for c in sponsors.get("collaborators") or []],
    )
    for official in contacts.get("overallOfficials") or []:
        trial.people.append(
            TrialPerson(
                name=_clean(official.get("name")),
                role=normalise_role(official.get("role", "")),
                affiliation=_clean(official.get("affiliation")),
            )
        )
    responsible = sponsors.get("responsibleParty") or {}
    if responsible.get("investigatorFullName"):
        trial.people.append(
            TrialPerson(
                name=_clean(responsible.get("investigatorFullName")),
                role=normalise_role(responsible.get("type", "")),
                affiliation=_clean(responsible.get("investigatorAffiliation")),
                source=SOURCE_RESPONSIBLE,
            )
        )
    for loc in contacts.get("locations") or []:
        site = TrialLocation(
            facility=_clean(loc.get("facility")),
            city=_clean(loc.get("city")),
            state=_clean(loc.get("state")),
            zip=_clean(loc.get("zip")),
            country=_clean(loc.get("country")),
            status=normalise_status(loc.get("status", "")),
        )
        trial.locations.append(site)
        for contact in loc.get("contacts") or []:
            role = normalise_role(contact.get("role", ""))
            if role in _INVESTIGATOR_ROLES:
                trial.people.append(_site_person(_clean(contact.get("name")), role, site))
    return _add_people_and_sites(trial)


def _site_person(name: str, role: str, site: TrialLocation) -> TrialPerson:
    return TrialPerson(
        name=name,
        role=role,
        affiliation=site.facility,
        source=SOURCE_SITE,
        city=site.city,
        state=site.state,
        country=site.country,
    )


# ---------------------------------------------------------------------------------------------------------
# Classic API v1 JSON (PascalCase, lists wrapped in objects)


def _v1_list(module: dict[str, Any], outer: str, inner: str) -> list[Any]:
    return list((module.get(outer) or {}).get(inner) or [])


def trial_from_v1(study: dict[str, Any]) -> Trial | None:
    """One classic API v1 ``Study`` object -> Trial; None when it has no NCT id."""
    ps = study.get("ProtocolSection") or {}
    ident = ps.get("IdentificationModule") or {}
    nct_id = _clean(ident.get("NCTId"))
    if not nct_id:
        return None
    status = ps.get("StatusModule") or {}
    sponsors = ps.get("SponsorCollaboratorsModule") or {}
    design = ps.get("DesignModule") or {}
    cond = ps.get("ConditionsModule") or {}
    arms = ps.get("ArmsInterventionsModule") or {}
    contacts = ps.get("ContactsLocationsModule") or {}
    browse = (study.get("DerivedSection") or {}).get("ConditionBrowseModule") or {}
    meshes = _v1_list(browse, "ConditionMeshList", "ConditionMesh")
    lead = sponsors.get("LeadSponsor") or {}
    trial = Trial(
        nct_id=nct_id,
        source_format=FORMAT_V1,
        brief_title=_clean(ident.get("BriefTitle")),
        official_title=_clean(ident.get("OfficialTitle")),
        acronym=_clean(ident.get("Acronym")),
        study_type=normalise_status(design.get("StudyType", "")),
        overall_status=normalise_status(status.get("OverallStatus", "")),
        phases=normalise_phases(_v1_list(design, "PhaseList", "Phase")),
        conditions=[_clean(c) for c in _v1_list(cond, "ConditionList", "Condition")],
        keywords=[_clean(k) for k in _v1_list(cond, "KeywordList", "Keyword")],
        condition_mesh_terms=[_clean(m.get("ConditionMeshTerm")) for m in meshes],
        condition_mesh_ids=[normalise_descriptor_ui(_clean(m.get("ConditionMeshId"))) for m in meshes],
        interventions=[
            Intervention(
                type=normalise_status(i.get("InterventionType", "")), name=_clean(i.get("InterventionName"))
            )
            for i in _v1_list(arms, "InterventionList", "Intervention")
        ],
        start_date=normalise_date((status.get("StartDateStruct") or {}).get("StartDate", "")),
        primary_completion_date=normalise_date(
            (status.get("PrimaryCompletionDateStruct") or {}).get("PrimaryCompletionDate", "")
        ),
        completion_date=normalise_date((status.get("CompletionDateStruct") or {}).get("CompletionDate", "")),
        last_update_date=normalise_date(
            (status.get("LastUpdatePostDateStruct") or {}).get("LastUpdatePostDate", "")
        ),
        enrollment=_enrollment((design.get("EnrollmentInfo") or {}).get("EnrollmentCount")),
        lead_sponsor=_clean(lead.get("LeadSponsorName")),
        lead_sponsor_class=_clean(lead.get("LeadSponsorClass")),
        collaborators=[
            _clean(c.get("CollaboratorName")) for c in _v1_list(sponsors, "CollaboratorList", "Collaborator")
        ],
    )
    for official in _v1_list(contacts, "OverallOfficialList", "OverallOfficial"):
        trial.people.append(
            TrialPerson(
                name=_clean(official.get("OverallOfficialName")),
                role=normalise_role(official.get("OverallOfficialRole", "")),
                affiliation=_clean(official.get("OverallOfficialAffiliation")),
            )
        )
    responsible = sponsors.get("ResponsibleParty") or {}
    if responsible.get("ResponsiblePartyInvestigatorFullName"):
        trial.people.append(
            TrialPerson(
                name=_clean(responsible.get("ResponsiblePartyInvestigatorFullName")),
                role=normalise_role(responsible.get("ResponsiblePartyType", "")),
                affiliation=_clean(responsible.get("ResponsiblePartyInvestigatorAffiliation")),
                source=SOURCE_RESPONSIBLE,
            )
        )
    for loc in _v1_list(contacts, "LocationList", "Location"):
        site = TrialLocation(
            facility=_clean(loc.get("LocationFacility")),
            city=_clean(loc.get("LocationCity")),
            state=_clean(loc.get("LocationState")),
            zip=_clean(loc.get("LocationZip")),
            country=_clean(loc.get("LocationCountry")),
            status=normalise_status(loc.get("LocationStatus", "")),
        )
        trial.locations.append(site)
        for contact in _v1_list(loc, "LocationContactList", "LocationContact"):
            role = normalise_role(contact.get("LocationContactRole", ""))
            if role in _INVESTIGATOR_ROLES:
                trial.people.append(_site_person(_clean(contact.get("LocationContactName")), role, site))
    return _add_people_and_sites(trial)


# ---------------------------------------------------------------------------------------------------------
# Legacy <clinical_study> XML


def _text(el: etree._Element | None, path: str) -> str:
    if el is None:
        return ""
    found = el.find(path)
    return _clean("".join(found.itertext())) if found is not None else ""


def trial_from_legacy_xml(root: etree._Element) -> Trial | None:
    """One ``<clinical_study>`` element -> Trial; None when it has no NCT id."""
    nct_id = _text(root, "id_info/nct_id")
    if not nct_id:
        return None
    trial = Trial(
        nct_id=nct_id,
        source_format=FORMAT_LEGACY_XML,
        brief_title=_text(root, "brief_title"),
        official_title=_text(root, "official_title"),
        acronym=_text(root, "acronym"),
        study_type=normalise_status(re.sub(r"\s*\[.*\]$", "", _text(root, "study_type"))),
        overall_status=normalise_status(_text(root, "overall_status")),
        phases=normalise_phases([_text(root, "phase")]),
        conditions=[_clean(c.text) for c in root.findall("condition")],
        keywords=[_clean(k.text) for k in root.findall("keyword")],
        condition_mesh_terms=[_clean(m.text) for m in root.findall("condition_browse/mesh_term")],
        interventions=[
            Intervention(
                type=normalise_status(_text(i, "intervention_type")), name=_text(i, "intervention_name")
            )
            for i in root.findall("intervention")
        ],
        start_date=normalise_date(_text(root, "start_date")),
        primary_completion_date=normalise_date(_text(root, "primary_completion_date")),
        completion_date=normalise_date(_text(root, "completion_date")),
        last_update_date=normalise_date(_text(root, "last_update_posted") or _text(root, "lastchanged_date")),
        enrollment=_enrollment(_text(root, "enrollment")),
        lead_sponsor=_text(root, "sponsors/lead_sponsor/agency"),
        lead_sponsor_class=normalise_status(_text(root, "sponsors/lead_sponsor/agency_class")),
        collaborators=[_text(c, "agency") for c in root.findall("sponsors/collaborator")],
    )
    for official in root.findall("overall_official"):
        trial.people.append(
            TrialPerson(
                name=_legacy_name(official),
                role=normalise_role(_text(official, "role")),
                affiliation=_text(official, "affiliation"),
            )
        )
    responsible = root.find("responsible_party")
    if responsible is not None and _text(responsible, "investigator_full_name"):
        trial.people.append(
            TrialPerson(
                name=_text(responsible, "investigator_full_name"),
                role=normalise_role(_text(responsible, "responsible_party_type")),
                affiliation=_text(responsible, "investigator_affiliation"),
                source=SOURCE_RESPONSIBLE,
            )
        )
    elif responsible is not None and (name := _old_responsible_name(_text(responsible, "name_title"))):
        # Records registered before 2012 name the responsible party in one <name_title> field ("Menachem
        # Bitan", sometimes with a title after a comma), with <organization>; the type is not stated.
        trial.people.append(
            TrialPerson(
                name=name,
                role="",
                affiliation=_text(responsible, "organization"),
                source=SOURCE_RESPONSIBLE,
            )
        )
    for loc in root.findall("location"):
        site = TrialLocation(
            facility=_text(loc, "facility/name"),
            city=_text(loc, "facility/address/city"),
            state=_text(loc, "facility/address/state"),
            zip=_text(loc, "facility/address/zip"),
            country=_text(loc, "facility/address/country"),
            status=normalise_status(_text(loc, "status")),
        )
        trial.locations.append(site)
        for inv in loc.findall("investigator"):
            trial.people.append(_site_person(_legacy_name(inv), normalise_role(_text(inv, "role")), site))
    return _add_people_and_sites(trial)


_REDACTED = {"[redacted]", "redacted", "n/a", "na", "none"}


def _old_responsible_name(name_title: str) -> str:
    """The person's name from an old-style <name_title>: the part before a title ("Jane Roe, MD, Principal
    Investigator" -> "Jane Roe"); "[Redacted]" and other placeholders give no one."""
    name = name_title.split(",", 1)[0].strip()
    return "" if name.lower() in _REDACTED else name


def _legacy_name(el: etree._Element) -> str:
    # The legacy schema has first/middle/last, but ClinicalTrials.gov put the whole name in last_name.
    parts = [_text(el, "first_name"), _text(el, "middle_name"), _text(el, "last_name")]
    return " ".join(p for p in parts if p)


# ---------------------------------------------------------------------------------------------------------
# Files


SkipRecord = Callable[[str], None]


def _iter_json(fh: IO[bytes], path: str, skip: SkipRecord) -> Iterator[Trial]:
    try:
        data = json.load(fh)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SkippedInput(path, f"malformed JSON ({exc.__class__.__name__})") from exc
    if isinstance(data, dict) and "FullStudiesResponse" in data:
        studies = [s.get("Study") or {} for s in data["FullStudiesResponse"].get("FullStudies") or []]
        convert: Callable[[dict[str, Any]], Trial | None] = trial_from_v1
    elif isinstance(data, dict) and "FullStudyResponse" in data:
        studies, convert = (
            [(data["FullStudyResponse"].get("FullStudy") or {}).get("Study") or {}],
            trial_from_v1,
        )
    elif isinstance(data, dict) and "protocolSection" in data:
        studies, convert = [data], trial_from_v2
    elif isinstance(data, dict) and isinstance(data.get("studies"), list):
        studies, convert = data["studies"], trial_from_v2
    elif isinstance(data, list):
        studies, convert = data, trial_from_v2
    else:
        raise SkippedInput(path, "JSON but not a ClinicalTrials.gov study (unknown shape)")
    for study in studies:
        trial = convert(study) if isinstance(study, dict) else None
        if trial is None:
            skip("study without an NCT id")
            continue
        yield trial


def _iter_xml(fh: IO[bytes], path: str, skip: SkipRecord) -> Iterator[Trial]:
    found = 0
    # no_network and no entity resolution: a data file must never reach out or expand entities.
    context = etree.iterparse(
        fh, events=("end",), tag="clinical_study", resolve_entities=False, no_network=True, huge_tree=False
    )
    try:
        for _, element in context:
            found += 1
            trial = trial_from_legacy_xml(element)
            element.clear()
            if trial is None:
                skip("study without an NCT id")
                continue
            yield trial
    except etree.XMLSyntaxError as exc:
        raise SkippedInput(path, f"malformed or truncated XML ({exc.msg})") from exc
    if not found:
        raise SkippedInput(path, "XML without a <clinical_study> element")


NCT_FILE_RE = re.compile(r"(NCT\d{8})\.(?:json|xml)(?:\.gz)?", re.IGNORECASE)
REASON_MISLABELLED = "NCT id in the record differs from the file name (mislabelled copy)"


def _iter_stream(fh: IO[bytes], path: str, skip: SkipRecord) -> Iterator[Trial]:
    peek = getattr(fh, "peek", None)  # gzip and buffered files have it; the sniff needs no read
    head = peek(64)[:64].lstrip() if peek else b""
    head = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if head.startswith((b"{", b"[")):
        trials = _iter_json(fh, path, skip)
    elif head.startswith(b"<"):
        trials = _iter_xml(fh, path, skip)
    else:
        raise SkippedInput(path, "neither JSON nor XML")
    # A single-study file is named after its study; when the two disagree the copy cannot be trusted.
    named = NCT_FILE_RE.fullmatch(Path(path.rsplit(":", 1)[-1]).name)
    for trial in trials:
        if named and trial.nct_id.upper() != named.group(1).upper():
            skip(REASON_MISLABELLED)
            continue
        yield trial


def is_archive(path: Path) -> bool:
    name = path.name.lower()
    return name.endswith((".zip", ".tar", ".tar.gz", ".tgz"))


def _iter_archive(path: Path, skip: SkipRecord) -> Iterator[Trial]:
    """Studies inside a .zip or .tar(.gz) of study files (the old AllPublicXML.zip bulk download)."""

    def members() -> Iterator[tuple[str, io.BufferedReader]]:
        if path.name.lower().endswith(".zip"):
            with zipfile.ZipFile(path) as zf:
                for name in sorted(zf.namelist()):
                    if name.lower().endswith((".xml", ".json")):
                        with zf.open(name) as member:
                            # typeshed wants a raw stream under BufferedReader; a zip member reads the same way.
                            yield name, io.BufferedReader(member)  # type: ignore[arg-type]
        else:
            # streaming mode ("r|*"): members in archive order, never the whole index in memory
            with tarfile.open(path, "r|*") as tf:
                for info in tf:
                    if info.isfile() and info.name.lower().endswith((".xml", ".json")):
                        extracted = tf.extractfile(info)
                        if extracted is not None:
                            yield info.name, io.BufferedReader(extracted)  # type: ignore[arg-type]

    try:
        for name, fh in members():
            if not fh.peek(1):
                skip("archive member: empty file")
                continue
            try:
                yield from _iter_stream(fh, f"{path}:{name}", skip)
            except SkippedInput as exc:
                skip(f"archive member: {exc.reason}")
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError) as exc:
        raise SkippedInput(path, f"truncated or corrupt archive ({exc.__class__.__name__})") from exc


def iter_trials(path: Path | str, skip: SkipRecord | None = None) -> Iterator[Trial]:
    """Stream the studies in one file (v2 JSON, v1 JSON, legacy XML, gzip or not, or a .zip/.tar.gz of them).

    Raises SkippedInput for a file that cannot be used; calls ``skip(reason)`` for each unusable study.
    """
    path = Path(path)
    skip = skip or (lambda reason: None)
    if is_archive(path):
        if not path.exists():
            raise SkippedInput(path, "missing file")
        if path.stat().st_size == 0:
            raise SkippedInput(path, "empty file")
        yield from _iter_archive(path, skip)
        return
    with open_binary(path) as fh:
        yield from _iter_stream(fh, str(path), skip)
