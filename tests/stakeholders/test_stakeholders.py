"""Internal stakeholders: the map, digests as HTML e-mail and PDF, the firewall for marketing, the delivery log,
feedback, `liaison digests send` and the API.

Personas: lena (medical lead, sends digests), mona (MSL manager), dave (commercial), alice (MSL).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from click.testing import CliRunner
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from liaison.core.permissions import PermissionDenied
from liaison.stakeholders import actions
from liaison.stakeholders.models import DigestDelivery, Stakeholder

INSIGHT = "Dr Grace Hopkins says community oncologists wait three weeks for PD-L1 results."


@pytest.fixture
def heard(world, interaction, system_context):
    """Alice's insight, submitted yesterday under the oncology listening priority, naming the HCP."""
    from liaison.insights.models import Insight

    Insight.objects.filter(interaction=interaction).update(
        text=INSIGHT,
        status="submitted",
        submitted_at=timezone.now() - dt.timedelta(days=1),
        listening_priority=world["priority"],
    )
    return interaction.insights.get()


def _stakeholder(world: Any, function: str = "rnd", **kw: Any) -> Stakeholder:
    return actions.save_stakeholder(
        None,
        acting_user=world["lena"],
        name=kw.pop("name", f"{function} lead"),
        function=function,
        owner=kw.pop("owner", world["lena"]),
        email=kw.pop("email", f"{function}@example.org"),
        therapeutic_areas=[world["oncology"]],
        **kw,
    )


def test_it_sends_an_html_email_with_a_chart_and_a_pdf_and_logs_it(world, heard, acting):
    with acting(world["lena"]):
        s = _stakeholder(world)
        delivery = actions.send_digest(s, acting_user=world["lena"])

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    html, kind = message.alternatives[0]
    assert message.to == ["rnd@example.org"] and kind == "text/html"
    assert "<svg" in html and "Biomarker testing barriers" in html
    assert "PD-L1 results" in html
    assert message.attachments[0][2] == "application/pdf" and message.attachments[0][1].startswith(b"%PDF")
    assert (delivery.status, delivery.form, delivery.insight_count) == ("sent", "insights", 1)
    s.refresh_from_db()
    assert s.last_sent_at == delivery.sent_at


def test_it_delivers_the_digest_through_a_real_smtp_server(world, heard, acting, smtp_server):
    with acting(world["lena"]):
        delivery = actions.send_digest(_stakeholder(world), acting_user=world["lena"])

    [received] = smtp_server.wait_for(1)
    assert smtp_server.envelopes[0][1] == ["rnd@example.org"]
    assert received["To"] == "rnd@example.org" and received["Subject"]
    assert "Biomarker testing barriers" in smtp_server.text_of(received, "html")
    [pdf] = [part for part in received.iter_attachments() if part.get_content_type() == "application/pdf"]
    assert pdf.get_content().startswith(b"%PDF")
    assert delivery.status == "sent"


def test_it_removes_hcp_and_staff_names_from_the_insights_it_sends(world, heard, acting):
    with acting(world["lena"]):
        actions.send_digest(_stakeholder(world), acting_user=world["lena"])

    body = mail.outbox[0].body + mail.outbox[0].alternatives[0][0]
    assert "Hopkins" not in body and "Grace" not in body


def test_it_sends_marketing_only_the_deidentified_aggregate(world, heard, acting):
    with acting(world["lena"]):
        delivery = actions.send_digest(_stakeholder(world, "marketing"), acting_user=world["lena"])

    body = mail.outbox[0].body + mail.outbox[0].alternatives[0][0]
    assert delivery.form == "aggregate"
    assert "PD-L1" not in body and "three weeks" not in body
    assert "groups under five HCPs are hidden" in body


def test_it_logs_a_failed_delivery_and_keeps_the_digest_due(world, heard, acting, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2
    with acting(world["lena"]):
        s = _stakeholder(world)
        delivery = actions.send_digest(s, acting_user=world["lena"])

    s.refresh_from_db()
    assert delivery.status == "failed" and delivery.error
    assert s.last_sent_at is None


def test_it_requires_an_email_for_email_delivery_and_a_sender_as_owner(world, acting):
    with acting(world["lena"]), pytest.raises(ValidationError) as exc:
        _stakeholder(world, email="")
    assert "email" in exc.value.message_dict
    with acting(world["lena"]), pytest.raises(ValidationError) as exc:
        _stakeholder(world, owner=world["alice"])
    assert "owner" in exc.value.message_dict


@pytest.mark.parametrize("name", ["dave", "alice", "mona"])
def test_it_lets_only_medical_leads_and_admins_add_stakeholders(world, acting, name):
    with acting(world[name]), pytest.raises(PermissionDenied):
        actions.save_stakeholder(
            None,
            acting_user=world[name],
            name="x",
            function="rnd",
            owner=world["lena"],
            email="x@example.org",
        )


def test_it_records_feedback_and_the_dashboard_counts_it(world, acting):
    from liaison.metrics.dashboard import dashboard
    from liaison.metrics.filters import parse_filters

    with acting(world["lena"]):
        s = _stakeholder(world, "heor")
        actions.record_feedback(s, acting_user=world["mona"], verdict="used", comment="Fed the HTA dossier")
        actions.record_feedback(s, acting_user=world["mona"], verdict="not_relevant")
        with pytest.raises(ValidationError):
            actions.record_feedback(s, acting_user=world["mona"], verdict="loved it")

    f = parse_filters(world["lena"], {})
    m = dashboard(world["lena"], f, ("stakeholder_feedback",))[0]
    assert m.rows == [["HEOR", 1, 1, "50%"]]


def test_the_cli_sends_due_digests_once_per_cadence(world, heard, acting):
    from liaison.cli import main

    with acting(world["lena"]):
        _stakeholder(world, "rnd")
        _stakeholder(world, "clinical_operations", cadence="weekly")

    first = CliRunner().invoke(main, ["digests", "send", "--due"], catch_exceptions=False)
    again = CliRunner().invoke(main, ["digests", "send", "--due"], catch_exceptions=False)

    assert first.exit_code == 0 and "2 digest(s), 0 failed" in first.output
    assert "0 digest(s)" in again.output
    assert DigestDelivery.objects.filter(sent_by=None).count() == 2


def test_the_pages_show_the_map_and_the_delivery_log_to_the_sender(client, world, heard, acting):
    with acting(world["lena"]):
        s = _stakeholder(world)
    client.force_login(world["lena"])

    sent = client.post(f"/stakeholders/{s.uuid}/send/")
    page = client.get(f"/stakeholders/{s.uuid}/").content.decode()
    pdf = client.get(f"/stakeholders/{s.uuid}/digest.pdf")

    assert sent.status_code == 302
    assert "rnd@example.org" in page and ">Sent<" in page
    assert pdf.content.startswith(b"%PDF")
    client.force_login(world["dave"])
    assert client.get("/stakeholders/").status_code == 403


def test_the_api_creates_stakeholders_records_feedback_and_sends(api, world, heard):
    lena = api("lena")
    created = lena.post(
        "/stakeholders",
        {
            "name": "Market access EU",
            "function": "market_access",
            "email": "ma@example.org",
            "cadence": "weekly",
        },
    )
    uuid = created.json()["uuid"]

    sent = lena.post(f"/stakeholders/{uuid}/digests")
    feedback = lena.post(
        f"/stakeholders/{uuid}/feedback", {"verdict": "used", "delivery": sent.json()["uuid"]}
    )
    log = lena.get("/digest-deliveries", stakeholder=uuid)

    assert created.status_code == 201 and created.json()["owner"] == str(world["lena"].uuid)
    assert sent.status_code == 201 and sent.json()["status"] == "sent"
    assert feedback.status_code == 201
    assert log.json()["count"] == 1
    assert lena.post(f"/stakeholders/{uuid}/feedback", {"verdict": "meh"}).status_code == 422
    assert api("dave").get("/stakeholders").status_code == 403
    assert api("mona").post("/stakeholders", {"name": "x", "function": "rnd"}).status_code == 403
