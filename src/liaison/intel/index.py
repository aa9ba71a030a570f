"""The vector index of searchable records: its keys, and the process's cache of it under DATA_DIR/index."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.db.models import Count, Max

from liaison_text import search as text_search

from .embeddings import SEARCHABLE, embedder
from .models import DIM, ContentKind, TextEmbedding

# Vector index keys: kind code * KEY_SPACE + database id, so one index holds all three kinds.
KIND_CODES = {ContentKind.INSIGHT: 1, ContentKind.INTERACTION: 2, ContentKind.INQUIRY: 3}
KEY_SPACE = 10**12


def key_of(kind: str, pk: int) -> int:
    return KIND_CODES[ContentKind(kind)] * KEY_SPACE + int(pk)


def split_key(key: int) -> tuple[str, int]:
    code, pk = divmod(int(key), KEY_SPACE)
    kind = next(k for k, c in KIND_CODES.items() if c == code)
    return str(kind), pk


class _IndexCache:
    """The process's vector index: loaded from DATA_DIR/index, rebuilt from the database when stale.

    Stale means the stored embeddings changed since the index was built (count, newest update or model
    version differ). New and changed rows are added in place; anything else (deletions) rebuilds it.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.index: Any = None
        self.fingerprint: tuple[Any, ...] | None = None

    @staticmethod
    def directory() -> Path:
        return Path(settings.DATA_DIR) / "index"

    @staticmethod
    def db_fingerprint(version: str) -> tuple[Any, ...]:
        agg = TextEmbedding.objects.filter(kind__in=SEARCHABLE, model_version=version).aggregate(
            n=Count("pk"), newest=Max("updated_at")
        )
        return (version, agg["n"], agg["newest"].isoformat() if agg["newest"] else "")

    def get(self) -> Any:
        """The index, refreshed against the database (one aggregate query when nothing changed)."""
        version = embedder().version
        with self.lock:
            current = self.db_fingerprint(version)
            if self.index is not None and self.fingerprint == current:
                return self.index
            if self.index is None:
                self._load(current)
            if self.fingerprint != current and not self._catch_up(version, current):
                self.rebuild(version)
            return self.index

    def _load(self, current: tuple[Any, ...]) -> None:
        VectorIndex = text_search.VectorIndex  # noqa: N806

        manifest = self.directory() / "manifest.json"
        try:
            meta = json.loads(manifest.read_text())
            if tuple(meta["fingerprint"]) == current:
                self.index = VectorIndex.load(self.directory() / "vectors")
                self.fingerprint = current
        except Exception:  # noqa: BLE001 - a missing or unreadable cache is rebuilt
            self.index, self.fingerprint = None, None

    def _catch_up(self, version: str, current: tuple[Any, ...]) -> bool:
        """Add the rows updated since the index was built; False when only a rebuild can make it current."""
        if self.index is None or self.fingerprint is None or self.fingerprint[0] != version:
            return False
        since = self.fingerprint[2]
        rows = TextEmbedding.objects.filter(kind__in=SEARCHABLE, model_version=version)
        if since:
            rows = rows.filter(updated_at__gt=since)
        fresh = list(rows.values_list("kind", "object_id", "vector"))
        keys = [key_of(k, oid) for k, oid, _ in fresh]
        added = len(set(keys) - self._keys)
        if self.fingerprint[1] + added != current[1]:
            return False
        if keys:
            self.index.remove(keys)
            self.index.add(keys, np.stack([np.frombuffer(bytes(v), dtype="<f4") for _, _, v in fresh]))
            self._keys.update(keys)
        self.fingerprint = current
        return True

    def rebuild(self, version: str | None = None) -> int:
        """Build the index from every stored embedding and save it with its manifest; returns its size."""
        VectorIndex = text_search.VectorIndex  # noqa: N806

        version = version or embedder().version
        current = self.db_fingerprint(version)
        index = VectorIndex(DIM)
        keys: list[int] = []
        chunk: list[np.ndarray] = []
        chunk_keys: list[int] = []
        rows = TextEmbedding.objects.filter(kind__in=SEARCHABLE, model_version=version).values_list(
            "kind", "object_id", "vector"
        )
        for kind, oid, vector in rows.iterator(chunk_size=5000):
            chunk_keys.append(key_of(kind, oid))
            chunk.append(np.frombuffer(bytes(vector), dtype="<f4"))
            if len(chunk) >= 5000:
                index.add(chunk_keys, np.stack(chunk))
                keys += chunk_keys
                chunk, chunk_keys = [], []
        if chunk:
            index.add(chunk_keys, np.stack(chunk))
            keys += chunk_keys
        directory = self.directory()
        directory.mkdir(parents=True, exist_ok=True)
        index.save(directory / "vectors")
        (directory / "manifest.json").write_text(
            json.dumps({"fingerprint": list(current), "size": len(keys)})
        )
        self.index, self.fingerprint, self._keys = index, current, set(keys)
        return len(keys)

    _keys: set[int] = set()  # noqa: RUF012 - replaced per instance on rebuild


INDEX = _IndexCache()
