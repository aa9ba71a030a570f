"""Identity resolution of PubMed authors: name rules, hard constraints, stable ids, output schema, and the
evaluation against the public gold standard (skipped when ../shared is absent)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from liaison_pipelines.records import Article, Author, MeshHeading
from liaison_pipelines.resolve import AUTHORSHIPS_SCHEMA, resolve_authors, write_authorships
from liaison_pipelines.resolve.authors import build_instances, pair_features
from liaison_pipelines.resolve.names import (
    FirstName,
    Middle,
    are_nicknames,
    block_key,
    compare_first,
    compare_middle,
    normalise_surname,
    parse_given_name,
)
from liaison_pipelines.resolve.places import countries

ROOT = Path(__file__).resolve().parents[2]
GOLD = ROOT.parent / "shared" / "data" / "author_disambiguation"


def _article(
    pmid: str, *authors: Author, mesh: tuple[str, ...] = (), journal: str = "J Test", year: int = 2010
):
    return Article(
        pmid=pmid,
        title="",
        journal=journal,
        year=year,
        mesh=[MeshHeading(m) for m in mesh],
        authors=list(authors),
    )


def _person(position: int, last: str, fore: str, initials: str, **extra: object) -> Author:
    return Author(position=position, last_name=last, fore_name=fore, initials=initials, **extra)  # type: ignore[arg-type]


# --- names ---------------------------------------------------------------------------------------------


def test_surnames_fold_accents_case_hyphens_and_apostrophes() -> None:
    assert normalise_surname("Pérez-Cuevas") == normalise_surname("PEREZ CUEVAS")
    assert normalise_surname("O'Brien") == normalise_surname("OBrien".lower()) == "obrien"
    assert normalise_surname("Kozłowski") == "kozlowski"


def test_surname_particles_are_dropped_whether_apart_or_glued() -> None:
    assert normalise_surname("De Ceukelaire") == normalise_surname("DeCeukelaire") == "ceukelaire"
    assert normalise_surname("van der Berg") == "berg"
    assert normalise_surname("Le") == "le", "a surname that is only a particle is kept"


def test_german_umlaut_transliterations_share_a_block() -> None:
    assert normalise_surname("Schuettler") == normalise_surname("Schüttler")


def test_block_key_is_surname_and_first_initial() -> None:
    assert block_key("Stenkamp", "Deborah L", "DL") == block_key("STENKAMP", "D L", "DL") == "stenkamp d"


def test_initials_written_together_are_not_a_first_name() -> None:
    given = parse_given_name("JM", "JM")
    assert given.first == "" and given.initials == "jm"


def test_nicknames_are_compatible_but_different_names_conflict() -> None:
    assert are_nicknames("bob", "robert")
    assert compare_first(parse_given_name("Chris"), parse_given_name("Christopher")) is FirstName.NICKNAME
    assert compare_first(parse_given_name("Joh"), parse_given_name("Johannes")) is FirstName.PREFIX
    assert compare_first(parse_given_name("Kate"), parse_given_name("Katherine")) is FirstName.NICKNAME
    assert compare_first(parse_given_name("Jennifer"), parse_given_name("Julia")) is FirstName.CONFLICT
    assert compare_first(parse_given_name("J"), parse_given_name("Julia")) is FirstName.INITIAL


def test_hyphenated_and_joined_given_names_are_equal() -> None:
    assert compare_first(parse_given_name("Xiao-Ming"), parse_given_name("Xiaoming")) is FirstName.EQUAL


def test_middle_initials_conflict_only_when_both_are_known() -> None:
    assert compare_middle(parse_given_name("John A"), parse_given_name("John B")) is Middle.CONFLICT
    assert compare_middle(parse_given_name("John A"), parse_given_name("John")) is Middle.MISSING


# --- places ------------------------------------------------------------------------------------------------
# Affiliation strings below are real PubMed affiliations from the gold standard's articles (NLM data).


def test_the_country_is_read_from_the_end_of_an_address() -> None:
    assert countries("Department of Medicine, University of Pittsburgh, Pittsburgh, PA, USA.") == {"us"}
    assert countries("Sun Yat-sen Memorial Hospital of Sun Yat-sen University, Guangzhou, China.") == {"cn"}
    assert countries("Internal Medicine, Dong-A University Medical College, Busan, Republic of Korea.") == {
        "kr"
    }
    assert countries("Beijing 100730, P.R. China") == {"cn"}


def test_a_us_state_names_the_country_when_the_country_is_left_off() -> None:
    assert countries("Dartmouth-Hitchcock Medical Center, Hanover, New Hampshire 03756.") == {"us"}
    assert countries("Princeton University, Princeton, New Jersey 08544") == {"us"}
    assert countries("National Primate Research Center, Seattle, WA 98195") == {"us"}


def test_postcodes_and_street_names_are_not_mistaken_for_countries() -> None:
    assert countries("Leiden University, 2333 CA, Leiden, The Netherlands.") == {"nl"}
    assert countries("University of Western Australia, Nedlands, WA 6009, Australia.") == {"au"}
    assert countries("Albany Medical Center, 47 New Scotland Avenue, Albany, NY, 12208, USA.") == {"us"}
    assert countries("Inner Mongolia Medical University, Hohhot, China.") == {"cn"}
    assert countries("Macquarie University, North Ryde, New South Wales 2109, Australia.") == {"au"}


def test_multi_affiliations_and_email_domains_give_every_country() -> None:
    assert countries("Charité, Berlin, Germany; Slovak Academy of Sciences, Bratislava, Slovakia.") == {
        "de",
        "sk",
    }
    assert countries("Universitätsklinikum Tübingen. someone@med.uni-tuebingen.de") == {"de"}
    assert countries("Department of Neurosurgery.") == frozenset()


# --- pairwise evidence -----------------------------------------------------------------------------------


def _pair(first: Article, second: Article) -> dict[str, float]:
    a, b = (i for i in build_instances([first, second]) if i.last_name == "Novak")
    return pair_features(a, b)


def test_different_countries_are_a_conflict_and_the_team_speaks_for_an_author_without_one() -> None:
    boston = _person(2, "Lee", "Ann", "A", affiliations=["Harvard Medical School, Boston, MA 02115, USA."])
    first = _article("1", _person(1, "Novak", "Peter", "P"), boston)
    second = _article(
        "2", _person(1, "Novak", "Peter", "P", affiliations=["Charles University, Prague, Czech Republic."])
    )
    features = _pair(first, second)
    assert features["country_conflict"] == 1.0 and features["country_equal"] == 0.0
    third = _article(
        "3", _person(1, "Novak", "Peter", "P", affiliations=["Tufts University, Boston, MA, USA."])
    )
    features = _pair(first, third)
    assert features["country_equal"] == 1.0 and features["country_conflict"] == 0.0


def test_no_known_country_is_neither_agreement_nor_conflict() -> None:
    features = _pair(
        _article("1", _person(1, "Novak", "P", "P")), _article("2", _person(1, "Novak", "P", "P"))
    )
    assert features["country_equal"] == features["country_conflict"] == 0.0


def test_bare_initials_before_2002_are_marked_as_the_era_not_the_author() -> None:
    old = _pair(
        _article("1", _person(1, "Novak", "P", "P"), year=1985),
        _article("2", _person(1, "Novak", "P", "P"), year=1999),
    )
    recent = _pair(
        _article("1", _person(1, "Novak", "P", "P"), year=1999),
        _article("2", _person(1, "Novak", "P", "P"), year=2012),
    )
    assert old["both_initials_pre_2002"] == 1.0 and recent["both_initials_pre_2002"] == 0.0
    assert old["year_gap_decades"] == pytest.approx(1.4) and recent["year_gap_decades"] == pytest.approx(1.3)


def test_one_shared_coauthor_counts_apart_from_how_many() -> None:
    lee = _person(2, "Lee", "Ann", "A")
    shared = _pair(
        _article("1", _person(1, "Novak", "P", "P"), lee), _article("2", _person(1, "Novak", "P", "P"), lee)
    )
    alone = _pair(
        _article("1", _person(1, "Novak", "P", "P"), lee), _article("2", _person(1, "Novak", "P", "P"))
    )
    assert shared["coauthors_any"] == 1.0 and alone["coauthors_any"] == 0.0


# --- resolution --------------------------------------------------------------------------------------------


def test_same_full_name_and_shared_context_is_one_person() -> None:
    articles = [
        _article(
            "1",
            _person(1, "Stenkamp", "Deborah L", "DL"),
            _person(2, "Frey", "Ruth A", "RA"),
            mesh=("Retina",),
        ),
        _article(
            "2",
            _person(1, "Frey", "Ruth A", "RA"),
            _person(2, "Stenkamp", "Deborah L", "DL"),
            mesh=("Retina",),
        ),
    ]
    people = {(a.pmid, a.last_name): a.person_id for a in resolve_authors(articles)}
    assert people[("1", "Stenkamp")] == people[("2", "Stenkamp")]
    assert people[("1", "Stenkamp")] != people[("1", "Frey")]


def test_different_orcids_keep_two_people_apart_whatever_the_other_evidence() -> None:
    articles = [
        _article(
            "1",
            _person(1, "Smith", "John A", "JA", orcid="0000-0002-1825-0097"),
            _person(2, "Lee", "Ann", "A"),
        ),
        _article(
            "2",
            _person(1, "Smith", "John A", "JA", orcid="0000-0001-5109-3700"),
            _person(2, "Lee", "Ann", "A"),
        ),
    ]
    smiths = [a for a in resolve_authors(articles) if a.last_name == "Smith"]
    assert smiths[0].person_id != smiths[1].person_id


def test_equal_orcids_join_two_instances_with_no_other_evidence() -> None:
    articles = [
        _article("1", _person(1, "Wang", "J", "J", orcid="0000-0002-1825-0097"), journal="A", year=1990),
        _article("2", _person(1, "Wang", "Jing", "J", orcid="0000-0002-1825-0097"), journal="B", year=2020),
    ]
    wangs = resolve_authors(articles)
    assert wangs[0].person_id == wangs[1].person_id
    assert wangs[0].confidence == 1.0


def test_two_authors_of_one_article_are_never_one_person() -> None:
    lee = _person(3, "Lee", "Ann", "A")
    articles = [
        _article(
            "1", _person(1, "Shen", "Di", "D"), _person(2, "Shen", "Daguang", "D"), lee, mesh=("Retina",)
        ),
        _article("2", _person(1, "Shen", "D", "D"), lee, mesh=("Retina",)),
    ]
    shens = {
        a.author_position: a.person_id
        for a in resolve_authors(articles)
        if a.pmid == "1" and a.last_name == "Shen"
    }
    assert shens[1] != shens[2]


def test_conflicting_middle_initials_split_otherwise_similar_instances() -> None:
    articles = [
        _article("1", _person(1, "Novak", "Peter A", "PA")),
        _article("2", _person(1, "Novak", "Peter B", "PB")),
    ]
    first, second = resolve_authors(articles)
    assert first.person_id != second.person_id


def test_person_ids_are_stable_across_runs_and_input_order() -> None:
    articles = [
        _article(
            str(pmid), _person(1, "Garcia", "Maria", "M"), _person(2, "Lopez", "Juan", "J"), mesh=("Asthma",)
        )
        for pmid in (30, 10, 20)
    ]
    first = {(a.pmid, a.author_position): a.person_id for a in resolve_authors(articles)}
    again = {(a.pmid, a.author_position): a.person_id for a in resolve_authors(list(reversed(articles)))}
    assert first == again
    assert len(set(first.values())) == 2


def test_confidence_is_a_probability_for_every_assignment() -> None:
    articles = [
        _article(str(n), _person(1, "Kim", "S", "S"), _person(2, "Park", "Ji", "J")) for n in range(1, 6)
    ]
    assert all(0.0 <= a.confidence <= 1.0 for a in resolve_authors(articles))


def test_collective_authors_get_no_assignment() -> None:
    article = _article(
        "1", _person(1, "Doe", "Jane", "J"), Author(position=2, collective_name="The CMS Group")
    )
    assert [a.author_position for a in resolve_authors([article])] == [1]


def test_authorships_parquet_has_exactly_the_documented_columns(tmp_path: Path) -> None:
    articles = [_article("7", _person(1, "Doe", "Jane", "J"), _person(2, "Roe", "Rick", "R"))]
    path = tmp_path / "authorships.parquet"
    assert write_authorships(resolve_authors(articles), path) == 2
    table = pq.read_table(path)
    assert table.schema.names == [
        "pmid",
        "author_position",
        "last_name",
        "fore_name",
        "initials",
        "person_id",
        "confidence",
    ]
    assert table.schema.equals(AUTHORSHIPS_SCHEMA, check_metadata=False)
    assert table.column("author_position").to_pylist() == [1, 2]
    assert table.column("pmid").type == pa.int64()  # joins authors.parquet and articles.parquet as is


# --- evaluation on the gold standard ------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.skipif(not GOLD.exists(), reason=f"evaluation-only gold standard not found at {GOLD}")
def test_resolution_beats_the_surname_initial_baseline_on_the_gold_standard_out_of_fold() -> None:
    spec = importlib.util.spec_from_file_location(
        "author_disambiguation", ROOT / "bench" / "author_disambiguation.py"
    )
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    sys.modules["author_disambiguation"] = bench
    spec.loader.exec_module(bench)
    result = bench.evaluate()
    assert result.corpus.unusable_rows == 10
    assert len(result.corpus.skipped_files) == 10
    assert result.cross_validated.f1 > result.baseline.f1 + 0.10
    # The shipped threshold (0.75) trades recall for precision: gold-only folds gave F1 0.943 at 0.5, and
    # precision 0.943; bench/author_nested.py has the figures that chose it.
    assert result.cross_validated.precision > 0.95
    assert result.cross_validated.f1 > 0.89
