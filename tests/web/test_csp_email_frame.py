"""The digest preview: the e-mail body keeps the inline styles mail clients need, in a sandboxed frame whose own
policy runs no script, while the preview page around it keeps the site's strict policy.

Personas: lena (medical lead, sends digests), dave (commercial).
"""

from __future__ import annotations

from django.test import Client

from tests.web.test_csp import inline_code


def test_the_digest_preview_frames_the_email_with_its_inline_styles_and_no_script(world, acting):
    from liaison.stakeholders import actions

    with acting(world["lena"]):
        s = actions.save_stakeholder(
            None,
            acting_user=world["lena"],
            name="R&D lead",
            function="rnd",
            owner=world["lena"],
            email="rnd@example.org",
            therapeutic_areas=[world["oncology"]],
        )
    client = Client()
    client.force_login(world["lena"])

    page = client.get(f"/stakeholders/{s.uuid}/digest/")
    body = client.get(f"/stakeholders/{s.uuid}/digest/body/")

    assert page.status_code == 200 and f'src="/stakeholders/{s.uuid}/digest/body/"' in page.content.decode()
    assert "sandbox" in page.content.decode()
    assert "style=" not in page.content.decode()
    email_policy = body["Content-Security-Policy"]
    assert "script-src 'none'" in email_policy and "style-src 'unsafe-inline'" in email_policy
    assert "frame-ancestors 'self'" in email_policy and body["X-Frame-Options"] == "SAMEORIGIN"
    assert 'style="' in body.content.decode() and not inline_code(body.content.decode()).scripts
    assert client.get(f"/stakeholders/{s.uuid}/digest/body/", headers={}).status_code == 200
    client.force_login(world["dave"])
    assert client.get(f"/stakeholders/{s.uuid}/digest/body/").status_code == 403
