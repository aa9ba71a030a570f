"""Benchmark: PubMed XML parsing against a bare lxml scan and against pubmed-parser, and the local engine end to end.

    .venv/bin/pip install -e '.[bench]'          # pubmed-parser, for the comparison only
    .venv/bin/python bench/pubmed_parse.py       # about 2 minutes on a 2-core machine

The real samples (../shared/data/pubmed: the 2019 PubmedArticleSet and the 2016 MedlineCitationSet files) are
replicated, with PMIDs shifted per copy so that every record is distinct, into gzip files like NLM's baseline
(--target-mb of XML, 200 MB by default; half in each format, four files of each). Every measurement runs in a
fresh process so that its peak RSS (getrusage ru_maxrss: resident set size, C allocations of libxml2 included)
is its own (VmHWM of the process; for run_pubmed also ru_maxrss of its largest worker, which on Linux is at
least the parent's size when the worker was started). Each measurement is repeated (--repeat, best time kept).
Measured, on the same files:

  floor          gunzip + lxml iterparse, records counted and cleared, nothing extracted
  iter_articles  our parser, every field, one process
  pubmed-parser  pubmed_parser.parse_medline_xml(path, author_list=True), 2019-format files only: it reads
                 PubmedArticle records and yields nothing from a 2016 MedlineCitationSet file
  run_pubmed     the local engine with --workers processes, Parquet outputs and manifest included
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

SHARED = ROOT.parent / "shared" / "data" / "pubmed"
SOURCES = {  # format -> (sample file, root element)
    "2019": ("fatcat_pubmedsample_2019.xml.gz", b"PubmedArticleSet"),
    "2016": ("pubmed_parser_medline16n0902.xml.gz", b"MedlineCitationSet"),
}
FILES_PER_FORMAT = 4
BASELINE_CITATIONS = 38_000_000  # the 2025 baseline (DESIGN.md section 6): about 38M citations in 1,274 files
_PMID = re.compile(rb'(<PMID Version="\d+">)(\d+)(</PMID>)')


# --- data ---------------------------------------------------------------------------------------------------


def make_data(data_dir: Path, target_mb: int) -> dict[str, list[Path]]:
    """Replicate each sample into FILES_PER_FORMAT gzip files holding target_mb/2 MB of XML per format."""
    data_dir.mkdir(parents=True, exist_ok=True)
    out: dict[str, list[Path]] = {}
    for fmt, (name, root) in SOURCES.items():
        source = SHARED / name
        if not source.exists():
            sys.exit(f"{source} is absent: this benchmark replicates the shared real samples")
        xml = gzip.decompress(source.read_bytes())
        start = xml.index(b"<" + root + b">") + len(root) + 2
        end = xml.rindex(b"</" + root + b">")
        head, body, tail = xml[:start], xml[start:end], xml[end:]
        copies = max(1, math.ceil(target_mb * 1e6 / 2 / len(body) / FILES_PER_FORMAT))
        paths = []
        for f in range(FILES_PER_FORMAT):
            path = data_dir / f"bench{fmt}n{f + 1:04d}.xml.gz"
            stamp = path.with_suffix(".ok")
            if not (path.exists() and stamp.exists() and stamp.read_text() == f"{copies}"):
                with gzip.open(path, "wb", compresslevel=6) as gz:  # NLM's baseline files are plain gzip
                    gz.write(head)
                    for c in range(copies):
                        shift = (f * copies + c + 1) * 100_000_000  # distinct PMIDs in every copy
                        gz.write(
                            _PMID.sub(lambda m, s=shift: m[1] + str(int(m[2]) + s).encode() + m[3], body)
                        )
                    gz.write(tail)
                stamp.write_text(f"{copies}")
            paths.append(path)
        out[fmt] = paths
    return out


# --- measurements, each in its own process -------------------------------------------------------------------


def measure_floor(paths: list[str]) -> int:
    from lxml import etree

    records = 0
    for path in paths:
        with gzip.open(path, "rb") as fh:
            tags = ("PubmedArticle", "MedlineCitation", "DeleteCitation")
            for _event, el in etree.iterparse(fh, events=("end",), tag=tags):
                parent = el.getparent()
                if el.tag == "MedlineCitation" and parent is not None and parent.tag == "PubmedArticle":
                    continue
                records += len(el) if el.tag == "DeleteCitation" else 1
                el.clear()
                while el.getprevious() is not None:
                    del parent[0]
    return records


def measure_ours(paths: list[str]) -> int:
    from liaison_pipelines.sources.pubmed import iter_articles

    return sum(1 for path in paths for _ in iter_articles(path))


def measure_pubmed_parser(paths: list[str]) -> int:
    import pubmed_parser

    return sum(1 for path in paths for _ in pubmed_parser.parse_medline_xml(path, author_list=True))


def measure_run(paths: list[str], workers: int) -> int:
    from liaison_pipelines.pubmed_run import run_pubmed

    with tempfile.TemporaryDirectory() as out:
        manifest = run_pubmed(paths, out, workers=workers)
        return manifest.read


def child(method: str, paths: list[str], workers: int) -> None:
    started = time.perf_counter()
    if method == "floor":
        records = measure_floor(paths)
    elif method == "iter_articles":
        records = measure_ours(paths)
    elif method == "pubmed-parser":
        records = measure_pubmed_parser(paths)
    else:
        records = measure_run(paths, workers)
    seconds = time.perf_counter() - started
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    # VmHWM is this process's own peak; ru_maxrss would include the size of the process it was forked from
    status = Path("/proc/self/status").read_text() if Path("/proc/self/status").exists() else ""
    hwm = re.search(r"VmHWM:\s+(\d+) kB", status)
    print(
        json.dumps(
            {
                "records": records,
                "seconds": seconds,
                "cpu_seconds": me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime,
                "rss_mb": (int(hwm[1]) if hwm else me.ru_maxrss) / 1024,  # Linux: kilobytes
                "child_rss_mb": kids.ru_maxrss / 1024,  # the largest worker, for run_pubmed
            }
        )
    )


def run_child(method: str, paths: list[Path], workers: int, repeat: int) -> dict[str, float]:
    """Best time of `repeat` fresh processes; the peak RSS is the highest seen."""
    cmd = [sys.executable, __file__, "--child", method, "--workers", str(workers), *map(str, paths)]
    results = []
    for _ in range(repeat):
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            sys.exit(f"{method} failed:\n{done.stderr}")
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    best = min(results, key=lambda r: r["seconds"])
    best["rss_mb"] = max(r["rss_mb"] for r in results)
    best["child_rss_mb"] = max(r["child_rss_mb"] for r in results)
    return best


def xml_megabytes(paths: list[Path]) -> float:
    total = 0
    for path in paths:
        with gzip.open(path, "rb") as fh:
            while block := fh.read1(1 << 20):
                total += len(block)
    return total / 1e6


# --- report ----------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--target-mb", type=int, default=200, help="MB of XML to generate (default 200)")
    parser.add_argument("--data-dir", type=Path, default=Path(tempfile.gettempdir()) / "liaison-bench-pubmed")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of each measurement, best kept (default 3)"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("paths", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.paths, args.workers)
        return

    started = time.perf_counter()
    data = make_data(args.data_dir, args.target_mb)
    every, modern = data["2019"] + data["2016"], data["2019"]
    xml_mb = {"all": xml_megabytes(every), "2019": xml_megabytes(modern)}
    gz_mb = sum(p.stat().st_size for p in every) / 1e6
    print(f"data: {len(every)} files, {xml_mb['all']:.0f} MB XML ({gz_mb:.0f} MB gzip) in {args.data_dir}")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}\n")

    try:
        import pubmed_parser  # noqa: F401

        have_pp = True
    except ImportError:
        have_pp = False
        print("pubmed-parser is not installed (pip install -e '.[bench]'): its row is left out\n")

    rows: list[tuple[str, str, int, dict[str, float]]] = []  # (method, files, cores, result)
    for label, paths in (("all", every), ("2019", modern)):
        rows.append(("floor: gunzip + iterparse", label, 1, run_child("floor", paths, 1, args.repeat)))
        rows.append(("iter_articles", label, 1, run_child("iter_articles", paths, 1, args.repeat)))
        if label == "2019" and have_pp:
            rows.append(("pubmed-parser", label, 1, run_child("pubmed-parser", paths, 1, args.repeat)))
    rows.append(
        (
            f"run_pubmed, {args.workers} workers",
            "all",
            args.workers,
            run_child("run", every, args.workers, args.repeat),
        )
    )

    def find(method: str, files: str) -> dict[str, float] | None:
        return next((r for m, f, _c, r in rows if m.startswith(method) and f == files), None)

    header = (
        "| method | files | records | seconds | records/s | records/s/core | CPU s | peak RSS MB "
        "| time / floor | pubmed-parser time / ours |"
    )
    print(header)
    print("|" + "---|" * 10)
    for method, files, cores, r in rows:
        floor = find("floor", files)
        pp = find("pubmed-parser", files)
        ratio_floor = f"{r['seconds'] / floor['seconds']:.2f}" if floor else ""
        ratio_pp = f"{pp['seconds'] / r['seconds']:.2f}" if pp and method == "iter_articles" else ""
        rss = f"{r['rss_mb']:.0f}" + (f" (+{r['child_rss_mb']:.0f} per worker)" if cores > 1 else "")
        print(
            f"| {method} | {files} ({xml_mb[files]:.0f} MB) | {r['records']:,.0f} | {r['seconds']:.2f} "
            f"| {r['records'] / r['seconds']:,.0f} | {r['records'] / r['seconds'] / cores:,.0f} "
            f"| {r['cpu_seconds']:.1f} | {rss} | {ratio_floor} | {ratio_pp} |"
        )

    engine = rows[-1][3]
    rate = engine["records"] / engine["seconds"]
    hours = BASELINE_CITATIONS / rate / 3600
    print(
        f"\nprojection: the 2025 baseline ({BASELINE_CITATIONS / 1e6:.0f}M citations) with run_pubmed and "
        f"{args.workers} processes at {rate:,.0f} records/s: {hours:.1f} h "
        f"(records of the bench mix: {xml_mb['all'] * 1e6 / engine['records'] / 1e3:.1f} kB of XML each)"
    )
    print(f"bench total: {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
