"""The role x resource x action matrix: the one place that says who may do what.

Deny by default: a (role, resource, action) not listed here is refused. Row-level scoping (an MSL sees their
team's interactions, not every team's) lives in each app's `policies.py` and is applied by `restrict()`.
`tests/security/test_permissions.py` generates one test per cell of this matrix and checks it against the API and
the web pages, so a change here is a change in behaviour.

The medical/commercial firewall is expressed here too: the commercial role holds no `view` on any medical
resource (interaction, follow-up, HCP feedback, insight, inquiry, safety report, audit event, listening
priority).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeGuard

from .roles import Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from liaison.accounts.models import User

R = Role
FIELD = {R.MSL, R.MSL_MANAGER, R.MEDICAL_LEAD}
MEDICAL_READERS = FIELD | {R.MEDICAL_INFORMATION, R.DRUG_SAFETY, R.COMPLIANCE, R.AUDITOR, R.ADMIN}
EVERYONE = MEDICAL_READERS | {R.COMMERCIAL}
OVERSIGHT = {R.COMPLIANCE, R.AUDITOR, R.ADMIN}

MATRIX: dict[str, dict[str, set[Role]]] = {
    "hcp": {
        "view": EVERYONE,
        "add": FIELD | {R.ADMIN},
        "change": FIELD | {R.ADMIN},
        "merge": {R.MSL_MANAGER, R.MEDICAL_LEAD, R.ADMIN},
    },
    "organization": {
        "view": EVERYONE,
        "add": FIELD | {R.ADMIN},
        "change": FIELD | {R.ADMIN},
    },
    # People outside the company who are not HCP records (payers, pharmacists, patient advocates): directory
    # entries like organisations, not medical content.
    "external_person": {
        "view": EVERYONE,
        "add": FIELD | {R.ADMIN},
        "change": FIELD | {R.ADMIN},
    },
    "interaction": {
        "view": FIELD | {R.DRUG_SAFETY} | OVERSIGHT,
        "add": FIELD,
        "change": FIELD,
    },
    "follow_up": {
        "view": FIELD | {R.MEDICAL_INFORMATION} | OVERSIGHT,
        "add": FIELD | {R.MEDICAL_INFORMATION},
        "change": FIELD | {R.MEDICAL_INFORMATION},
    },
    # What an HCP said an interaction was worth (engagement.HcpFeedback), recorded by the MSL who met them; read
    # by managers and medical leads for the "KOL feedback" metric. Rows follow the interaction's team scope.
    "hcp_feedback": {
        "view": FIELD | OVERSIGHT,
        "add": {R.MSL},
        "change": {R.MSL},
    },
    "insight": {
        "view": FIELD | OVERSIGHT,
        "add": FIELD,
        "change": FIELD,
        "review": {R.MSL_MANAGER, R.MEDICAL_LEAD},
        # Release (or withdraw) a rewritten summary of a reviewed insight for audiences beyond medical: the only
        # way any insight wording reaches the commercial report (insights/actions.release_summary).
        "release": {R.MSL_MANAGER, R.MEDICAL_LEAD},
    },
    # The aggregate of insights (counts per area x priority x month, no group under five HCPs, and only the
    # summaries medical reviewers released, never what the field wrote): made for audiences beyond medical, and
    # the only insight-derived thing commercial may see. It guards a derived report, not a model
    # (insights/aggregate_report.py).
    "insight_report": {
        "view": EVERYONE,
    },
    "listening_priority": {
        "view": MEDICAL_READERS,
        "add": {R.MEDICAL_LEAD, R.ADMIN},
        "change": {R.MEDICAL_LEAD, R.ADMIN},
    },
    "inquiry": {
        "view": FIELD | {R.MEDICAL_INFORMATION, R.DRUG_SAFETY} | OVERSIGHT,
        # Commercial users may capture and route an unsolicited request, then never see it again.
        "add": FIELD | {R.MEDICAL_INFORMATION, R.COMMERCIAL},
        "change": {R.MEDICAL_INFORMATION},
        "answer": {R.MEDICAL_INFORMATION},
    },
    "safety_report": {
        "view": FIELD | {R.MEDICAL_INFORMATION, R.DRUG_SAFETY} | OVERSIGHT,
        "add": FIELD | {R.MEDICAL_INFORMATION, R.DRUG_SAFETY},
        "triage": {R.DRUG_SAFETY},
    },
    "audit_event": {
        "view": OVERSIGHT,
        "verify": OVERSIGHT,
    },
    "user": {
        "view": {R.ADMIN, R.MSL_MANAGER, R.COMPLIANCE, R.AUDITOR},
        "add": {R.ADMIN},
        "change": {R.ADMIN},
    },
    "therapeutic_area": {
        "view": EVERYONE,
        "add": {R.ADMIN},
        "change": {R.ADMIN},
    },
    # KOL intelligence is medical's: built from public data, but the rankings, identity decisions and
    # payment context steer medical engagement, so commercial users hold none of it.
    "kol_score": {
        "view": MEDICAL_READERS,
        "score": {R.MEDICAL_LEAD, R.ADMIN},
    },
    "kol_evidence": {
        "view": MEDICAL_READERS,
    },
    "identity_link": {
        "view": MEDICAL_READERS,
        "change": FIELD | {R.ADMIN},
    },
    # The pre-call brief (liaison.briefs) gathers an HCP's interactions, insights, inquiries and KOL evidence on
    # one page: medical content, so commercial gets 403. It derives from records read through restrict() and
    # guards that page, not a model.
    "pre_call_brief": {
        "view": FIELD | OVERSIGHT,
    },
    "product": {
        "view": EVERYONE,
        "add": {R.ADMIN},
        "change": {R.ADMIN},
    },
    # Engagement planning (liaison.planning): plans and HCPs' standing interests are medical records; commercial
    # holds none of it. Rows follow the owner's (recorder's) team, like interactions.
    "engagement_plan": {
        "view": FIELD | OVERSIGHT,
        "add": FIELD,
        "change": FIELD,
    },
    "standing_interest": {
        "view": FIELD | OVERSIGHT,
        "add": FIELD,
        "change": FIELD,
    },
    # The insight-to-action loop (liaison.loop): medical only. Reviewers (managers, medical leads) rate, theme
    # and act; rows follow the insights' team scope; notifications are each user's own.
    "insight_rating": {
        "view": FIELD | OVERSIGHT,
        "add": {R.MSL_MANAGER, R.MEDICAL_LEAD},
    },
    "insight_theme": {
        "view": FIELD | OVERSIGHT,
        "add": {R.MSL_MANAGER, R.MEDICAL_LEAD},
        "change": {R.MSL_MANAGER, R.MEDICAL_LEAD},
    },
    "insight_action": {
        "view": FIELD | OVERSIGHT,
        "add": {R.MSL_MANAGER, R.MEDICAL_LEAD},
        "change": {R.MSL_MANAGER, R.MEDICAL_LEAD},
    },
    "notification": {
        "view": MEDICAL_READERS,
        "change": MEDICAL_READERS,
    },
    # Impact metrics (liaison.metrics) are for managers: counted from restricted records, no prescribing or
    # sales data, and commercial sees none of them. A derived view, not a model.
    "metrics": {
        "view": {R.MSL_MANAGER, R.MEDICAL_LEAD, R.ADMIN},
    },
    # Internal stakeholders and their digests (liaison.stakeholders): medical manages them; commercial
    # stakeholders receive only the de-identified aggregate, and commercial users hold none of this.
    "stakeholder": {
        "view": {R.MSL_MANAGER, R.MEDICAL_LEAD, R.ADMIN} | {R.COMPLIANCE, R.AUDITOR},
        "add": {R.MEDICAL_LEAD, R.ADMIN},
        "change": {R.MEDICAL_LEAD, R.ADMIN},
        "feedback": {R.MSL_MANAGER, R.MEDICAL_LEAD, R.ADMIN},
    },
    "digest": {
        "view": {R.MSL_MANAGER, R.MEDICAL_LEAD, R.ADMIN} | {R.COMPLIANCE, R.AUDITOR},
        "send": {R.MSL_MANAGER, R.MEDICAL_LEAD, R.ADMIN},
    },
    # Programs (liaison.programs): advisory boards, congresses, medical education, webinars, round tables and
    # site visits are medical work; commercial sees none of it ("commercial users see no advisory-board
    # content"). Rows follow the owner's team and the staff assigned to the event.
    "event": {
        "view": FIELD | {R.MEDICAL_INFORMATION} | OVERSIGHT,
        "add": FIELD,
        "change": FIELD,
        # Compliance approves an advisory board's needs assessment and overrides fair-market-value limits.
        "approve": {R.COMPLIANCE},
    },
    # Transfers of value (liaison.transparency): every payment or benefit to an HCP or organisation, and the
    # transparency exports built from them. Compliance keeps the ledger; the field records what its events
    # paid and sees its own HCPs' totals; commercial holds none of it.
    "transfer_of_value": {
        "view": FIELD | OVERSIGHT,
        "add": FIELD | {R.COMPLIANCE, R.ADMIN},
        "change": {R.COMPLIANCE, R.ADMIN},
        "export": {R.COMPLIANCE, R.AUDITOR, R.ADMIN},
    },
    # The participant portal of asynchronous advisory boards (programs/portal.py): the external advisor's only
    # resource, and nobody else's. Which boards they see is narrowed to their own invitations; staff run the board
    # from the event page under `event`.
    "advisory_portal": {
        "view": {R.ADVISOR},
        "respond": {R.ADVISOR},
    },
}

RESOURCES = tuple(MATRIX)
ACTIONS = tuple(sorted({action for actions in MATRIX.values() for action in actions}))


class PermissionDenied(Exception):
    """Raised by `require()`; views turn it into 403, the API into a JSON 403."""

    def __init__(self, user: User | AnonymousUser | None, resource: str, action: str) -> None:
        self.resource, self.action = resource, action
        super().__init__(f"not allowed: {action} {resource.replace('_', ' ')}")


def role_can(role: str | None, resource: str, action: str) -> bool:
    """True when the matrix grants `action` on `resource` to `role`; anything unknown is denied."""
    if role is None:
        return False
    return role in MATRIX.get(resource, {}).get(action, set())


def can(user: User | AnonymousUser | None, resource: str, action: str) -> TypeGuard[User]:
    """True when an active, authenticated user's role is granted `action` on `resource` (so, for type checkers,
    `user` is then a signed-in `User`)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return role_can(user.role, resource, action)


def require(user: User | AnonymousUser | None, resource: str, action: str) -> None:
    """Raise PermissionDenied unless `can(user, resource, action)`."""
    if not can(user, resource, action):
        raise PermissionDenied(user, resource, action)


def matrix_markdown() -> str:
    """The matrix as a Markdown table per resource; docs/roles.md embeds it and a test keeps them in sync."""
    roles = list(Role)
    lines = [
        "| resource | action | " + " | ".join(r.value for r in roles) + " |",
        "|---|---|" + "---|" * len(roles),
    ]
    for resource, actions in MATRIX.items():
        for action, allowed in actions.items():
            cells = ["✔" if r in allowed else "·" for r in roles]
            lines.append(f"| {resource} | {action} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
