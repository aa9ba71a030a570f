"""MeSH tree numbers and descriptor names, and the subtree look-up that defines a therapeutic area.

Inputs: NLM's ``<year>MeshTree.txt`` (Tree Number, Desc Ui, Term; tab-separated, UTF-8 with a BOM once
re-encoded) and a current descriptor-name list (``id,scheme,subject`` with ids like
``https://id.nlm.nih.gov/mesh/D000001``). Names change between MeSH years, so each tree row keeps the name from
its tree file (``name_2017`` for the 2017 file) and the current name where the descriptor still exists.

NLM asks that the MeSH version be stated: the runner writes it into the manifest (``versions``).
"""

from __future__ import annotations

import bisect
import csv
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

from ..inputs import SkippedInput, open_text

TREE_NUMBER_RE = re.compile(r"[A-Z]\d{2}(\.\d{3})*")
DESCRIPTOR_UI_RE = re.compile(r"D\d{6,9}")

# NLM issued descriptor UIs in 6 digits up to D066331 and in 9 digits from D000066388 on. ClinicalTrials.gov
# API v2 pads every UI to 9 digits (D000003731 for D003731), so a padded number below this is an old UI.
FIRST_NINE_DIGIT_UI = 66388

KIND_TREE = "tree"
KIND_NAMES = "names"


@dataclass(slots=True)
class TreeRow:
    tree_number: str
    descriptor_ui: str
    term: str  # the name as written in the tree file of that MeSH year


def normalise_descriptor_ui(ui: str) -> str:
    """The UI as MeSH writes it: 'D000003731' (zero-padded by ClinicalTrials.gov) -> 'D003731'; others unchanged."""
    ui = ui.strip().upper()
    if len(ui) == 10 and ui[0] == "D" and ui[1:].isdigit() and int(ui[1:]) < FIRST_NINE_DIGIT_UI:
        return f"D{int(ui[1:]):06d}"
    return ui


def file_kind(path: Path | str) -> str:
    """'tree' for a MeshTree.txt file, 'names' for a descriptor-name CSV; SkippedInput otherwise."""
    with open_text(path) as fh:
        first = fh.readline().strip().lower()
    if first.startswith("tree number\t"):
        return KIND_TREE
    if first.replace(" ", "").startswith("id,") and ("subject" in first or "name" in first):
        return KIND_NAMES
    raise SkippedInput(path, "neither a MeSH tree file nor a MeSH descriptor-name list (unknown header)")


def mesh_year(path: Path | str) -> str:
    """The MeSH year a file name states ('2017MeshTree.txt.gz' -> '2017'), or ''."""
    m = re.search(r"(\d{4})\s*MeshTree", Path(path).name, re.IGNORECASE) or re.search(
        r"mesh[^/]*?(\d{4})[._-](\d{1,2})[._-](\d{1,2})", Path(path).name, re.IGNORECASE
    )
    if not m:
        return ""
    if m.lastindex == 3:
        return f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
    return m.group(1)


def iter_tree(path: Path | str, skip: Callable[[str], None] | None = None) -> Iterator[TreeRow]:
    """Stream the rows of a MeshTree.txt file; malformed rows are counted through ``skip(reason)``."""
    skip = skip or (lambda reason: None)
    with open_text(path) as fh:
        header = fh.readline()
        if not header.lower().startswith("tree number\t"):
            raise SkippedInput(
                path, "not a MeSH tree file (header is not 'Tree Number<TAB>Desc Ui<TAB>Term')"
            )
        for line in fh:
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            parts = line.split("\t")
            if len(parts) != 3:
                skip("malformed tree row (not three tab-separated fields)")
                continue
            tree_number, ui, term = (p.strip() for p in parts)
            if not TREE_NUMBER_RE.fullmatch(tree_number) or not DESCRIPTOR_UI_RE.fullmatch(ui):
                skip("malformed tree row (bad tree number or descriptor UI)")
                continue
            yield TreeRow(tree_number, ui, term)


def load_names(path: Path | str, skip: Callable[[str], None] | None = None) -> dict[str, str]:
    """Descriptor UI -> current preferred name, from an ``id,scheme,subject`` list (about 30k rows, held in memory)."""
    skip = skip or (lambda reason: None)
    names: dict[str, str] = {}
    with open_text(path) as fh:
        reader = csv.DictReader(fh)
        fields = reader.fieldnames or []
        name_field = "subject" if "subject" in fields else "name"
        if "id" not in fields or name_field not in fields:
            raise SkippedInput(path, "not a MeSH descriptor-name list (no id and subject columns)")
        try:
            for row in reader:
                ui = (row.get("id") or "").rstrip("/").rsplit("/", 1)[-1].strip()
                name = (row.get(name_field) or "").strip()
                if not DESCRIPTOR_UI_RE.fullmatch(ui) or not name:
                    skip("malformed name row (no descriptor UI or name)")
                    continue
                names[ui] = name
        except csv.Error as exc:
            raise SkippedInput(path, f"malformed CSV ({exc})") from exc
    return names


class MeshTree:
    """Tree numbers in sorted order, for subtree look-ups by prefix (a therapeutic area = a few MeSH subtrees)."""

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        rows = sorted(set(pairs))
        self._numbers = [tn for tn, _ in rows]
        self._uis = [ui for _, ui in rows]

    @classmethod
    def from_parquet(cls, path: Path | str) -> MeshTree:
        """Load from the pipeline's mesh_tree.parquet."""
        table = pq.read_table(path, columns=["tree_number", "descriptor_ui"])
        return cls(
            zip(
                table.column("tree_number").to_pylist(),
                table.column("descriptor_ui").to_pylist(),
                strict=True,
            )
        )

    def __len__(self) -> int:
        return len(self._numbers)

    def descendants(self, tree_numbers: Iterable[str]) -> set[str]:
        """Descriptor UIs at or below each tree number ('C04' -> Neoplasms and every descriptor under it).

        Matching respects the dots: 'C04' covers 'C04.588' but not 'C041'. Unknown tree numbers add nothing.
        """
        found: set[str] = set()
        for prefix in tree_numbers:
            prefix = prefix.strip().rstrip(".")
            if not prefix:
                continue
            start = bisect.bisect_left(self._numbers, prefix)
            for i in range(start, len(self._numbers)):
                number = self._numbers[i]
                if number != prefix and not number.startswith(prefix + "."):
                    # sorted order: once past 'C04.', only 'C04x' or later can follow; stop when the stem differs
                    if not number.startswith(prefix):
                        break
                    continue
                found.add(self._uis[i])
        return found


def descendants(tree_numbers: list[str], tree: MeshTree | Path | str) -> set[str]:
    """Descriptor UIs in the MeSH subtrees rooted at `tree_numbers`; `tree` is a MeshTree or a mesh_tree.parquet."""
    if not isinstance(tree, MeshTree):
        tree = MeshTree.from_parquet(tree)
    return tree.descendants(tree_numbers)
