"""Spark session and setup for the Spark engine: PySpark and Java 17 checks, shuffle sizing, a quiet session."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - typing only; pyspark stays an optional, lazy import
    from pyspark.sql import SparkSession

MASTER_ENV = "LIAISON_SPARK_MASTER"
DEFAULT_MASTER = "local[*]"
MIN_JAVA = 17

# Spark's default log4j2 setup prints INFO/WARN lines (native-hadoop, "Setting default log level") that bury
# the pipeline's own output; this configuration keeps only errors.
_LOG4J2 = """\
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n
"""


class SparkUnavailable(RuntimeError):
    """PySpark or a Java 17+ runtime is missing: the message says what to install."""


def _import_pyspark() -> Any:
    try:
        import pyspark
    except ImportError as exc:
        raise SparkUnavailable(
            "the Spark engine needs PySpark: pip install 'liaison[spark]' (or use --engine local)"
        ) from exc
    return pyspark


def java_version() -> int:
    """The major version of the Java runtime PySpark will start (JAVA_HOME first, then PATH).

    Checked before starting Spark because PySpark's own failure ("Java gateway process exited before sending
    its port number") names neither the cause nor the fix.
    """
    home = os.environ.get("JAVA_HOME")
    java = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    hint = "the Spark engine needs a Java 17 runtime (e.g. apt-get install openjdk-17-jre-headless)"
    if not java or not Path(java).exists():
        raise SparkUnavailable(f"{hint}: no `java` found (JAVA_HOME unset and none on PATH)")
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60, check=True)
    except (OSError, subprocess.SubprocessError) as exc:
        raise SparkUnavailable(f"{hint}: `{java} -version` failed ({exc})") from exc
    # `java -version` writes to stderr: 'openjdk version "17.0.15" ...' or, before Java 9, '"1.8.0_392"'.
    m = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if not m:
        raise SparkUnavailable(f"{hint}: cannot read the version from `{java} -version`")
    major = int(m.group(1))
    if major == 1 and m.group(2):
        major = int(m.group(2))
    if major < MIN_JAVA:
        raise SparkUnavailable(f"{hint}: found Java {major} at {java}")
    return major


def check_spark() -> None:
    """Raise SparkUnavailable unless PySpark and a Java 17+ runtime are both present."""
    _import_pyspark()
    java_version()


def shuffle_partitions(input_bytes: int) -> int:
    """Shuffle partitions for an input of this size: about one per 64 MB, between 1 and 200.

    Spark's default of 200 costs more in task scheduling than the work itself on a test sample or one area.
    """
    return max(1, min(200, input_bytes // (64 * 1024 * 1024) + 1))


@contextmanager
def spark_session(*, partitions: int = 2, app_name: str = "liaison-kol") -> Iterator[SparkSession]:
    """A SparkSession for one scoring run: the active one if the caller started it, else a new local one.

    A new session runs on `$LIAISON_SPARK_MASTER` (default `local[*]`), without the web UI, with quiet logs,
    and is stopped on exit; a session the caller already holds (a test module's, a notebook's) is left running.
    """
    _import_pyspark()
    from pyspark.sql import SparkSession

    # Adaptive execution re-plans after every shuffle: worth it for skewed big joins, overhead in the PageRank
    # loop's many small jobs when the input fits one partition (the sample area: 117 s with one partition and
    # AQE off, 233 s with two and AQE on, on the same busy 2-core machine).
    adaptive = "true" if partitions > 1 else "false"
    active = SparkSession.getActiveSession()
    if active is not None:
        active.conf.set("spark.sql.shuffle.partitions", str(partitions))
        active.conf.set("spark.sql.adaptive.enabled", adaptive)
        yield active
        return
    java_version()
    with tempfile.TemporaryDirectory(prefix="liaison-spark-") as tmp:
        log_conf = Path(tmp) / "log4j2.properties"
        log_conf.write_text(_LOG4J2, encoding="utf-8")
        java_opts = f"-Dlog4j2.configurationFile=file:{log_conf} -Dlog4j.configurationFile=file:{log_conf}"
        spark = (
            SparkSession.builder.master(os.environ.get(MASTER_ENV) or DEFAULT_MASTER)
            .appName(app_name)
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.shuffle.partitions", str(partitions))
            .config("spark.default.parallelism", str(partitions))
            .config("spark.sql.adaptive.enabled", adaptive)
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.local.dir", tmp)
            .config("spark.driver.extraJavaOptions", java_opts)
            .getOrCreate()
        )
        spark.sparkContext.setLogLevel("ERROR")
        try:
            yield spark
        finally:
            spark.stop()
