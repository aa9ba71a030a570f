"""Property-based tests of the REST API against its own OpenAPI document (schemathesis).

Every operation is called with generated input (valid and invalid) as an MSL and as a commercial user; the
API must never answer 5xx and every response must match the schema declared for its status code. The example
count is bounded and derandomized so the run is repeatable and takes a couple of minutes on two cores.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance


def _load_schema() -> Any:
    """The OpenAPI document served by the WSGI app itself; generated calls go to the same app in-process, so
    they see the test database. (pytest-django has configured Django before test modules are imported.)"""
    from django.core.wsgi import get_wsgi_application

    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


schema = _load_schema()
# Invalid input too (wrong types, missing fields, malformed uuids): it must give a 4xx, never a 5xx.
schema.config.generation.modes = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]


def _token(world: dict[str, Any], name: str) -> str:
    from liaison.accounts.actions import create_api_token

    _, raw = create_api_token(world[name], name="schemathesis")
    return raw


@pytest.fixture
def known(world: dict[str, Any], hcp: Any, interaction: Any, acting: Any) -> dict[str, str]:
    """Real records of alice's, by path prefix, so that generated calls also reach existing rows."""
    from django.utils import timezone

    from liaison.core.models import AuditEvent
    from liaison.engagement.actions import log_interaction
    from liaison.medinfo.actions import capture_inquiry
    from liaison.people.actions import save_organization

    alice = world["alice"]
    with acting(alice):
        raised = log_interaction(
            acting_user=alice,
            attendees=[hcp],
            data={
                "occurred_at": timezone.now(),
                "channel": "phone",
                "purpose": "education",
                "ae_attestation": "yes",
                "notes": "A patient developed a severe rash after the second dose.",
            },
        )
        inquiry = capture_inquiry(
            acting_user=alice,
            question="Is there data in renal impairment?",
            channel="phone",
            unsolicited_attested=True,
            requester_hcp=hcp,
        )
        org = save_organization(
            None, acting_user=alice, data={"name": "Iowa University Hospital", "city": "Iowa City"}
        )
    return {
        "/api/v1/hcps/": str(hcp.uuid),
        "/api/v1/interactions/": str(interaction.uuid),
        "/api/v1/insights/": str(interaction.insights.get().uuid),
        "/api/v1/follow-ups/": str(interaction.follow_ups.get().uuid),
        "/api/v1/inquiries/": str(inquiry.uuid),
        "/api/v1/safety-reports/": str(raised.safety_reports.get().uuid),
        "/api/v1/organizations/": str(org.uuid),
        "/api/v1/therapeutic-areas/": str(world["oncology"].uuid),
        "/api/v1/products/": str(world["product"].uuid),
        "/api/v1/listening-priorities/": str(world["priority"].uuid),
        "/api/v1/audit-events/": str(
            AuditEvent.objects.order_by("seq").values_list("uuid", flat=True).first()
        ),
    }


def _aim(case: Any, known: dict[str, str]) -> None:
    """Point about half of the generated detail calls at a record that exists (chosen from the generated
    uuid itself, so the run stays deterministic); the rest keep their random, unknown uuid."""
    value = str((case.path_parameters or {}).get("uuid", ""))
    if len(value) != 36 or value[0] not in "02468ace":
        return
    for prefix, uuid in known.items():
        if case.path.startswith(prefix):
            case.path_parameters["uuid"] = uuid


@pytest.fixture(autouse=True)
def _keep_the_test_connection() -> Any:
    """The WSGI handler closes "old" database connections at the start and end of each request, which on
    PostgreSQL would close the connection holding the test transaction; Django's own test client
    disconnects the same signal handlers for the same reason."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def msl_token(world: dict[str, Any]) -> str:
    return _token(world, "alice")


@pytest.fixture
def commercial_token(world: dict[str, Any]) -> str:
    return _token(world, "dave")


CHECKS = [not_a_server_error, response_schema_conformance]
SETTINGS = settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)


@schema.parametrize()
@SETTINGS
def test_it_serves_an_msl_without_server_errors_and_as_documented(
    case: Any, known: dict[str, str], msl_token: str
) -> None:
    _aim(case, known)
    case.call_and_validate(headers={"Authorization": f"Bearer {msl_token}"}, checks=CHECKS)


@schema.parametrize()
@SETTINGS
def test_it_serves_a_commercial_user_without_server_errors_and_as_documented(
    case: Any, known: dict[str, str], commercial_token: str
) -> None:
    _aim(case, known)
    case.call_and_validate(headers={"Authorization": f"Bearer {commercial_token}"}, checks=CHECKS)
