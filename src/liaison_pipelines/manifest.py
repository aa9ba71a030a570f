"""The manifest written next to every pipeline output: what went in, what came out, what was skipped and why."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from . import __version__
from .inputs import sha256_of


@dataclass
class InputRecord:
    path: str
    sha256: str
    bytes: int
    read: int = 0
    skipped: str = ""  # reason, when the whole file was skipped
    partial: str = ""  # reason, when the file broke off part-way (the records read before it were kept)


@dataclass
class Manifest:
    """Counts read, written and skipped (with reasons), inputs with checksums, and the code version."""

    source: str
    code_version: str = __version__
    started_at: str = field(default_factory=lambda: dt.datetime.now(dt.UTC).isoformat())
    finished_at: str = ""
    inputs: list[InputRecord] = field(default_factory=list)
    outputs: dict[str, int] = field(default_factory=dict)  # file name -> rows written
    read: int = 0
    written: int = 0
    skipped_records: Counter[str] = field(default_factory=Counter)  # reason -> count
    versions: dict[str, str] = field(
        default_factory=dict
    )  # data versions stated by the inputs, e.g. {"mesh": "2017"}

    def add_input(self, path: Path | str) -> InputRecord:
        path = Path(path)
        record = InputRecord(
            path=str(path),
            sha256=sha256_of(path) if path.exists() else "",
            bytes=path.stat().st_size if path.exists() else 0,
        )
        self.inputs.append(record)
        return record

    def skip_record(self, reason: str, n: int = 1) -> None:
        self.skipped_records[reason] += n

    @property
    def skipped_files(self) -> list[InputRecord]:
        return [i for i in self.inputs if i.skipped]

    def finish(self) -> Manifest:
        self.finished_at = dt.datetime.now(dt.UTC).isoformat()
        return self

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["skipped_records"] = dict(self.skipped_records)
        data["skipped_files"] = [{"path": i.path, "reason": i.skipped} for i in self.skipped_files]
        return data

    def write(self, directory: Path | str) -> Path:
        path = Path(directory) / f"{self.source}.manifest.json"
        path.write_text(json.dumps(self.as_dict(), indent=2, sort_keys=True), encoding="utf-8")
        return path

    def summary(self) -> str:
        lines = [
            f"{self.source}: {len(self.inputs)} input files, {self.read} records read, {self.written} written"
        ]
        if self.versions:
            lines.append("  versions: " + ", ".join(f"{k} {v}" for k, v in sorted(self.versions.items())))
        for item in self.skipped_files:
            lines.append(f"  skipped file {item.path}: {item.skipped}")
        for item in self.inputs:
            if item.partial:
                lines.append(f"  partly read {item.path} ({item.read} records kept): {item.partial}")
        for reason, n in sorted(self.skipped_records.items()):
            lines.append(f"  skipped {n} records: {reason}")
        return "\n".join(lines)
