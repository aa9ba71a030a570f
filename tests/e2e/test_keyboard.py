"""Keyboard-only use: the sign-in form and the log-interaction form can be completed with Tab alone, and every
form control has an accessible name (a <label for>, aria-label or aria-labelledby)."""

from __future__ import annotations

from typing import Any

import pytest
from e2e_helpers import shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

from personas import PASSWORD  # noqa: E402

# The focused element, described well enough to assert on: tag, type, name, id and its visible text.
FOCUSED = """() => { const e = document.activeElement; if (!e) return null;
  return {tag: e.tagName.toLowerCase(), type: e.getAttribute('type') || '', name: e.getAttribute('name') || '',
          id: e.id || '', text: (e.innerText || e.value || '').trim().slice(0, 60)}; }"""

# Every visible, enabled form control without an accessible name.
UNLABELLED = """() => Array.from(document.querySelectorAll('input, select, textarea'))
  .filter(e => e.type !== 'hidden' && e.offsetParent !== null && !e.closest('template'))
  .filter(e => {
    if (e.getAttribute('aria-label') && e.getAttribute('aria-label').trim()) return false;
    const by = e.getAttribute('aria-labelledby');
    if (by && by.split(/\\s+/).some(id => document.getElementById(id) && document.getElementById(id).textContent.trim())) return false;
    if (e.labels && Array.from(e.labels).some(l => l.textContent.trim())) return false;
    return true;
  })
  .map(e => e.outerHTML.slice(0, 160))"""


def tab_until(page: Any, predicate: Any, limit: int = 120) -> list[dict[str, str]]:
    """Press Tab until `predicate(focused)` holds; returns the focus path (fails after `limit` presses)."""
    path = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED) or {}
        path.append(focused)
        if predicate(focused):
            return path
    raise AssertionError(f"focus never got there in {limit} Tabs; path: {path[-15:]}")


def test_it_lets_a_keyboard_user_sign_in_and_reach_every_field_of_the_interaction_form(
    page: Any, world: dict[str, Any], hcp: Any
) -> None:
    from playwright.sync_api import expect

    page.goto("/login/")
    assert page.evaluate(UNLABELLED) == []
    path = tab_until(page, lambda f: f.get("name") == "username")
    page.keyboard.type("alice")
    tab_until(page, lambda f: f.get("name") == "password", limit=3)
    page.keyboard.type(PASSWORD)
    tab_until(page, lambda f: f.get("tag") == "button" and f.get("text") == "Sign in", limit=5)
    assert path, "the username field was never focused"
    page.keyboard.press("Enter")
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()

    page.goto("/interactions/new/")
    expect(page.get_by_role("heading", name="Log an interaction")).to_be_visible()
    unlabelled = page.evaluate(UNLABELLED)
    assert unlabelled == [], "form controls without an accessible name:\n" + "\n".join(unlabelled)
    path = tab_until(page, lambda f: f.get("tag") == "button" and f.get("text") == "Submit", limit=150)
    reached = {f.get("name") for f in path}
    for field in ("q", "occurred_at", "duration_minutes", "channel", "purpose", "notes", "ae_attestation"):
        assert field in reached, (
            f"Tab never reached {field!r}; focus path: {[f.get('name') or f.get('text') for f in path]}"
        )
    # The skip link is the first stop, so keyboard users can jump past the navigation.
    page.goto("/interactions/new/")
    page.keyboard.press("Tab")
    assert page.evaluate(FOCUSED)["text"] == "Skip to content"
    shot(page, "e2e-keyboard-skip-link")
