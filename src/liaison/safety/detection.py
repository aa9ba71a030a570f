"""The AE detector as the app runs it: the detector pool, screening of free text, labels to train it on."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

from liaison.accounts.models import Product
from liaison_text import ae_lexicon
from liaison_text.ae_lexicon import Span

from .models import ReportStatus, SafetyReport

EXCERPT_CHARS = 160


# The detector's category names, in the app's vocabulary (stored reports and labels use these).
APP_CATEGORY = {"off_label": "off_label_use"}


class DetectorFailure(Exception):
    """The detector could not screen a text (an error or the time limit): the record goes to triage."""


@dataclass(frozen=True)
class Screening:
    """What the detector found in one text, in the shape the app's pages and reports use.

    `spans` are `ae_lexicon.Span`s (kind "event", "drug" or a special-situation category) for highlighting;
    `raw_spans` are the detector's own, stored on the report.
    """

    ae: bool
    score: float
    categories: tuple[str, ...]
    spans: tuple[Span, ...]
    hedged: bool
    layer: str
    raw_spans: tuple[dict[str, Any], ...] = ()

    @property
    def flagged(self) -> bool:
        """True when drug safety must look: an AE, a special situation, or a negated/hypothetical mention."""
        return self.ae or bool(self.categories) or (self.hedged and bool(self.spans))

    @property
    def terms(self) -> list[str]:
        """The event and special-situation words that raised it (drug names are in the spans)."""
        return sorted({s.text.lower() for s in self.spans if s.kind != "drug"})


def _from_lexicon(detection: ae_lexicon.Detection) -> Screening:
    """Adapt the bare lexicon's Detection (used only where `liaison_text.ae_detect` is not installed)."""
    spans = tuple(detection.spans)
    return Screening(
        ae=detection.ae,
        score=detection.score,
        categories=tuple(detection.categories),
        spans=spans,
        hedged=bool(spans) and all(s.hedged for s in spans),
        layer="lexicon",
        raw_spans=tuple(s.as_dict() for s in spans),
    )


def _from_result(result: Any) -> Screening:
    """Adapt `liaison_text.ae_detect.AEResult`: situation spans take their category as kind; hedge cues (the
    "no" of "no rash") are kept in `raw_spans` only."""
    spans = []
    for s in result.spans:
        if s.kind == "situation":
            kind = APP_CATEGORY.get(s.category, s.category)
        elif s.kind in ("event", "drug"):
            kind = s.kind
        else:
            continue
        spans.append(Span(s.start, s.end, s.text, kind, bool(s.hedged)))
    return Screening(
        ae=bool(result.ae),
        score=float(result.score),
        categories=tuple(APP_CATEGORY.get(c, c) for c in result.categories),
        spans=tuple(spans),
        hedged=bool(result.hedged),
        layer=str(result.layer),
        raw_spans=tuple(result.as_dict()["spans"]),
    )


_detector_lock = threading.Lock()
_detector_cache: dict[tuple[Any, ...], Any] = {}
# Detection runs in worker threads so that a hung detector cannot hang a save: past the time limit the record
# is routed to triage and the thread is left to finish (it cannot be killed; two threads bound the damage).
_executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="ae-detect")


def ae_model_dir() -> Path:
    """Where `liaison text train-ae` writes the trained model and where detection looks for it."""
    return Path(settings.LIAISON_AE_MODEL_DIR)


def _product_names() -> tuple[str, ...]:
    """The company's product names (brand and generic): the detector recognises them as drugs."""
    names = Product.objects.values_list("name", "generic_name")
    return tuple(sorted({n for pair in names for n in pair if n}))


def current_detector() -> Any:
    """The detector for this data directory: the trained layer when a model exists, else the lexicon layer.

    Cached per model file version and product list, so a newly trained model is picked up without a restart.
    None when `liaison_text.ae_detect` is not installed (the lexicon module is then used directly).
    """
    try:
        from liaison_text.ae_detect import load_detector
    except ImportError:
        return None
    model_dir = ae_model_dir()
    marker = model_dir / "model.json"
    version = marker.stat().st_mtime_ns if marker.exists() else None
    key = (str(model_dir), version, _product_names())
    with _detector_lock:
        detector = _detector_cache.get(key)
        if detector is None:
            _detector_cache.clear()
            detector = load_detector(model_dir if version is not None else None, product_names=key[2])
            # Vocabularies and model weights load on first use: do that here, outside the time limit, so the
            # first save after a start or a retraining is not routed to triage for being slow.
            detector.detect("warm-up")
            _detector_cache[key] = detector
    return detector


def _screen(detector: Any, text: str) -> Screening:
    """The detection itself, run in a worker thread under the time limit."""
    if detector is None:
        # Looked up on the module at call time, so a replaced or patched lexicon is the one that runs.
        return _from_lexicon(ae_lexicon.detect(text))
    return _from_result(detector.detect(text))


def screen_text(text: str, *, timeout: float | None = None) -> Screening:
    """Screen one text within the time limit (LIAISON_AE_TIMEOUT_SECONDS); DetectorFailure otherwise."""
    limit = float(settings.LIAISON_AE_TIMEOUT_SECONDS if timeout is None else timeout)
    try:
        detector = current_detector()
        future = _executor.submit(_screen, detector, text or "")
        return future.result(timeout=limit)
    except FutureTimeout as exc:
        raise DetectorFailure(f"timed out after {limit:g} s") from exc
    except Exception as exc:  # noqa: BLE001 - any detector failure routes to triage rather than passing silently
        raise DetectorFailure(f"{type(exc).__name__}: {exc}") from exc


def run_detector(text: str) -> Screening | None:
    """The detector, guarded: None means it failed, and the caller must route the record to triage."""
    try:
        return screen_text(text)
    except DetectorFailure:
        return None


def excerpt_around_hits(text: str, detection: Screening) -> str:
    """The text around the detector's hits, so drug safety sees the context without the whole note."""
    if not detection.spans:
        return text[: 2 * EXCERPT_CHARS]
    first, last = detection.spans[0], detection.spans[-1]
    start = max(0, first.start - EXCERPT_CHARS)
    end = min(len(text), last.end + EXCERPT_CHARS)
    return ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")


def triage_labels() -> list[dict[str, Any]]:
    """Drug safety's decisions as training labels: forwarded = AE (true), closed as not an AE = false.

    The text is the source record's full free text when it is still there (the excerpt otherwise), so the
    trained layer learns from what the MSL wrote, including AEs the lexicon missed.
    """
    decided = SafetyReport.objects.filter(
        status__in=(ReportStatus.FORWARDED, ReportStatus.NOT_AN_AE)
    ).select_related("interaction", "inquiry", "insight")
    labels = []
    for report in decided.order_by("created_at"):
        text = _source_text(report)
        if text:
            labels.append({"text": text, "ae": report.status == ReportStatus.FORWARDED})
    return labels


def _source_text(report: SafetyReport) -> str:
    """The full free text a report was raised on; the excerpt when the source is gone or had none."""
    if report.interaction is not None:
        text = "\n".join(t for t in (report.interaction.notes, report.interaction.materials_shared) if t)
    elif report.inquiry is not None:
        text = report.inquiry.question
    elif report.insight is not None:
        text = report.insight.text
    else:
        text = report.event_description
    if not text:
        lines = [
            line.split("] ", 1)[-1] for line in report.excerpt.splitlines() if "detector failed" not in line
        ]
        text = "\n".join(lines)
    return text.strip()
