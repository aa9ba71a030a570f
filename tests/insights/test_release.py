"""Commercial sees aggregates only: no free text written by medical staff reaches the commercial insight report
(page, CSV, API, marketing digest) until a medical reviewer releases a rewritten summary of it.

The world built here is the finding of issue 11: seven reviewed insights heard from seven HCPs on one listening
priority, one of them about a named patient with an adverse event. The group is large enough to be counted, so
before this rule its texts were shown to commercial users word for word.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from liaison.core.permissions import PermissionDenied
from personas import PASSWORD

pytestmark = pytest.mark.django_db

JANE = "Patient Jane Doe, 54, developed severe hepatitis three weeks after starting Onkotrex"
OTHERS = [
    "Community sites wait three weeks for PD-L1 results before first-line therapy.",
    "Pathologists ask for a single tissue sample for both EGFR and PD-L1.",
    "Rural clinics send biomarker samples by courier twice a week only.",
    "Tumour boards decide before the EGFR result is back.",
    "Reflex testing would save a week, nurses say.",
    "Payers reject repeat biopsies for biomarker testing.",
]
SUMMARY = "Several community oncologists report waits of about three weeks for biomarker results."
HCP_NAMES = ["Amara", "Bernd", "Chiara", "Dmitri", "Eun-ji", "Farida", "Gustavo"]


def npi(seed: int) -> str:
    """A valid NPI (Luhn over 80840 + nine digits), distinct per seed."""
    body = f"1{seed:08d}"
    total = 0
    for i, d in enumerate(reversed([int(c) for c in "80840" + body])):
        if i % 2 == 0:
            d = d * 2 - (9 if d * 2 > 9 else 0)
        total += d
    return body + str((10 - total % 10) % 10)


@pytest.fixture
def reviewed(world, acting, system_context) -> list[Any]:
    """Seven reviewed insights on "Biomarker testing barriers", each heard from its own HCP last month."""
    from liaison.engagement.actions import log_interaction
    from liaison.insights.actions import review_insight
    from liaison.people.actions import create_hcp

    when = timezone.now() - dt.timedelta(days=20)
    insights = []
    for i, (first, text) in enumerate(zip(HCP_NAMES, [JANE + ".", *OTHERS], strict=True)):
        hcp = create_hcp(
            acting_user=None,
            data={"first_name": first, "last_name": "Okafor", "npi": npi(i), "owner": world["alice"]},
            therapeutic_areas=[world["oncology"]],
        )
        with acting(world["alice"]):
            interaction = log_interaction(
                acting_user=world["alice"],
                attendees=[hcp],
                data={
                    "occurred_at": when,
                    "channel": "in_person",
                    "purpose": "insight_gathering",
                    "ae_attestation": "no",
                    "therapeutic_area": world["oncology"],
                },
                insights=[{"text": text, "listening_priority": world["priority"]}],
                submit=True,
            )
        with acting(world["mona"]):
            insights.append(review_insight(interaction.insights.get(), acting_user=world["mona"]))
    return insights


def login(client: Any, user: Any) -> Any:
    assert client.login(username=user.username, password=PASSWORD)
    return client


def release(insight: Any, user: Any, summary: str = SUMMARY) -> Any:
    from liaison.core.context import audit_context
    from liaison.insights.actions import release_summary

    with audit_context(actor=user, source="test"):
        return release_summary(insight, acting_user=user, summary=summary)


# --- the leak, reproduced --------------------------------------------------------------------------------------


def test_it_shows_commercial_the_counts_of_a_large_group_but_none_of_its_texts(client, world, reviewed):
    login(client, world["dave"])
    page = client.get(reverse("insights:insight_report")).content.decode()
    exported = client.get(reverse("insights:insight_report_csv")).content.decode()

    assert "Biomarker testing barriers" in page and ">7<" in page  # the theme and its count are there...
    for body in (page, exported):
        assert "hepatitis" not in body and "Jane Doe" not in body  # ...the patient is not
        assert not [text for text in OTHERS if text[:30] in body]  # nor any other text written by medical


def test_it_shows_commercial_only_the_summary_a_reviewer_released(client, world, reviewed):
    release(reviewed[1], world["lena"])
    login(client, world["dave"])
    page = client.get(reverse("insights:insight_report")).content.decode()

    assert SUMMARY in page
    assert OTHERS[0][:30] not in page and "hepatitis" not in page


def test_it_leaves_a_released_summary_out_while_its_group_is_too_small(client, world, reviewed, acting):
    from liaison.insights.actions import create_insight

    with acting(world["alice"]):
        solo = create_insight(
            acting_user=world["alice"],
            text="One HCP only said this.",
            therapeutic_area=world["cardio"],
            submit=True,
        )
    with acting(world["mona"]):
        from liaison.insights.actions import review_insight

        solo = review_insight(solo, acting_user=world["mona"])
    release(solo, world["lena"], "A single cardiologist mentioned something.")
    login(client, world["dave"])

    assert "single cardiologist" not in client.get(reverse("insights:insight_report")).content.decode()


def test_it_removes_names_from_a_released_summary_again(client, world, reviewed):
    from liaison.insights.models import Insight

    # A name the de-identification knows, slipped past the reviewer by a direct edit of the stored summary.
    release(reviewed[2], world["lena"])
    Insight.objects.filter(pk=reviewed[2].pk).update(released_summary="Dr Chiara Okafor waits for results.")
    login(client, world["dave"])
    page = client.get(reverse("insights:insight_report")).content.decode()

    assert "waits for results" in page and "Chiara" not in page


# --- releasing and withdrawing ---------------------------------------------------------------------------------


def test_it_records_who_released_what_and_audits_it(world, reviewed):
    from liaison.core.models import AuditEvent

    insight = release(reviewed[1], world["lena"])

    assert insight.released_summary == SUMMARY
    assert insight.released_by == world["lena"] and insight.released_at is not None
    event = AuditEvent.objects.filter(object_uuid=str(insight.uuid)).order_by("-seq").first()
    assert event.actor_username == "lena" and "released_summary" in event.changes


def test_it_lets_only_medical_reviewers_release(world, reviewed):
    for name in ("alice", "dave", "carla", "iris", "ada"):
        with pytest.raises(PermissionDenied):
            release(reviewed[1], world[name])


def test_it_refuses_a_summary_that_copies_the_insight(world, reviewed):
    with pytest.raises(ValidationError) as exc:
        release(reviewed[1], world["lena"], OTHERS[0])

    assert "released_summary" in exc.value.message_dict


def test_it_refuses_a_summary_with_a_name_identifier_or_date(world, reviewed):
    for text in (
        "Dr Bernd Okafor is worried about waits.",
        "Waits since 14 March 2025 are long.",
        "NPI 1000000004",
    ):
        with pytest.raises(ValidationError) as exc:
            release(reviewed[1], world["lena"], text)
        assert "released_summary" in exc.value.message_dict


def test_it_refuses_to_release_an_insight_not_yet_reviewed(world, acting):
    from liaison.insights.actions import create_insight

    with acting(world["alice"]):
        draft = create_insight(
            acting_user=world["alice"], text="A draft.", therapeutic_area=world["oncology"]
        )

    with pytest.raises(ValidationError):
        release(draft, world["lena"])


def test_it_withdraws_a_summary_and_the_report_stops_showing_it(client, world, reviewed):
    from liaison.core.context import audit_context
    from liaison.insights.actions import withdraw_summary

    insight = release(reviewed[1], world["lena"])
    with audit_context(actor=world["mona"], source="test"):
        insight = withdraw_summary(insight, acting_user=world["mona"])
    login(client, world["dave"])

    assert insight.released_summary == "" and insight.released_by is None and insight.released_at is None
    assert SUMMARY not in client.get(reverse("insights:insight_report")).content.decode()


def test_a_reviewer_releases_on_the_insight_page_and_sees_the_message_next_to_the_field(
    client, world, reviewed
):
    insight = reviewed[1]
    login(client, world["lena"])
    url = reverse("insights:insight_release", kwargs={"uuid": insight.uuid})

    bad = client.post(url, {"released_summary": OTHERS[0]})
    assert bad.status_code == 200
    assert "rewrite" in bad.content.decode().lower() and 'aria-invalid="true"' in bad.content.decode()
    good = client.post(url, {"released_summary": SUMMARY}, follow=True)
    assert SUMMARY in good.content.decode()
    insight.refresh_from_db()
    assert insight.released_summary == SUMMARY
    client.post(url, {"action": "withdraw"})
    insight.refresh_from_db()
    assert insight.released_summary == ""


def test_the_insight_page_offers_release_only_to_reviewers(client, world, reviewed):
    insight = reviewed[1]
    detail = reverse("insights:insight_detail", kwargs={"uuid": insight.uuid})
    release_url = reverse("insights:insight_release", kwargs={"uuid": insight.uuid})

    assert release_url in login(client, world["lena"]).get(detail).content.decode()
    assert release_url not in login(client, world["alice"]).get(detail).content.decode()
    assert client.post(release_url, {"released_summary": SUMMARY}).status_code in (403, 404)


# --- the API ---------------------------------------------------------------------------------------------------


def test_the_api_releases_and_withdraws(api, world, reviewed):
    insight = reviewed[1]
    lena = api("lena")

    bad = lena.post(f"/insights/{insight.uuid}/release", {"summary": OTHERS[0]})
    assert bad.status_code == 422
    good = lena.post(f"/insights/{insight.uuid}/release", {"summary": SUMMARY})
    assert good.status_code == 200 and good.json()["released_summary"] == SUMMARY
    assert api("alice").post(f"/insights/{insight.uuid}/release", {"summary": SUMMARY}).status_code == 403
    gone = lena.post(f"/insights/{insight.uuid}/release/withdraw")
    assert gone.status_code == 200 and gone.json()["released_summary"] == ""


def test_the_api_report_gives_commercial_counts_and_released_summaries_only(api, world, reviewed):
    release(reviewed[1], world["lena"])
    response = api("dave").get("/insight-report")
    body = response.content.decode()

    assert response.status_code == 200
    [row] = response.json()["rows"]
    assert row["priority"] == "Biomarker testing barriers" and row["total"] == "7"
    assert row["summaries"] == [SUMMARY]
    assert "hepatitis" not in body and OTHERS[0][:30] not in body


# --- the marketing digest ----------------------------------------------------------------------------------


def test_the_marketing_digest_holds_no_insight_text(world, reviewed, acting):
    from django.core import mail

    from liaison.stakeholders.actions import save_stakeholder, send_digest
    from liaison.stakeholders.digests import build_digest, render_pdf

    release(reviewed[1], world["lena"])
    with acting(world["lena"]):
        marketing = save_stakeholder(
            None,
            acting_user=world["lena"],
            name="Brand team",
            function="marketing",
            owner=world["lena"],
            email="brand@example.org",
            therapeutic_areas=[world["oncology"]],
            format="both",
        )
        send_digest(marketing, acting_user=world["lena"])
    [message] = mail.outbox
    bodies = [message.body, message.alternatives[0][0]]
    pdf = render_pdf(build_digest(marketing))

    for body in bodies:
        assert "Biomarker testing barriers" in body
        assert "hepatitis" not in body and OTHERS[0][:30] not in body
    assert b"hepatitis" not in pdf
