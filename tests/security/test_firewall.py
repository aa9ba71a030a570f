"""The medical/commercial firewall, proven by crawling the whole app as the commercial user.

Marker strings are planted in every medical free-text field of every kind of medical record (tests/helpers_crawl.py).
Then dave (commercial) requests every page of the URL map and every API operation of the OpenAPI document,
with the uuids of the planted records, random uuids, search/tab/filter variants and htmx partials, and follows
every link. The tests below then assert, each on its own:

- no response anywhere shows a marker, nor the bare fragment "MARKER" (beyond an echo of what dave typed);
- no response is a 5xx;
- a planted-but-hidden uuid and a random uuid get the same status (and, in the API, the same body);
- dave's view of the site is byte-for-byte the same before and after the medical records existed, so neither
  counts, nor search results, nor "last contacted" dates give them away;
- medical lists and counts are refused outright (403) rather than shown empty; the one exception is the
  aggregate insight report, which shows a large enough group's theme, count and the summary a medical reviewer
  released, and nothing any medical person wrote (patient text is planted in every free-text field of every
  medical model, found from the models themselves, and a marketing digest is sent and read back);
- every medical write refused to dave changes nothing (the audit trail does not grow);
- control: medical roles DO find the markers by the same crawl, so it is not vacuous.

The crawl is done once per module (a module-scoped fixture inside one rolled-back transaction) and each test
reads its findings.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.apps import apps
from django.db import transaction
from django.test import Client, override_settings
from django.utils import timezone

from helpers_crawl import (
    COHORT_PRIORITY,
    FRAGMENT,
    MARKERS,
    MEDICAL_API_RESOURCES,
    MEDICAL_WEB_PREFIXES,
    NO_MATCH,
    NOT_PLANTED,
    PATIENT,
    RANDOM_UUIDS,
    RELEASED_SUMMARY,
    SEARCH_FRAGMENTS,
    TAB_NAMES,
    Crawler,
    Hit,
    Route,
    fill_route,
    first_difference,
    iter_routes,
    make_world,
    normalise,
    plant_markers,
    scan,
    web_seed_urls,
)
from personas import PASSWORD, PERSONAS  # noqa: E402

# django_db: so that pytest-django creates the test database; the crawl itself runs in a module-scoped fixture.
pytestmark = [pytest.mark.slow, pytest.mark.django_db]

# The crawl must reach at least this many distinct requests, or it proves little. Raised as pages arrive.
MIN_WEB_REQUESTS = 2000
MIN_API_REQUESTS = 300
POST_MARKER = "MARKER-POSTED-BY-COMMERCIAL-5e1d"
# Web routes a commercial user may legitimately POST to: sign-in/out, the one-way hand-off of a request, the
# stateless live AE check that the hand-off form uses (it stores nothing and reads no record), his own
# API tokens and his own calendar feed address.
COMMERCIAL_WEB_WRITES = re.compile(
    r"^/(login|logout)/|^/inquiries/(new|capture|route)/$|^/interactions/ae-check/$"
    r"|^/accounts/(password|me|token|calendar/$)"
)
# The aggregate insight report: the one page whose figures are meant to change once medical records exist (a
# group of five HCPs or more is counted, and its released summary shown). Compared before and after on its own.
AGGREGATE_PAGES = re.compile(r"^/insights/report(/|\.csv)")
# API operations a commercial user may legitimately call with a write method.
COMMERCIAL_API_WRITES = {("POST", "/api/v1/inquiries")}
SEARCHY = {"q", "search", "term", "query", "text", "name", "contains"}


@dataclass
class Findings:
    """Everything the crawls saw, for the tests to assert on."""

    planted: Any = None
    web: Crawler | None = None
    api: Crawler | None = None
    baseline: dict[tuple[str, str], tuple[int, str]] = field(default_factory=dict)
    after: dict[tuple[str, str], tuple[int, str]] = field(default_factory=dict)
    hidden_vs_random_web: list[str] = field(default_factory=list)
    hidden_vs_random_api: list[str] = field(default_factory=list)
    search_diffs_web: list[str] = field(default_factory=list)
    search_diffs_api: list[str] = field(default_factory=list)
    medical_lists_web: list[Hit] = field(default_factory=list)
    medical_lists_api: list[Hit] = field(default_factory=list)
    web_posts: list[Hit] = field(default_factory=list)
    api_writes: list[Hit] = field(default_factory=list)
    audit_before_posts: int = 0
    audit_before_seq: int = 0
    writes_that_audited: list[str] = field(default_factory=list)
    audit_after_posts: int = 0
    counts_before_posts: dict[str, int] = field(default_factory=dict)
    counts_after_posts: dict[str, int] = field(default_factory=dict)
    posted_marker_stored: list[str] = field(default_factory=list)
    control: dict[str, set[str]] = field(default_factory=dict)
    control_requests: dict[str, int] = field(default_factory=dict)
    openapi_error: str = ""
    digests: list[tuple[str, str]] = field(default_factory=list)  # (what, text) a marketing recipient got


# ---------------------------------------------------------------------------------------------- helpers


def _routes() -> list[Route]:
    return list(iter_routes())


def _web_client(user: Any) -> Client:
    client = Client(raise_request_exception=True)
    client.force_login(user)
    return client


def _api_client(user: Any) -> tuple[Client, str]:
    from liaison.accounts.actions import create_api_token
    from liaison.core.context import audit_context

    with audit_context(actor=user, source="test"):
        _, raw = create_api_token(user, name="crawl")
    return Client(raise_request_exception=True), raw


def _medical_counts() -> dict[str, int]:
    from liaison.core.models import AuditEvent
    from liaison.engagement.models import FollowUp, Interaction
    from liaison.insights.models import Insight, ListeningPriority
    from liaison.medinfo.models import MedicalInquiry
    from liaison.safety.models import SafetyReport

    return {
        m.__name__: m._base_manager.count()
        for m in (AuditEvent, Interaction, FollowUp, Insight, ListeningPriority, MedicalInquiry, SafetyReport)
    }


def _posted_marker_rows() -> list[str]:
    """Any stored record holding the text dave tried to post."""
    from liaison.core.models import AuditEvent
    from liaison.engagement.models import FollowUp, Interaction
    from liaison.insights.models import Insight
    from liaison.medinfo.models import MedicalInquiry
    from liaison.safety.models import SafetyReport

    out = []
    for model, fields in (
        (Interaction, ("notes", "materials_shared")),
        (FollowUp, ("description",)),
        (Insight, ("text", "review_note")),
        (MedicalInquiry, ("answer",)),
        (SafetyReport, ("triage_note", "event_description")),
    ):
        for f in fields:
            if model._base_manager.filter(**{f"{f}__contains": POST_MARKER}).exists():
                out.append(f"{model.__name__}.{f}")
    if AuditEvent.objects.filter(reason__contains=POST_MARKER).exists():
        out.append("AuditEvent.reason")
    return out


def _form_payload(hcp_uuid: str) -> dict[str, Any]:
    """A form body that fills every field a medical form is likely to have, with the posted marker."""
    now = timezone.now() - dt.timedelta(hours=1)
    text = f"{POST_MARKER} patient developed a rash"
    return {
        "notes": text,
        "text": text,
        "answer": text,
        "note": text,
        "review_note": text,
        "triage_note": text,
        "description": text,
        "event_description": text,
        "question": text,
        "materials_shared": text,
        "reason": text,
        "title": text,
        "topics": text,
        "status": "forwarded",
        "decision": "forwarded",
        "attendees": hcp_uuid,
        "hcp": hcp_uuid,
        "requester_hcp": hcp_uuid,
        "occurred_at": now.strftime("%Y-%m-%dT%H:%M"),
        "occurred_at_0": now.strftime("%Y-%m-%d"),
        "occurred_at_1": now.strftime("%H:%M"),
        "channel": "in_person",
        "purpose": "scientific_exchange",
        "ae_attestation": "no",
        "unsolicited_attested": "on",
        "due_date": timezone.localdate().isoformat(),
        "duration_minutes": "30",
        "safety_case_id": "CASE-1",
        "patient_initials": "AB",
        "insight-0-text": text,
        "insights-0-text": text,
        "follow_up-0-description": text,
        "confirm": "yes",
    }


# ---- OpenAPI -------------------------------------------------------------------------------------------


def _resolve(schema: dict[str, Any], node: Any, depth: int = 0) -> Any:
    if isinstance(node, dict) and "$ref" in node and depth < 20:
        target: Any = schema
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target.get(part, {})
        return _resolve(schema, target, depth + 1)
    return node


def _example(schema: dict[str, Any], node: Any, hcp_uuid: str, name: str = "", depth: int = 0) -> Any:
    """A value that a schema is likely to accept, with the posted marker in every free-text string."""
    node = _resolve(schema, node)
    if not isinstance(node, dict) or depth > 6:
        return None
    for key in ("anyOf", "oneOf", "allOf"):
        if node.get(key):
            options = [o for o in node[key] if _resolve(schema, o).get("type") != "null"] or node[key]
            return _example(schema, options[0], hcp_uuid, name, depth + 1)
    if "default" in node and node["default"] is not None:
        return node["default"]
    if node.get("enum"):
        return node["enum"][-1]
    kind, fmt = node.get("type"), node.get("format", "")
    if kind == "object" or "properties" in node:
        props = node.get("properties", {})
        return {k: _example(schema, v, hcp_uuid, k, depth + 1) for k, v in props.items()}
    if kind == "array":
        item = _example(schema, node.get("items", {}), hcp_uuid, name, depth + 1)
        return [item] if item is not None else []
    if kind == "integer":
        return max(1, node.get("minimum", 1))
    if kind == "number":
        return 1
    if kind == "boolean":
        return True
    if fmt == "uuid":
        return hcp_uuid
    if fmt == "date-time":
        return (timezone.now() - dt.timedelta(hours=1)).isoformat()
    if fmt == "date":
        return timezone.localdate().isoformat()
    text = f"{POST_MARKER} {name} rash"
    if node.get("maxLength"):
        text = text[: node["maxLength"]]
    return text.ljust(node.get("minLength", 0), "x")


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    ops = []
    for path, item in schema.get("paths", {}).items():
        for method, op in item.items():
            if method.lower() in ("get", "post", "put", "patch", "delete"):
                params = [_resolve(schema, p) for p in item.get("parameters", []) + op.get("parameters", [])]
                ops.append((method.upper(), path, {**op, "parameters": params}))
    return ops


def _path_param_values(op: dict[str, Any], pool: list[str]) -> dict[str, list[str]]:
    out = {}
    for p in op["parameters"]:
        if p.get("in") != "path":
            continue
        s = p.get("schema", {})
        out[p["name"]] = (
            pool
            if s.get("format") == "uuid" or "uuid" in p["name"]
            else (["1"] if s.get("type") == "integer" else ["x"])
        )
    return out


def _fill_path(path: str, values: dict[str, str]) -> str:
    for k, v in values.items():
        path = path.replace("{" + k + "}", v)
    return path


def _is_medical_api(path: str) -> bool:
    return any(path.startswith(f"/api/v1/{r}") for r in MEDICAL_API_RESOURCES)


# ---------------------------------------------------------------------------------------------- the crawls


def _dave_web_crawl(findings: Findings, dave: Any, planted: Any, routes: list[Route]) -> None:
    hcp_uuid = str(planted.hcp.uuid)
    hidden = planted.medical_uuids()
    visible = [
        hcp_uuid,
        str(planted.users["alice"].uuid),
        str(planted.users["dave"].uuid),
        str(planted.users["product"].uuid),
        str(planted.users["oncology"].uuid),
    ]
    pool = [RANDOM_UUIDS[0], *visible, *hidden.values()]
    crawler = Crawler(_web_client(dave))
    plain, filled = web_seed_urls(routes, pool)
    for url in plain:
        crawler.add(url)
        crawler.add(url, "htmx")
    by_route: dict[str, dict[str, Hit]] = defaultdict(dict)
    for route, path, slots in filled:
        uuid_slots = [k for k, kind in route.slots if kind == "uuid"]
        # Two uuid slots: every combination of the whole pool would be too many requests; one hidden uuid each.
        if len(uuid_slots) > 1 and sum(v in hidden.values() for v in slots.values()) > 1:
            continue
        hit = crawler.get(path)
        if len(uuid_slots) == 1:
            by_route[route.route][slots[uuid_slots[0]]] = hit
        for variant_uuid in (hcp_uuid, str(planted.records["interaction"].uuid)):
            if variant_uuid in slots.values():
                for tab in TAB_NAMES:
                    crawler.add(f"{path}?tab={tab}")
                crawler.add(path, "htmx")
    crawler.run()
    findings.web = crawler
    # A hidden record and a record that does not exist must look alike: same status, same page.
    for route, hits in by_route.items():
        base = hits.get(RANDOM_UUIDS[0])
        if base is None:
            continue
        for label, u in hidden.items():
            hit = hits.get(u)
            if hit is None:
                continue
            if hit.status != base.status:
                findings.hidden_vs_random_web.append(
                    f"/{route} with hidden {label}: {hit.status}, with a random uuid: {base.status}"
                )
            elif normalise(hit.body, uuids=[u]) != normalise(base.body, uuids=[RANDOM_UUIDS[0]]):
                findings.hidden_vs_random_web.append(
                    f"/{route} with hidden {label}: same status {hit.status} but a different page:\n"
                    + first_difference(
                        normalise(base.body, uuids=[RANDOM_UUIDS[0]]), normalise(hit.body, uuids=[u])
                    )
                )
    # A search for a marker fragment and a search for nonsense must give the same page, echo aside.
    for key, hit in list(crawler.hits.items()):
        method, url, variant = key
        m = re.match(r"^(?P<path>[^?]+)\?(?P<param>\w+)=(?P<value>[^&]+)$", url)
        if method != "GET" or not m or m.group("value") not in SEARCH_FRAGMENTS:
            continue
        control = crawler.hits.get(("GET", f"{m.group('path')}?{m.group('param')}={NO_MATCH}", variant))
        if control is None:
            control = crawler.get(f"{m.group('path')}?{m.group('param')}={NO_MATCH}", variant)
        a = normalise(hit.body, echoes=[m.group("value")])
        b = normalise(control.body, echoes=[NO_MATCH])
        if hit.status != control.status or a != b:
            findings.search_diffs_web.append(
                f"{url}{' [htmx]' if variant else ''} ({hit.status}) differs from the same search for nonsense "
                f"({control.status}):\n{first_difference(b, a)}"
            )
    for prefix in MEDICAL_WEB_PREFIXES:
        hit = crawler.hits.get(("GET", prefix, ""))
        if hit is not None:
            findings.medical_lists_web.append(hit)


def _snapshot(crawler: Crawler) -> dict[tuple[str, str], tuple[int, str]]:
    return {
        (url, variant): (hit.status, normalise(hit.body))
        for (method, url, variant), hit in crawler.hits.items()
        if method == "GET"
    }


def _baseline_crawl(dave: Any, hcp: Any, users: dict[str, Any], routes: list[Route]) -> dict:
    """dave's whole view of the site before any medical record exists."""
    pool = [
        RANDOM_UUIDS[0],
        str(hcp.uuid),
        str(users["alice"].uuid),
        str(users["dave"].uuid),
        str(users["product"].uuid),
        str(users["oncology"].uuid),
    ]
    crawler = Crawler(_web_client(dave), limit=3000)
    plain, filled = web_seed_urls(routes, pool)
    for url in plain:
        crawler.add(url)
    for _, path, _ in filled:
        crawler.add(path)
    crawler.run()
    return _snapshot(crawler)


def _dave_api_crawl(findings: Findings, dave: Any, planted: Any) -> None:
    client, token = _api_client(dave)
    crawler = Crawler(client, headers={"Authorization": f"Bearer {token}"})
    findings.api = crawler
    spec = crawler.get("/api/v1/openapi.json")
    try:
        schema = json.loads(spec.body.split("\n\n", 1)[1])
    except (ValueError, IndexError) as exc:
        findings.openapi_error = f"/api/v1/openapi.json -> {spec.status}: {exc}"
        return
    hcp_uuid = str(planted.hcp.uuid)
    hidden = planted.medical_uuids()
    pool = [RANDOM_UUIDS[0], hcp_uuid, *hidden.values()]
    for method, path, op in _operations(schema):
        if method != "GET":
            continue
        api_path = path if path.startswith("/api/v1") else "/api/v1" + path
        path_values = _path_param_values(op, pool)
        query = [p for p in op["parameters"] if p.get("in") == "query"]
        if not path_values:
            base = crawler.get(api_path)
            if api_path.rstrip("/") in {f"/api/v1/{r}" for r in MEDICAL_API_RESOURCES}:
                findings.medical_lists_api.append(base)
            for p in query:
                name, s = p["name"], p.get("schema", {})
                values: list[str] = []
                if name in SEARCHY or s.get("type") == "string" and not s.get("format") and not s.get("enum"):
                    values = [*SEARCH_FRAGMENTS, NO_MATCH]
                elif (
                    s.get("format") == "uuid"
                    or name.endswith("uuid")
                    or name in ("hcp", "interaction", "owner")
                ):
                    values = [RANDOM_UUIDS[0], hcp_uuid, *list(hidden.values())[:6]]
                elif s.get("enum"):
                    values = [str(v) for v in s["enum"]]
                for v in values:
                    crawler.get(f"{api_path}?{name}={v}")
                for frag in SEARCH_FRAGMENTS:
                    hit = crawler.hits.get(("GET", f"{api_path}?{name}={frag}", ""))
                    control = crawler.hits.get(("GET", f"{api_path}?{name}={NO_MATCH}", ""))
                    if (
                        hit
                        and control
                        and (
                            hit.status != control.status
                            or normalise(hit.body, echoes=[frag])
                            != normalise(control.body, echoes=[NO_MATCH])
                        )
                    ):
                        findings.search_diffs_api.append(
                            f"GET {api_path}?{name}={frag} ({hit.status}) differs from ?{name}={NO_MATCH} "
                            f"({control.status}):\n"
                            + first_difference(
                                normalise(control.body, echoes=[NO_MATCH]), normalise(hit.body, echoes=[frag])
                            )
                        )
                # The same filter over a hidden record and over nothing must answer alike.
                if values and values[0] == RANDOM_UUIDS[0]:
                    control = crawler.hits[("GET", f"{api_path}?{name}={RANDOM_UUIDS[0]}", "")]
                    for v in values[2:]:
                        hit = crawler.hits[("GET", f"{api_path}?{name}={v}", "")]
                        if hit.status != control.status or normalise(hit.body, uuids=[v]) != normalise(
                            control.body, uuids=[RANDOM_UUIDS[0]]
                        ):
                            findings.hidden_vs_random_api.append(
                                f"GET {api_path}?{name}=<hidden {v}> ({hit.status}) differs from a random uuid "
                                f"({control.status})"
                            )
            continue
        names = list(path_values)
        if len(names) != 1:
            for v in pool[:3]:
                crawler.get(_fill_path(api_path, dict.fromkeys(names, v)))
            continue
        control = crawler.get(_fill_path(api_path, {names[0]: RANDOM_UUIDS[0]}))
        for label, u in [("hcp", hcp_uuid), *hidden.items()]:
            hit = crawler.get(_fill_path(api_path, {names[0]: u}))
            if label == "hcp":
                continue
            if hit.status != control.status:
                findings.hidden_vs_random_api.append(
                    f"GET {path} with hidden {label}: {hit.status}, with a random uuid: {control.status}"
                )
            elif normalise(hit.body, uuids=[u]) != normalise(control.body, uuids=[RANDOM_UUIDS[0]]):
                findings.hidden_vs_random_api.append(
                    f"GET {path} with hidden {label}: same status, other body:\n"
                    + first_difference(
                        normalise(control.body, uuids=[RANDOM_UUIDS[0]]), normalise(hit.body, uuids=[u])
                    )
                )
    findings.api_schema = schema  # type: ignore[attr-defined]


def _pdf_text(pdf: bytes) -> str:
    """The text drawn in a PDF, from its (Flate-compressed or plain) content streams."""
    out = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            out.append(zlib.decompress(stream).decode("latin-1"))
        except zlib.error:
            out.append(stream.decode("latin-1"))
    return "\n".join(out)


def _marketing_digest(world: dict[str, Any], planted: Any) -> list[tuple[str, str]]:
    """Send the marketing stakeholder's digest (HTML e-mail with the PDF attached) and read back everything the
    recipient gets: subject, plain text, HTML, attachments, and the PDF as rendered for download."""
    from django.core import mail

    from liaison.core.context import audit_context
    from liaison.stakeholders.actions import send_digest
    from liaison.stakeholders.digests import build_digest, render_pdf

    marketing = planted.extra["marketing"]
    mail.outbox = []
    with audit_context(actor=world["lena"], source="test"):
        send_digest(marketing, acting_user=world["lena"])
    got = []
    for message in mail.outbox:
        got += [("e-mail subject", message.subject), ("e-mail text", message.body)]
        got += [(f"e-mail {kind}", str(content)) for content, kind in message.alternatives]
        for name, content, kind in message.attachments:
            raw = content if isinstance(content, bytes) else str(content).encode()
            got.append((f"attachment {name}", _pdf_text(raw) if kind == "application/pdf" else raw.decode()))
    got.append(("PDF download", _pdf_text(render_pdf(build_digest(marketing)))))
    return got


def _note_new_audit_events(findings: Findings, hit: Hit) -> None:
    """Name the audit events a refused request wrote anyway (a refused request must write none)."""
    from liaison.core.models import AuditEvent

    last = findings.__dict__.setdefault("_last_seq", findings.audit_before_seq)
    new = list(
        AuditEvent.objects.filter(seq__gt=last).order_by("seq").values_list("seq", "event_type", "reason")
    )
    if new:
        findings.__dict__["_last_seq"] = new[-1][0]
        findings.writes_that_audited.append(f"{hit.method} {hit.url} -> {hit.status} wrote {new}")


def _dave_writes(findings: Findings, dave: Any, planted: Any, routes: list[Route]) -> None:
    """POST to every web route and call every API write as dave; record what came back."""
    hcp_uuid = str(planted.hcp.uuid)
    hidden = list(planted.medical_uuids().values())
    from liaison.core.models import AuditEvent

    schema = getattr(findings, "api_schema", None)
    api_client, token = _api_client(dave)  # before counting: issuing the token is itself audited
    findings.audit_before_posts = _medical_counts()["AuditEvent"]
    findings.audit_before_seq = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    findings.counts_before_posts = _medical_counts()
    web = Crawler(_web_client(dave))
    payload = _form_payload(hcp_uuid)
    values = {
        "uuid": [RANDOM_UUIDS[0], *hidden],
        "int": ["1"],
        "str": ["x"],
        "slug": ["x"],
        "path": ["x"],
        "regex": ["x"],
    }
    for route in routes:
        path0 = "/" + route.route
        if route.route.startswith("api/") or COMMERCIAL_WEB_WRITES.search(path0):
            continue
        for path, _ in fill_route(route, values, cap=40):
            hit = web.request("POST", path, data=payload, extra_echoes=payload.values())
            findings.web_posts.append(hit)
            _note_new_audit_events(findings, hit)
    if schema:
        api = Crawler(api_client, headers={"Authorization": f"Bearer {token}"})
        for method, path, op in _operations(schema):
            api_path = path if path.startswith("/api/v1") else "/api/v1" + path
            # Every write, medical or not: the commercial role holds no write but the capture of a request.
            if method == "GET" or (method, api_path.rstrip("/")) in COMMERCIAL_API_WRITES:
                continue
            body = None
            content = (op.get("requestBody") or {}).get("content", {})
            if "application/json" in content:
                body = _example(schema, content["application/json"].get("schema", {}), hcp_uuid)
            path_values = _path_param_values(op, [RANDOM_UUIDS[0], *hidden])
            combos = (
                [{}]
                if not path_values
                else [dict.fromkeys(path_values, u) for u in path_values[next(iter(path_values))]]
            )
            for combo in combos:
                hit = api.request(
                    method,
                    _fill_path(api_path, combo),
                    data=json.dumps(body) if body is not None else None,
                    content_type="application/json",
                    extra_echoes=[POST_MARKER],
                )
                findings.api_writes.append(hit)
                _note_new_audit_events(findings, hit)
    findings.counts_after_posts = _medical_counts()
    findings.audit_after_posts = findings.counts_after_posts["AuditEvent"]
    findings.posted_marker_stored = _posted_marker_rows()


def _control_crawl(user: Any, planted: Any, routes: list[Route], *, with_api: bool) -> tuple[set[str], int]:
    """The same crawl by a medical role: which markers can they find?"""
    pool = [RANDOM_UUIDS[0], str(planted.hcp.uuid), *planted.medical_uuids().values()]
    crawler = Crawler(_web_client(user), limit=2500)
    plain, filled = web_seed_urls(routes, pool)
    for url in plain:
        if "?" not in url or "?q=MARKER" in url:
            crawler.add(url)
    for _, path, _ in filled:
        crawler.add(path)
    crawler.run()
    found, count = crawler.found_markers(), len(crawler.hits)
    if with_api:
        client, token = _api_client(user)
        api = Crawler(client, headers={"Authorization": f"Bearer {token}"})
        spec = api.get("/api/v1/openapi.json")
        try:
            schema = json.loads(spec.body.split("\n\n", 1)[1])
        except (ValueError, IndexError):
            schema = {}
        for method, path, op in _operations(schema):
            if method != "GET":
                continue
            api_path = path if path.startswith("/api/v1") else "/api/v1" + path
            path_values = _path_param_values(op, pool)
            if not path_values:
                api.get(api_path)
            elif len(path_values) == 1:
                for u in pool:
                    api.get(_fill_path(api_path, dict.fromkeys(path_values, u)))
        found |= api.found_markers()
        count += len(api.hits)
    return found, count


@pytest.fixture(scope="module")
def findings(django_db_setup: Any, django_db_blocker: Any) -> Any:
    """Plant, crawl as dave (web and API), write as dave, crawl as medical roles; all rolled back at the end."""
    result = Findings()
    with (
        django_db_blocker.unblock(),
        override_settings(
            SECURE_SSL_REDIRECT=False,
            SESSION_COOKIE_SECURE=False,
            CSRF_COOKIE_SECURE=False,
            STORAGES={
                "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
                "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
            },
        ),
    ):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            routes = _routes()
            world, hcp = make_world(PASSWORD, PERSONAS)
            dave = world["dave"]
            result.baseline = _baseline_crawl(dave, hcp, world, routes)
            result.planted = plant_markers(world, hcp)
            result.digests = _marketing_digest(world, result.planted)
            _dave_web_crawl(result, dave, result.planted, routes)
            result.after = _snapshot(result.web)  # type: ignore[arg-type]
            _dave_api_crawl(result, dave, result.planted)
            _dave_writes(result, dave, result.planted, routes)
            # vera, an external advisor invited to no board, crawls too: she must find nothing at all.
            controls = (("alice", True), ("carla", False), ("sam", False), ("iris", False), ("vera", True))
            for name, with_api in controls:
                found, count = _control_crawl(world[name], result.planted, routes, with_api=with_api)
                result.control[name], result.control_requests[name] = found, count
            print(
                f"\nfirewall crawl: {len(result.web.hits)} web requests and "  # type: ignore[union-attr]
                f"{len(result.api.hits)} API requests as commercial; "  # type: ignore[union-attr]
                f"{len(result.web_posts)} web POSTs and {len(result.api_writes)} API writes refused; "
                f"controls: {result.control_requests}"
            )
            statuses = Counter(f"{h.method} {h.status}" for h in result.web_posts + result.api_writes)
            print(f"refused writes by status: {dict(statuses)}")
            for h in {
                re.sub(r"[0-9a-f-]{36}", "{uuid}", h.url): h for h in result.api_writes if h.status == 422
            }.values():
                print(
                    f"  422 before the permission check: {h.method} {h.url}: {h.body.split(chr(10) * 2, 1)[-1][:300]}"
                )
            yield result
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def _listing(hits: list[Any], limit: int = 25) -> str:
    lines = [h.short() if isinstance(h, Hit) else str(h) for h in hits[:limit]]
    more = f"\n... and {len(hits) - limit} more" if len(hits) > limit else ""
    return "\n".join(lines) + more


# ---------------------------------------------------------------------------------------------- the tests


def test_it_crawls_enough_pages_and_operations_to_mean_something(findings: Findings) -> None:
    web = len(findings.web.hits)  # type: ignore[union-attr]
    api = len(findings.api.hits)  # type: ignore[union-attr]
    print(f"web requests: {web}, API requests: {api}")
    assert not findings.openapi_error, findings.openapi_error
    assert web >= MIN_WEB_REQUESTS, f"only {web} web requests"
    assert api >= MIN_API_REQUESTS, f"only {api} API requests"


def test_it_shows_no_marker_to_the_commercial_user_on_any_page(findings: Findings) -> None:
    leaks = findings.web.leaks()  # type: ignore[union-attr]
    assert not leaks, "commercial user saw medical content:\n" + _listing(leaks)


def test_it_shows_no_marker_to_the_commercial_user_in_any_api_response(findings: Findings) -> None:
    leaks = findings.api.leaks()  # type: ignore[union-attr]
    assert not leaks, "commercial user saw medical content:\n" + _listing(leaks)


def test_it_never_answers_the_commercial_crawl_with_a_server_error(findings: Findings) -> None:
    errors = findings.web.server_errors() + findings.api.server_errors()  # type: ignore[union-attr]
    errors += [h for h in findings.web_posts + findings.api_writes if h.status >= 500]
    assert not errors, "5xx:\n" + _listing(errors)


def test_it_answers_a_hidden_record_and_a_missing_one_alike_on_the_web(findings: Findings) -> None:
    assert not findings.hidden_vs_random_web, "\n".join(findings.hidden_vs_random_web[:30])


def test_it_answers_a_hidden_record_and_a_missing_one_alike_in_the_api(findings: Findings) -> None:
    assert not findings.hidden_vs_random_api, "\n".join(findings.hidden_vs_random_api[:30])


def test_it_gives_the_same_search_results_for_marker_fragments_as_for_nonsense(findings: Findings) -> None:
    diffs = findings.search_diffs_web + findings.search_diffs_api
    assert not diffs, "\n".join(diffs[:30])


def test_it_shows_the_commercial_user_the_same_site_before_and_after_the_medical_records_exist(
    findings: Findings,
) -> None:
    changed = [
        f"{url} {variant}: {findings.baseline[(url, variant)][0]} -> {findings.after[(url, variant)][0]}"
        for (url, variant) in findings.baseline
        if (url, variant) in findings.after
        and findings.after[(url, variant)] != findings.baseline[(url, variant)]
        and not AGGREGATE_PAGES.match(url)
    ]
    compared = sum(1 for k in findings.baseline if k in findings.after)
    print(f"pages compared before/after planting: {compared}")
    assert compared >= 500, f"only {compared} pages compared"
    if changed:
        url, variant = next(
            k
            for k in findings.baseline
            if k in findings.after
            and findings.after[k] != findings.baseline[k]
            and not AGGREGATE_PAGES.match(k[0])
        )
        import difflib

        diff = "\n".join(
            list(
                difflib.unified_diff(
                    findings.baseline[(url, variant)][1].splitlines(),
                    findings.after[(url, variant)][1].splitlines(),
                    lineterm="",
                )
            )[:40]
        )
        pytest.fail("pages changed once medical records existed:\n" + "\n".join(changed[:30]) + "\n" + diff)


def test_it_refuses_medical_lists_to_the_commercial_user_whatever_the_data(findings: Findings) -> None:
    assert findings.medical_lists_api, "no medical list operation found in the OpenAPI document"
    wrong = [h for h in findings.medical_lists_web + findings.medical_lists_api if h.status != 403]
    assert not wrong, "medical lists not refused with 403:\n" + _listing(wrong)


def test_it_refuses_every_web_post_of_the_commercial_user_and_changes_nothing(findings: Findings) -> None:
    assert findings.web_posts, "no web POST attempted"
    # Medical pages and record-level actions must refuse outright; other pages (the home page) need only
    # change nothing, which the audit and row counts below check.
    strict = [
        h
        for h in findings.web_posts
        if h.url.startswith(MEDICAL_WEB_PREFIXES) or re.search(r"/[0-9a-f-]{36}/", h.url)
    ]
    accepted = [h for h in strict if h.status not in (403, 404, 405)]
    assert not accepted, "web POSTs not refused:\n" + _listing(accepted)
    assert findings.posted_marker_stored == []
    assert not findings.writes_that_audited, "\n".join(findings.writes_that_audited)
    assert findings.counts_after_posts == findings.counts_before_posts


def test_it_refuses_every_api_write_of_the_commercial_user_and_changes_nothing(findings: Findings) -> None:
    assert any(_is_medical_api(h.url) for h in findings.api_writes), (
        "no medical API write in the OpenAPI document"
    )

    def refused(h: Hit) -> bool:
        if h.status == 403:
            return True
        # django-ninja validates a body against its schema before the view runs; that refusal reveals nothing.
        body = h.body.split("\n\n", 1)[-1]
        return h.status == 422 and body.startswith('{"detail": [') and POST_MARKER not in body

    wrong = [h for h in findings.api_writes if not refused(h)]
    assert not wrong, "API writes not refused with 403:\n" + _listing(wrong)
    assert not findings.writes_that_audited, "\n".join(findings.writes_that_audited)
    assert findings.audit_after_posts == findings.audit_before_posts
    assert findings.posted_marker_stored == []


def test_it_lets_the_msl_find_her_own_markers_by_the_same_crawl(findings: Findings) -> None:
    found = findings.control["alice"]
    print(f"alice found: {sorted(found)}")
    expected = {
        "notes",
        "materials",
        "topic",
        "insight",
        "standalone_insight",
        "followup",
        "standalone_followup",
    }
    assert expected <= found, f"alice could not find {sorted(expected - found)}"


def test_it_shows_the_external_advisor_no_marker_on_any_page_or_api_response(findings: Findings) -> None:
    # The advisor role's only resource is its own portal; everything else answers 403 (programs/portal_gate.py).
    assert findings.control_requests["vera"] > 100
    assert findings.control["vera"] == set(), sorted(findings.control["vera"])


def test_it_keeps_another_teams_notes_from_the_msl(findings: Findings) -> None:
    assert "other_team_notes" not in findings.control["alice"]


def test_it_shows_every_marker_to_some_medical_role(findings: Findings) -> None:
    seen = set().union(*findings.control.values())
    for role, found in findings.control.items():
        print(f"{role} found: {sorted(found)}")
    missing = sorted(set(MARKERS) - seen)
    assert not missing, f"no medical role's crawl found: {missing}"


# ---------------------------------------------------------------------------------------------- aggregates only


def test_it_plants_patient_text_in_every_free_text_field_of_every_medical_model(findings: Findings) -> None:
    fields = findings.planted.text_fields
    print(f"free-text fields of medical models planted: {len(fields)}")
    assert len(fields) >= 30, sorted(fields)
    # Every exemption names a real field, so a renamed field cannot slip out of the planting unnoticed.
    for label in NOT_PLANTED:
        app_model, name = label.rsplit(".", 1)
        apps.get_model(app_model)._meta.get_field(name)
    unplanted = sorted(label for label, rows in fields.items() if rows == 0)
    assert not unplanted, (
        f"no record to plant patient text in (plant one in tests/helpers_crawl.py): {unplanted}"
    )


def test_it_shows_commercial_the_report_with_counts_and_the_released_summary_only(findings: Findings) -> None:
    page = findings.web.hits[("GET", "/insights/report/", "")]  # type: ignore[union-attr]
    api = findings.api.hits[("GET", "/api/v1/insight-report", "")]  # type: ignore[union-attr]
    for hit in (page, api):
        assert hit.status == 200, hit.short()
        # The cohort is counted and its released summary shown: the crawl reached a report with content...
        assert COHORT_PRIORITY in hit.body and RELEASED_SUMMARY in hit.body, hit.body[-3000:]
        # ...and nothing a medical person wrote is in it.
        assert not hit.markers and not hit.fragment and PATIENT not in hit.body, hit.short()


def test_it_sends_marketing_a_digest_without_any_medical_text(findings: Findings) -> None:
    assert findings.digests, "no digest was sent to the marketing stakeholder"
    assert any(COHORT_PRIORITY in text for _, text in findings.digests), "the digest shows no theme at all"
    leaks = [
        f"{what}: {scan(text, ())[0] or FRAGMENT}"
        for what, text in findings.digests
        if any(scan(text, ())) or PATIENT in text
    ]
    assert not leaks, "the marketing digest holds medical text:\n" + "\n".join(leaks)
