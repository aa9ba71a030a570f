"""Write the demo's subset of the oncology ClinicalTrials.gov records (legacy XML) to a .tar.gz.

Kept: the studies an overall official or responsible party of which has the name (surname and first given
name) of an author of the demo's PubMed oncology file, and the recent or large studies (start 2007 or later,
or 1,000 or more enrolled). Files are copied unchanged, under their original paths.

    python make_subset.py SOURCE.tar.gz PUBMED.xml.gz OUT.tar.gz
"""

from __future__ import annotations

import gzip
import io
import re
import sys
import tarfile
import xml.etree.ElementTree as ET

_CREDENTIALS = re.compile(r",.*$")


def name_key(last: str, given: str) -> tuple[str, str] | None:
    """(surname, first given name), lower case, without dots; None without both."""
    words = given.replace(".", " ").split()
    last = last.strip().lower()
    if not last or not words or len(words[0]) < 2:
        return None
    return last, words[0].lower()


def pubmed_names(path: str) -> set[tuple[str, str]]:
    names = set()
    with gzip.open(path, "rb") as handle:
        for _, el in ET.iterparse(handle):
            if el.tag == "Author":
                key = name_key(el.findtext("LastName") or "", el.findtext("ForeName") or "")
                if key:
                    names.add(key)
            elif el.tag == "PubmedArticle":
                el.clear()
    return names


def official_keys(root: ET.Element) -> set[tuple[str, str]]:
    keys = set()
    names = [o.findtext("last_name") or "" for o in root.findall("overall_official")]
    names += [root.findtext("responsible_party/investigator_full_name") or ""]
    for raw in names:
        parts = _CREDENTIALS.sub("", raw).replace(".", " ").split()
        if len(parts) >= 2:
            key = name_key(parts[-1], parts[0])
            if key:
                keys.add(key)
    return keys


def keep(root: ET.Element, authors: set[tuple[str, str]]) -> bool:
    if official_keys(root) & authors:
        return True
    start = root.findtext("start_date") or ""
    year = re.search(r"\d{4}", start)
    enrollment = re.sub(r"\D", "", root.findtext("enrollment") or "")
    return bool(year and int(year.group()) >= 2007) or bool(enrollment and int(enrollment) >= 1000)


def main(source: str, pubmed: str, out: str) -> None:
    authors = pubmed_names(pubmed)
    kept = total = 0
    with tarfile.open(source, "r:gz") as src, tarfile.open(out, "w:gz", compresslevel=9) as dst:
        for member in src:
            if not member.isfile() or not member.name.endswith(".xml"):
                continue
            data = src.extractfile(member).read()  # type: ignore[union-attr]
            total += 1
            if keep(ET.fromstring(data), authors):
                kept += 1
                info = tarfile.TarInfo(member.name)
                info.size, info.mtime, info.mode = len(data), member.mtime, 0o644
                dst.addfile(info, io.BytesIO(data))
    print(f"kept {kept} of {total} studies")


if __name__ == "__main__":
    main(*sys.argv[1:4])
