"""docs/roles.md embeds the permission matrix; it must match core/permissions.py exactly."""

from pathlib import Path

from liaison.core.permissions import matrix_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "roles.md"


def test_it_documents_the_matrix_exactly_as_the_code_enforces_it():
    text = DOC.read_text(encoding="utf-8")
    embedded = text.split("<!-- matrix:start -->\n", 1)[1].split("<!-- matrix:end -->", 1)[0]
    assert embedded == matrix_markdown(), "regenerate the table in docs/roles.md from matrix_markdown()"


def test_it_describes_every_role():
    from liaison.core.roles import Role

    text = DOC.read_text(encoding="utf-8")
    missing = [r.value for r in Role if f"| `{r.value}` |" not in text]
    assert not missing, f"roles missing from docs/roles.md: {missing}"


# --- the documented matrix is what the API and the pages answer -------------------------------------------------
#
# Each resource's `view` cell, role by role, against the real API (or, for the resources the API does not serve,
# the web page): a role the docs grant must get 200, one they do not must get 403. docs/roles.md used to grant
# `insight_report` to every role while no API operation served it; this is the test that would have said so.

# resource -> the API operation that reads it ({hcp} and {interaction} are filled in).
API_READS = {
    "hcp": "/hcps",
    "organization": "/organizations",
    "external_person": "/external-people",
    "interaction": "/interactions",
    "follow_up": "/follow-ups",
    "hcp_feedback": "/interactions/{interaction}/feedback",
    "insight": "/insights",
    "insight_report": "/insight-report",
    "listening_priority": "/listening-priorities",
    "inquiry": "/inquiries",
    "safety_report": "/safety-reports",
    "audit_event": "/audit-events",
    "therapeutic_area": "/therapeutic-areas",
    "kol_score": "/kol-scores",
    "identity_link": "/identity-links",
    "pre_call_brief": "/hcps/{hcp}/brief",
    "product": "/products",
    "engagement_plan": "/engagement-plans",
    "standing_interest": "/standing-interests",
    "insight_rating": "/insight-ratings",
    "insight_theme": "/insight-themes",
    "insight_action": "/actions",
    "notification": "/notifications",
    "metrics": "/metrics",
    "stakeholder": "/stakeholders",
    "digest": "/digest-deliveries",
    "event": "/events",
    "transfer_of_value": "/transfers-of-value",
}
# Resources the API does not serve, each with the web page that guards it; docs/roles.md says they are web-only.
WEB_READS = {
    "user": "/accounts/admin/users/",
    "kol_evidence": "/kol/network/p1/",  # a co-author network: public evidence, medical roles only
    "advisory_portal": "/portal/",  # the external advisors' participant portal
}
# One persona per role (tests/personas.py).
PERSONA_OF_ROLE = {
    "msl": "alice",
    "msl_manager": "mona",
    "medical_lead": "lena",
    "medical_information": "iris",
    "drug_safety": "sam",
    "compliance": "carla",
    "auditor": "otto",
    "commercial": "dave",
    "admin": "ada",
    "advisor": "vera",
}


def documented_view_grants() -> dict[str, set[str]]:
    """resource -> the roles docs/roles.md's table grants `view`, read from the page itself."""
    text = DOC.read_text(encoding="utf-8")
    table = text.split("<!-- matrix:start -->\n", 1)[1].split("<!-- matrix:end -->", 1)[0].splitlines()
    roles = [c.strip() for c in table[0].strip("|").split("|")][2:]
    grants = {}
    for line in table[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        if cells[1] == "view":
            grants[cells[0]] = {role for role, mark in zip(roles, cells[2:], strict=True) if mark == "✔"}
    return grants


def test_it_reads_every_resource_through_the_api_or_a_documented_web_page():
    from liaison.core.permissions import RESOURCES

    assert set(API_READS) | set(WEB_READS) == set(RESOURCES)
    text = DOC.read_text(encoding="utf-8")
    for resource in WEB_READS:
        assert f"`{resource}`" in text.split("## The matrix", 1)[0], (
            f"docs/roles.md: say that {resource} is web-only"
        )


def test_the_api_answers_each_role_as_docs_roles_md_says(api, world, hcp, interaction):
    grants = documented_view_grants()
    clients = {role: api(name) for role, name in PERSONA_OF_ROLE.items()}
    wrong = []
    for resource, path in API_READS.items():
        url = path.format(hcp=hcp.uuid, interaction=interaction.uuid)
        for role, client in clients.items():
            status = client.get(url).status_code
            expected = 200 if role in grants[resource] else 403
            if status != expected:
                wrong.append(f"{resource}: {role} got {status} from GET {url}, docs/roles.md says {expected}")
    assert not wrong, "\n".join(wrong)


def test_the_web_pages_answer_each_role_as_docs_roles_md_says(client, world):
    grants = documented_view_grants()
    wrong = []
    for resource, url in WEB_READS.items():
        for role, name in PERSONA_OF_ROLE.items():
            client.force_login(world[name])
            status = client.get(url).status_code
            # A granted role may find nothing there (404: no such person yet); it must not be refused.
            allowed = status in (200, 404) if role in grants[resource] else status == 403
            if not allowed:
                wrong.append(f"{resource}: {role} got {status} from GET {url}, against docs/roles.md")
    assert not wrong, "\n".join(wrong)
