"""docs/roles.md embeds the permission matrix; it must match core/permissions.py exactly."""

from pathlib import Path

from liaison.core.permissions import matrix_markdown

DOC = Path(__file__).resolve().parents[1] / "docs" / "roles.md"


def test_it_documents_the_matrix_exactly_as_the_code_enforces_it():
    text = DOC.read_text(encoding="utf-8")
    embedded = text.split("<!-- matrix:start -->\n", 1)[1].split("<!-- matrix:end -->", 1)[0]
    assert embedded == matrix_markdown(), "regenerate the table in docs/roles.md from matrix_markdown()"


def test_it_describes_every_role():
    from liaison.core.roles import Role

    text = DOC.read_text(encoding="utf-8")
    missing = [r.value for r in Role if f"| `{r.value}` |" not in text]
    assert not missing, f"roles missing from docs/roles.md: {missing}"
