"""docs/api.md names every operation of the API, so that the guide cannot fall behind the code."""

from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def test_it_documents_every_api_operation():
    from liaison.web.api import api

    text = DOC.read_text(encoding="utf-8")
    schema = api.get_openapi_schema()
    missing = [
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        for method in operations
        if f"`{method.upper()} {path}`" not in text and f"{method.upper()} {path}`" not in text
    ]
    assert not missing, f"operations missing from docs/api.md: {missing}"
