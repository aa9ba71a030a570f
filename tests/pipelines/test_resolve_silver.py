"""The ORCID silver standard for author disambiguation: pairs found on real PubMed data, ORCIDs masked when
scoring, a stable split by name block, and a few real decisions of the shipped model frozen."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from liaison_pipelines.records import Article, Author
from liaison_pipelines.resolve import resolve_instances
from liaison_pipelines.resolve.authors import Instance, build_instances, pair_probability
from liaison_pipelines.resolve.silver import mask_orcids, silver_pairs, split_part
from liaison_pipelines.sources.pubmed import iter_articles

ROOT = Path(__file__).resolve().parents[2]
ONCOLOGY = ROOT.parent / "shared" / "data" / "pubmed_large" / "pubmed21n1298_oncology.xml.gz"
needs_oncology = pytest.mark.skipif(
    not ONCOLOGY.exists(), reason=f"real PubMed sample not found at {ONCOLOGY}"
)


def _author(position: int, last: str, fore: str, initials: str, orcid: str = "") -> Author:
    return Author(position=position, last_name=last, fore_name=fore, initials=initials, orcid=orcid)


def _two_smiths(orcid_1: str, orcid_2: str) -> list[Article]:
    return [
        Article(
            pmid="1",
            title="Tumour immunology",
            journal="J Test",
            year=2020,
            authors=[_author(1, "Smith", "John A", "JA", orcid_1)],
        ),
        Article(
            pmid="2",
            title="Tumour immunology",
            journal="J Test",
            year=2021,
            authors=[_author(1, "Smith", "John A", "JA", orcid_2)],
        ),
    ]


def test_masking_hides_the_orcid_so_the_model_must_decide() -> None:
    a, b = build_instances(_two_smiths("0000-0002-1825-0097", "0000-0001-5109-3700"))
    assert pair_probability(a, b) == 0.0, "with ORCIDs visible the resolver is told the answer"
    masked_a, masked_b = mask_orcids([a, b])
    assert masked_a.orcid == masked_b.orcid == ""
    assert 0.0 < pair_probability(masked_a, masked_b) < 1.0
    assert a.orcid, "the originals keep their ORCIDs"


def test_silver_pairs_label_same_orcid_yes_and_different_orcids_in_one_block_no() -> None:
    same = silver_pairs(build_instances(_two_smiths("0000-0002-1825-0097", "0000-0002-1825-0097")))
    different = silver_pairs(build_instances(_two_smiths("0000-0002-1825-0097", "0000-0001-5109-3700")))
    assert [p.same for p in same] == [True] and [p.same for p in different] == [False]
    assert silver_pairs(build_instances(_two_smiths("0000-0002-1825-0097", ""))) == []


def test_the_split_is_seeded_and_stable_and_keeps_a_block_on_one_side() -> None:
    blocks = [f"name{i} a" for i in range(2000)]
    parts = [split_part(b) for b in blocks]
    assert parts == [split_part(b) for b in blocks]
    assert 0.25 < parts.count("test") / len(parts) < 0.35
    assert split_part("smith j", seed="other") in ("dev", "test")


@pytest.fixture(scope="module")
def oncology_instances() -> list[Instance]:
    if not ONCOLOGY.exists():
        pytest.skip(f"real PubMed sample not found at {ONCOLOGY}")
    return build_instances(iter_articles(ONCOLOGY))


@pytest.mark.slow
def test_the_silver_builder_finds_both_kinds_of_pairs_in_the_real_oncology_file(
    oncology_instances: list[Instance],
) -> None:
    pairs = silver_pairs(oncology_instances)
    kinds = Counter(p.same for p in pairs)
    assert kinds == Counter({True: 64, False: 140}), "the 2021 oncology sample alone"
    for p in pairs:
        if p.same:
            assert p.a.orcid == p.b.orcid and p.a.pmid != p.b.pmid
        else:
            assert p.a.block == p.b.block and p.a.orcid != p.b.orcid


# Real pairs of the development part (ORCIDs masked, the whole file as context): same ORCID and resolved
# together, or different ORCIDs and kept apart, by the shipped model and threshold.
SAME = [
    (("33686722", 15), ("33735501", 6)),  # Katayama Ryohei
    (("32232920", 8), ("33185026", 21)),  # Porter James
    (("32313109", 2), ("33782538", 2)),  # Patel Sagar
]
DIFFERENT = [
    (("34095725", 5), ("34095729", 2)),  # Takahashi Hidekazu / Takahashi Hidenori
    (("31988090", 3), ("31988090", 7)),  # Shen Di / Shen Daguang, co-authors of one article
]


@pytest.mark.slow
def test_the_shipped_model_decides_real_silver_pairs_as_before(oncology_instances: list[Instance]) -> None:
    masked = mask_orcids(oncology_instances)
    wanted = {k for pair in SAME + DIFFERENT for k in pair}
    blocks = {i.block for i in masked if (i.pmid, i.position) in wanted}
    person = {
        (a.pmid, a.author_position): a.person_id
        for a in resolve_instances([i for i in masked if i.block in blocks])
    }
    assert all(person[a] == person[b] for a, b in SAME)
    assert all(person[a] != person[b] for a, b in DIFFERENT)
