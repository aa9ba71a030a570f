"""The Content-Security-Policy: on every response, and no page needs what it forbids.

The policy (settings.CONTENT_SECURITY_POLICY, django-csp) allows scripts and styles from this site only. A page
with an inline <script>, an onclick= handler, a `javascript:` link, htmx's eval-based `js:` values or hx-on, or a
style attribute would be broken by it, so the crawl below (every page of the URL map, with real records planted
by tests/helpers_crawl.py, as several roles, following links) fails on any of them. The browser test in
tests/e2e/test_csp_browser.py checks the same in Chromium, with htmx at work; tests/web/test_csp_email_frame.py the
one page with a policy of its own (an e-mail body, framed by the digest preview).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from helpers_crawl import Crawler, Hit, fill_route, iter_routes, make_world, plant_markers
from personas import PASSWORD, PERSONAS

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

EXPECTED = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
# The roles whose pages differ most: medical lead (insights, loop, metrics, stakeholders), drug safety, medical
# information, admin (the admin pages) and commercial.
CRAWLERS = ("lena", "sam", "iris", "ada", "dave")
REQUESTS_PER_ROLE = 5000
MIN_HTML_PAGES = 250
# The one page with a policy of its own: an e-mail body (inline styles, no script), framed by the digest preview
# (stakeholders/views.py EMAIL_BODY_CSP; tests/web/test_csp_email_frame.py).
EMAIL_BODY = re.compile(r"^/stakeholders/[0-9a-f-]{36}/digest/body/$")
EVAL_VALUE = re.compile(r"^\s*(js|javascript):", re.I)


def policy_of(hit: Hit) -> dict[str, str]:
    """The Content-Security-Policy header of a crawled response, as {directive: sources}."""
    headers = hit.body.split("\n\n", 1)[0]
    found = re.search(r"^Content-Security-Policy: (.+)$", headers, re.M)
    if not found:
        return {}
    return {
        part.split(" ", 1)[0]: part.split(" ", 1)[1] if " " in part else ""
        for part in (p.strip() for p in found.group(1).split(";"))
        if part
    }


class InlineCode(HTMLParser):
    """Collects what a strict CSP blocks: inline scripts, event-handler attributes, javascript: URLs, htmx eval,
    and inline styles (<style> elements and style= attributes)."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self.styles: list[str] = []
        self._in_inline_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): v or "" for k, v in attrs}
        if (
            tag == "script"
            and not a.get("src")
            and a.get("type", "text/javascript") in ("", "text/javascript", "module")
        ):
            self._in_inline_script = True
            self.scripts.append(f"<script> without src at line {self.getpos()[0]}")
        if tag == "style":
            self.styles.append(f"<style> at line {self.getpos()[0]}")
        for name, value in a.items():
            if name.startswith("on"):
                self.scripts.append(f"<{tag} {name}=...>")
            elif name.startswith(("hx-on", "data-hx-on")):
                self.scripts.append(f"<{tag} {name}=...> (htmx eval)")
            elif name in ("hx-vals", "hx-vars", "data-hx-vals", "data-hx-vars") and (
                name.endswith("vars") or EVAL_VALUE.match(value)
            ):
                self.scripts.append(f"<{tag} {name}={value[:40]!r}> (htmx eval)")
            elif name in ("href", "src", "action", "formaction") and EVAL_VALUE.match(value):
                self.scripts.append(f"<{tag} {name}={value[:40]!r}>")
            elif name == "style":
                self.styles.append(f"<{tag} style={value[:40]!r}>")


def inline_code(html: str) -> InlineCode:
    parser = InlineCode()
    parser.feed(html)
    return parser


def _crawl(user: Any, seeds: list[str]) -> Crawler:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    crawler = Crawler(client, limit=REQUESTS_PER_ROLE)
    for url in seeds:
        crawler.add(url)
    crawler.run()
    return crawler


@pytest.fixture(scope="module")
def crawled(django_db_setup: Any, django_db_blocker: Any) -> Any:
    """Every persona of CRAWLERS crawls the site holding the planted records; all their responses (the records
    are rolled back at the end)."""
    from liaison.core.context import audit_context
    from liaison.stakeholders.actions import save_stakeholder

    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            world, hcp = make_world(PASSWORD, PERSONAS)
            planted = plant_markers(world, hcp)
            with audit_context(actor=world["lena"], source="test"):
                stakeholder = save_stakeholder(
                    None,
                    acting_user=world["lena"],
                    name="R&D lead",
                    function="rnd",
                    owner=world["lena"],
                    email="rnd@example.org",
                    therapeutic_areas=[world["oncology"]],
                )
            uuids = [str(stakeholder.uuid), str(hcp.uuid), *planted.medical_uuids().values()]
            seeds: list[str] = []
            for route in iter_routes():
                if route.route.startswith(("api/", "static/")):
                    continue
                if not route.slots:
                    seeds.append("/" + route.route)
                else:
                    values = {"uuid": uuids, "str": ["x"], "int": ["1"]}
                    seeds += [path for path, _ in fill_route(route, values, cap=3)]
            hits: list[Hit] = []
            print(f"\nCSP crawl: {len(seeds)} seed URLs")
            for name in CRAWLERS:
                hits += _crawl(world[name], seeds).all_hits()
            print(f"\nCSP crawl: {len(hits)} responses as {', '.join(CRAWLERS)}")
            yield hits
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def _html(hit: Hit) -> bool:
    return "Content-Type: text/html" in hit.body.split("\n\n", 1)[0]


def test_every_response_carries_the_policy(crawled):
    missing = [h.short() for h in crawled if policy_of(h) != EXPECTED and not EMAIL_BODY.match(h.url)]
    assert not missing, f"{len(missing)} responses without the expected CSP, e.g. {missing[:5]}"


def test_the_crawl_reaches_enough_pages_to_mean_something(crawled):
    pages = [h for h in crawled if h.status == 200 and _html(h)]
    assert len(pages) >= MIN_HTML_PAGES, len(pages)
    assert any(EMAIL_BODY.match(h.url) and h.status == 200 for h in crawled), (
        "the framed e-mail body was reached"
    )


def test_no_page_holds_inline_script_event_handlers_or_eval(crawled):
    found = {h.short(): inline_code(h.body.split("\n\n", 1)[1]).scripts for h in crawled if _html(h)}
    found = {url: what for url, what in found.items() if what}
    assert not found, f"inline script the CSP would block: {dict(list(found.items())[:10])}"


def test_no_page_holds_inline_styles(crawled):
    found = {
        h.short(): inline_code(h.body.split("\n\n", 1)[1]).styles
        for h in crawled
        if _html(h) and not EMAIL_BODY.match(h.url)
    }
    found = {url: what for url, what in found.items() if what}
    assert not found, f"inline style the CSP would block: {dict(list(found.items())[:10])}"


def test_the_parser_finds_each_kind_of_inline_code():
    html = (
        "<script>alert(1)</script><script src='/static/x.js'></script><button onclick='x()'>"
        "<a href='javascript:void(0)'></a><div hx-on:click='x()'></div><div hx-vals='js:{a: 1}'></div>"
        "<div hx-vals='{\"a\": 1}'></div><span style='color: red'></span><style>p {}</style>"
    )
    found = inline_code(html)
    assert len(found.scripts) == 5 and len(found.styles) == 2
