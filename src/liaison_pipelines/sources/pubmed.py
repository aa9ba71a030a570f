"""Streaming parser for PubMed/MEDLINE citation XML, gzip or plain, with flat memory.

Formats read (all seen in real files under /work/shared/data):

- the 2016 `MedlineCitationSet` (MedlineCitation at top level, no PubmedData wrapper);
- the 2019 and 2025 `PubmedArticleSet`, baseline and update files (PubmedArticle, and DeleteCitation lists
  of PMIDs that an update file removes);
- single efetch results (a PubmedArticleSet holding one or a few PubmedArticle).

The parser feeds the file to lxml's pull parser chunk by chunk, handles each top-level record when its end
tag arrives, then clears it and drops it from the tree, so memory stays flat however large the file.

Broken inputs: an empty file, an HTML error page or an eFetchResult error raise SkippedInput before any
record. A file cut short (truncated gzip stream, or XML that ends mid-record) first yields every complete
record before the cut and then raises TruncatedInput, a SkippedInput that carries `records_read`; the caller
decides whether to keep what it got (run_pubmed keeps it and marks the file as partly read).
"""

from __future__ import annotations

import datetime as dt
import re
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from ..inputs import SkippedInput, TruncatedInput, open_binary
from ..records import Article, Author, Chemical, Grant, MeshHeading

__all__ = ["ParseStats", "iter_articles", "normalise_orcid", "parse_pub_date"]

CHUNK = 1 << 20  # bytes fed to the XML parser at a time
HEAD_LIMIT = 1 << 16  # how far to look for the root element before giving up on a file

# Top-level records. MedlineCitation also ends inside every PubmedArticle; those are handled with their parent.
_RECORD_TAGS = ("PubmedArticle", "MedlineCitation", "DeleteCitation", "PubmedBookArticle")
_AUTHOR_TAGS = (
    *(
        "Author",
        "LastName",
        "ForeName",
        "FirstName",
        "Initials",
        "Suffix",
        "CollectiveName",
        "Affiliation",
        "Identifier",
    ),
)
_PUBMED_ROOTS = frozenset({"PubmedArticleSet", "MedlineCitationSet", "PubmedArticle", "MedlineCitation"})

_ROOT_RE = re.compile(rb"<([A-Za-z_][\w.:-]*)")
_ERROR_RE = re.compile(rb"<ERROR>(.*?)</ERROR>", re.S)
_EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_MEDLINE_DATE_RE = re.compile(r"(\d{4})(?:\s+([A-Za-z]{3})[A-Za-z]*\.?(?:\s+(\d{1,2})(?!\d))?)?")
_MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}


@dataclass
class ParseStats:
    """What one call of iter_articles saw: records yielded and records skipped, by reason."""

    articles: int = 0
    deleted: int = 0
    skipped: Counter[str] = field(default_factory=Counter)

    @property
    def read(self) -> int:
        """Records yielded (articles and deletions)."""
        return self.articles + self.deleted


def iter_articles(path: Path | str, *, stats: ParseStats | None = None) -> Iterator[Article]:
    """Stream the citations of a PubMed/MEDLINE XML file (gzip or plain) as Article records, in file order.

    DeleteCitation entries come out as `Article(pmid, deleted=True)`, one per PMID. Book records
    (PubmedBookArticle) and records without a PMID are counted in `stats.skipped` and not yielded.
    Raises SkippedInput when the file is not PubMed XML at all (empty, HTML, eFetchResult error, another
    format), and TruncatedInput after the last complete record when the file is cut short or malformed.
    """
    path = Path(path)
    stats = stats if stats is not None else ParseStats()
    with open_binary(path) as raw:
        # read1 (GzipFile and buffered files have it): at most one read of the underlying stream per call, so
        # when a gzip stream is cut short the call that fails has decoded nothing that would be lost
        read1: Callable[[int], bytes] = getattr(raw, "read1", raw.read)
        head = b""
        try:
            while len(head) < HEAD_LIMIT and (block := read1(CHUNK)):
                head += block
                if _ROOT_RE.search(head):
                    break
        except (EOFError, OSError, zlib.error) as exc:
            raise TruncatedInput(
                path, f"truncated or corrupt gzip stream ({exc.__class__.__name__})", 0
            ) from exc
        _check_root(path, head)

        parser = etree.XMLPullParser(
            events=("end",), tag=_RECORD_TAGS, resolve_entities=False, no_network=True, huge_tree=True
        )
        chunk = head
        try:
            while chunk:
                parser.feed(chunk)
                yield from _drain(parser, stats)
                chunk = read1(CHUNK)
            parser.close()
            yield from _drain(parser, stats)
        except (EOFError, OSError, zlib.error) as exc:
            raise TruncatedInput(
                path,
                f"gzip stream cut short after {stats.read} records ({exc.__class__.__name__})",
                stats.read,
            ) from exc
        except etree.XMLSyntaxError as exc:
            yield from _drain(parser, stats)
            raise TruncatedInput(
                path, f"XML ends early or is malformed after {stats.read} records ({exc.msg})", stats.read
            ) from exc


def _check_root(path: Path, head: bytes) -> None:
    """Refuse early a file whose root element says it is not PubMed XML (HTML page, eFetchResult error)."""
    match = _ROOT_RE.search(head)
    if match is None:
        raise SkippedInput(path, "no XML element found (not PubMed XML)")
    root = match.group(1).decode("ascii", "replace")
    if root in _PUBMED_ROOTS:
        return
    if root.lower() == "html":
        raise SkippedInput(path, "HTML page, not data (an error page saved as a data file?)")
    if root == "eFetchResult":
        error = _ERROR_RE.search(head)
        message = error.group(1).decode("utf-8", "replace").strip() if error else "no message"
        raise SkippedInput(path, f"eFetchResult error from NCBI: {message}")
    raise SkippedInput(path, f"not PubMed XML (root element <{root}>)")


def _drain(parser: etree.XMLPullParser, stats: ParseStats) -> Iterator[Article]:
    for _event, el in parser.read_events():
        tag = el.tag
        parent = el.getparent()
        if tag == "MedlineCitation" and parent is not None and parent.tag == "PubmedArticle":
            continue  # handled when its PubmedArticle ends
        if tag == "PubmedArticle":
            mc = pubmed_data = None
            for child in el:  # plain iteration: lxml's find() goes through a Python path engine, far slower
                ctag = child.tag
                if ctag == "MedlineCitation":
                    mc = child
                elif ctag == "PubmedData":
                    pubmed_data = child
            article = _article(mc, pubmed_data, stats)
            if article is not None:
                stats.articles += 1
                yield article
        elif tag == "MedlineCitation":
            article = _article(el, None, stats)
            if article is not None:
                stats.articles += 1
                yield article
        elif tag == "DeleteCitation":
            for pmid_el in el.iterchildren("PMID"):
                pmid = (pmid_el.text or "").strip()
                if pmid:
                    stats.deleted += 1
                    yield Article(pmid=pmid, version=_int(pmid_el.get("Version"), 1), deleted=True)
        else:  # PubmedBookArticle: a book chapter or report, not a journal citation
            stats.skipped["book record (PubmedBookArticle)"] += 1
        # Flat memory: empty the record and drop it and anything before it from the tree.
        el.clear(keep_tail=False)
        if parent is not None:
            while el.getprevious() is not None:
                del parent[0]


def _article(
    mc: etree._Element | None, pubmed_data: etree._Element | None, stats: ParseStats
) -> Article | None:
    if mc is None:
        stats.skipped["record without MedlineCitation"] += 1
        return None
    pmid_el = article_el = None
    for child in mc:
        tag = child.tag
        if tag == "PMID":
            pmid_el = child
        elif tag == "Article":
            article_el = child
            break  # PMID and Article lead the record; the lists after Article are read below
    pmid = (pmid_el.text or "").strip() if pmid_el is not None else ""
    if pmid_el is None or not pmid.isdigit():
        stats.skipped["record without a numeric PMID"] += 1
        return None
    art = Article(pmid=pmid, version=_int(pmid_el.get("Version"), 1))

    pub_date: etree._Element | None = None
    article_date: etree._Element | None = None
    old_affiliation = ""  # pre-2014 files: one Article/Affiliation, the first author's
    if article_el is not None:
        for child in article_el:
            tag = child.tag
            if tag == "Journal":
                for j in child:
                    jtag = j.tag
                    if jtag == "JournalIssue":
                        for issue_child in j:
                            itag = issue_child.tag
                            if itag == "PubDate":
                                pub_date = issue_child
                            elif itag == "Volume":
                                art.volume = _text(issue_child)
                            elif itag == "Issue":
                                art.issue = _text(issue_child)
                    elif jtag == "Title":
                        art.journal = _text(j)
                    elif jtag == "ISOAbbreviation":
                        art.journal_iso = _text(j)
                    elif jtag == "ISSN" and not art.issn:
                        art.issn = _text(j)
            elif tag == "ArticleTitle":
                art.title = _flat(child)
            elif tag == "VernacularTitle":
                if not art.title:
                    art.title = _flat(child)
            elif tag == "Abstract":
                art.abstract = _abstract(child)
            elif tag == "Pagination":
                art.pages = _pages(child)
            elif tag == "AuthorList":
                if child.get("Type", "authors") == "authors":
                    art.authors = _authors(child)
            elif tag == "Language":
                if not art.language:
                    art.language = _text(child)
            elif tag == "PublicationTypeList":
                art.publication_types = [t for p in child if (t := _text(p))]
            elif tag == "ELocationID":
                if not art.doi and child.get("EIdType") == "doi" and child.get("ValidYN", "Y") == "Y":
                    art.doi = _text(child)
            elif tag == "ArticleDate":
                if article_date is None:
                    article_date = child
            elif tag == "GrantList":
                art.grants = [_grant(g) for g in child.iterchildren("Grant")]
            elif tag == "Affiliation":
                old_affiliation = _flat(child)
    if old_affiliation and art.authors and not any(a.affiliations for a in art.authors):
        first = art.authors[0]
        first.affiliations = [old_affiliation]
        first.emails = _emails(old_affiliation)

    # The lists after Article (siblings only: the dates and PMID before it need no second visit)
    for child in article_el.itersiblings() if article_el is not None else mc:
        tag = child.tag
        if tag == "MeshHeadingList":
            art.mesh = _mesh_headings(child)
        elif tag == "KeywordList":
            art.keywords.extend(k for kw in child.iterchildren("Keyword") if (k := _flat(kw)))
        elif tag == "MedlineJournalInfo":
            for info in child:
                if info.tag == "Country":
                    art.country = _text(info)
                elif info.tag == "ISSNLinking" and not art.issn:
                    art.issn = _text(info)
        elif tag == "ChemicalList":
            art.chemicals = _chemicals(child)

    art.year, art.pub_date = parse_pub_date(pub_date)
    if art.year is None:
        art.year, art.pub_date = parse_pub_date(article_date)

    if pubmed_data is not None:
        for part in pubmed_data:
            if part.tag == "ArticleIdList":
                for aid in part:
                    id_type = aid.get("IdType")
                    if id_type == "doi" and not art.doi and (doi := _text(aid)):
                        art.doi = doi
                    elif id_type == "pmc" and not art.pmc_id:
                        art.pmc_id = _text(aid)
            elif part.tag == "ReferenceList":
                art.cited_pmids.extend(_cited_pmids(part))
    return art


def _pages(pagination: etree._Element) -> str:
    """MedlinePgn as printed; the 2019+ StartPage/EndPage pair when there is no MedlinePgn."""
    start = end = ""
    for child in pagination:
        if child.tag == "MedlinePgn" and (pages := _text(child)):
            return pages
        if child.tag == "StartPage":
            start = _text(child)
        elif child.tag == "EndPage":
            end = _text(child)
    return f"{start}-{end}" if start and end and end != start else start


def _chemicals(chemical_list: etree._Element) -> list[Chemical]:
    chemicals = []
    for chem in chemical_list.iterchildren("Chemical"):
        name_el = chem.find("NameOfSubstance")
        if name_el is None or not (name := _flat(name_el)):
            continue
        chemicals.append(
            Chemical(name=name, ui=name_el.get("UI", ""), registry_number=_text(chem.find("RegistryNumber")))
        )
    return chemicals


def _cited_pmids(reference_list: etree._Element) -> list[str]:
    """PubMed ids of the references (nested ReferenceLists, as in some records, included), once each, in order."""
    pmids: dict[str, None] = {}
    for aid in reference_list.iter("ArticleId"):
        if aid.get("IdType") == "pubmed" and (pmid := _text(aid)).isdigit():
            pmids.setdefault(pmid, None)
    return list(pmids)


def _authors(author_list: etree._Element) -> list[Author]:
    # The hottest loop of the parser (about ten authors a record). One C-level walk over the wanted elements of
    # the whole list is about a quarter faster than visiting each Author's children (fewer element proxies).
    authors: list[Author] = []
    author: Author | None = None
    for el in author_list.iter(_AUTHOR_TAGS):
        tag = el.tag
        if tag == "Author":
            author = Author(len(authors) + 1)
            if el.get("ValidYN") == "N":
                author.valid = False
            authors.append(author)
        elif author is None:
            continue
        elif tag == "LastName":
            author.last_name = (el.text or "").strip()
        elif tag == "ForeName" or tag == "FirstName":
            author.fore_name = (el.text or "").strip()
        elif tag == "Initials":
            author.initials = (el.text or "").strip()
        elif tag == "Affiliation":  # in AffiliationInfo, or directly under Author in the 2013-2014 DTDs
            if text := _flat(el):
                author.affiliations.append(text)
                if "@" in text:
                    author.emails.extend(e for e in _emails(text) if e not in author.emails)
        elif tag == "Suffix":
            author.suffix = (el.text or "").strip()
        elif tag == "CollectiveName":
            author.collective_name = _flat(el)
        elif tag == "Identifier" and not author.orcid and el.get("Source") == "ORCID":
            author.orcid = normalise_orcid(
                el.text or ""
            )  # AffiliationInfo/Identifier is GRID or ISNI, never ORCID
    return authors


def _mesh_headings(mesh_list: etree._Element) -> list[MeshHeading]:
    """MeSH headings; major if the descriptor or any of its qualifiers is a major topic."""
    headings: list[MeshHeading] = []
    heading: MeshHeading | None = None
    for el in mesh_list.iter("DescriptorName", "QualifierName"):
        if el.tag == "DescriptorName":
            heading = MeshHeading(
                (el.text or "").strip(), el.get("UI", ""), el.get("MajorTopicYN") == "Y", []
            )
            headings.append(heading)
        elif heading is not None:
            heading.qualifiers.append((el.text or "").strip())
            if el.get("MajorTopicYN") == "Y":
                heading.major = True
    return headings


def _grant(el: etree._Element) -> Grant:
    grant = Grant()
    for child in el:
        tag = child.tag
        if tag == "GrantID":
            grant.grant_id = _text(child)
        elif tag == "Agency":
            grant.agency = _text(child)
        elif tag == "Country":
            grant.country = _text(child)
    return grant


def _abstract(el: etree._Element) -> str:
    """Abstract sections joined by newlines, each structured section prefixed by its label."""
    parts: list[str] = []
    for section in el.iterchildren("AbstractText"):
        text = _flat(section)
        label = section.get("Label")
        if label:
            parts.append(f"{label}: {text}" if text else label)
        elif text:
            parts.append(text)
    return "\n".join(parts)


def _text(el: etree._Element | None) -> str:
    if el is None:
        return ""
    text = el.text
    return text.strip() if text else ""


def _flat(el: etree._Element) -> str:
    """Text with inline markup (<i>, <sup>, MathML) flattened; the walk happens only when there is markup.

    Around markup, runs of ASCII whitespace become one space: pretty-printed copies of efetch results indent the
    inline elements onto new lines. Inside MathML the indentation between tokens is dropped, not turned into
    spaces, so a formula reads as written ("V.O2max", not "V . O 2 m a x"); a token's own text (an <mml:mtext>
    holding a space) is kept. Non-breaking spaces are text, kept as they are, with or without markup.
    """
    if len(el):
        parts: list[str] = []
        _walk(el, parts, in_math=False)
        return _ASCII_SPACE_RE.sub(" ", "".join(parts)).strip(_ASCII_SPACE)
    text = el.text
    return text.strip(_ASCII_SPACE) if text else ""


_MATHML = "{http://www.w3.org/1998/Math/MathML}"
_MATHML_TOKENS = frozenset(f"{_MATHML}{t}" for t in ("mtext", "ms"))
_ASCII_SPACE = " \t\n\r\f\v"
_ASCII_SPACE_RE = re.compile(r"[ \t\n\r\f\v]+")


def _walk(el: etree._Element, parts: list[str], *, in_math: bool) -> None:
    tag = el.tag
    if isinstance(tag, str) and tag.startswith(_MATHML):
        in_math = True
    text = el.text
    if text and not (in_math and tag not in _MATHML_TOKENS and text.isspace()):
        parts.append(text)
    for child in el:
        if isinstance(child.tag, str):
            _walk(child, parts, in_math=in_math)
        tail = child.tail
        if tail and not (in_math and tail.isspace()):
            parts.append(tail)


def _emails(text: str) -> list[str]:
    return [m.rstrip(".") for m in _EMAIL_RE.findall(text)] if "@" in text else []


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value else default
    except ValueError:
        return default


def normalise_orcid(raw: str) -> str:
    """An ORCID iD as 0000-0000-0000-000X from any of the spellings PubMed carries ('' if not a valid iD).

    Seen in real records: `0000-0003-3474-6874`, `0000000179841889`, `http://orcid.org/...`,
    `https://orcid.org/...`. The ISO 7064 11-2 check digit is verified, so a mistyped iD is dropped rather
    than merging two people.
    """
    tail = raw.strip().rstrip("/").rsplit("/", 1)[-1]
    chars = [c for c in tail.upper() if c.isdigit() or c == "X"]
    if len(chars) != 16 or "X" in chars[:15]:
        return ""
    total = 0
    for c in chars[:15]:
        total = (total + int(c)) * 2
    check = (12 - total % 11) % 11
    if chars[15] != ("X" if check == 10 else str(check)):
        return ""
    digits = "".join(chars)
    return f"{digits[0:4]}-{digits[4:8]}-{digits[8:12]}-{digits[12:16]}"


def parse_pub_date(el: etree._Element | None) -> tuple[int | None, str]:
    """(year, ISO date) from a PubDate or ArticleDate element: 'YYYY', 'YYYY-MM' or 'YYYY-MM-DD'.

    MedlineDate free text ('1998 Dec-1999 Jan', '2000 Spring', 'Summer 1999') gives the start of the range as
    far as it is stated; a Season gives the year only.
    """
    if el is None:
        return None, ""
    year_s = month_s = day_s = ""
    for child in el:
        tag = child.tag
        if tag == "Year":
            year_s = (child.text or "").strip()
        elif tag == "Month":
            month_s = (child.text or "").strip()
        elif tag == "Day":
            day_s = (child.text or "").strip()
        elif tag == "MedlineDate" and not year_s:
            match = _MEDLINE_DATE_RE.search(child.text or "")
            if match:
                year_s, month_s, day_s = match.group(1), match.group(2) or "", match.group(3) or ""
    if not year_s.isdigit():
        return None, ""
    year = int(year_s)
    month = int(month_s) if month_s.isdigit() else _MONTHS.get(month_s[:3].lower(), 0)
    if not 1 <= month <= 12:
        return year, f"{year:04d}"
    day = int(day_s) if day_s.isdigit() else 0
    if 1 <= day <= 28 or (day and _valid_day(year, month, day)):
        return year, f"{year:04d}-{month:02d}-{day:02d}"
    return year, f"{year:04d}-{month:02d}"


def _valid_day(year: int, month: int, day: int) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True
