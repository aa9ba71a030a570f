"""Where the pipelines' Parquet tables live, so that linking, scoring and the app's loaders agree on paths."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PipelineTables:
    """The tables `liaison ingest SOURCE` writes under `root` (`$LIAISON_DATA_DIR/pipelines` in the app).

    Layout: `root/<source>/<table>.parquet`, with source one of pubmed, trials, payments, nppes, mesh. A table
    that was never ingested simply does not exist: `present()` says which do.
    """

    root: Path

    def _path(self, source: str, table: str) -> Path:
        return Path(self.root) / source / f"{table}.parquet"

    @property
    def articles(self) -> Path:
        return self._path("pubmed", "articles")

    @property
    def authors(self) -> Path:
        return self._path("pubmed", "authors")

    @property
    def mesh(self) -> Path:
        return self._path("pubmed", "mesh")

    @property
    def deleted(self) -> Path:
        return self._path("pubmed", "deleted")

    @property
    def authorships(self) -> Path:
        return self._path("pubmed", "authorships")

    @property
    def trials(self) -> Path:
        return self._path("trials", "trials")

    @property
    def trial_people(self) -> Path:
        return self._path("trials", "trial_people")

    @property
    def payments(self) -> Path:
        return self._path("payments", "payments")

    @property
    def pi_payments(self) -> Path:
        return self._path("payments", "pi_payments")

    @property
    def physicians(self) -> Path:
        return self._path("payments", "physicians")

    @property
    def providers(self) -> Path:
        return self._path("nppes", "providers")

    @property
    def mesh_tree(self) -> Path:
        return self._path("mesh", "mesh_tree")

    @property
    def links(self) -> Path:
        return self._path("kol", "links")

    def present(self) -> dict[str, bool]:
        names = [
            "articles",
            "authors",
            "mesh",
            "deleted",
            "authorships",
            "trials",
            "trial_people",
            "payments",
            "pi_payments",
            "physicians",
            "providers",
            "mesh_tree",
            "links",
        ]
        return {name: getattr(self, name).exists() for name in names}
