"""Writing Parquet outputs in bounded batches, so memory stays flat however large the input."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq


class ParquetSink:
    """Append rows (dicts) to one Parquet file with a fixed schema, flushing every `batch_rows` rows."""

    def __init__(self, path: Path | str, schema: pa.Schema, batch_rows: int = 50_000) -> None:
        self.path = Path(path)
        self.schema = schema
        self.batch_rows = batch_rows
        self.rows = 0
        self._buffer: list[dict[str, Any]] = []
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = pq.ParquetWriter(str(self.path), schema, compression="zstd")

    def write(self, row: dict[str, Any]) -> None:
        self._buffer.append(row)
        if len(self._buffer) >= self.batch_rows:
            self.flush()

    def flush(self) -> None:
        if self._buffer:
            self._writer.write_table(pa.Table.from_pylist(self._buffer, schema=self.schema))
            self.rows += len(self._buffer)
            self._buffer.clear()

    def close(self) -> int:
        self.flush()
        self._writer.close()
        return self.rows

    def __enter__(self) -> ParquetSink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
