"""The asynchronous advisory board and its participant portal: the e-mailed single-use link, the second factor,
the terms, the board, and what an advisor may not reach (docs/programs.md)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from liaison.programs import actions, portal
from liaison.programs.models import BoardPost, PortalAccess

LINK = re.compile(r"https?://[^/\s]+(/portal/enter/[^/\s]+/)")


@pytest.fixture
def advisor(board, world, acting) -> Any:
    """Grace Hopkins's participation in alice's board, with one open question."""
    alice = world["alice"]
    with acting(alice):
        actions.board.save_board_question(
            board, acting_user=alice, title="Where does biomarker testing stall?"
        )
    return board.participants.get()


def _invite(world: Any, acting: Any, participant: Any, **kwargs: Any) -> tuple[PortalAccess, str]:
    with acting(world["alice"]):
        return actions.board.invite_advisor(
            participant, acting_user=world["alice"], email="grace@example.org", **kwargs
        )


def _enter(client: Client, raw: str) -> Any:
    return client.post(f"/portal/enter/{raw}/")


def _accept(client: Client, access: PortalAccess) -> Any:
    return client.post(
        f"/portal/access/{access.uuid}/terms/", {"accept": "yes", "version": portal.CONFIDENTIALITY_VERSION}
    )


def test_it_emails_a_link_that_signs_the_advisor_in_once(client, world, advisor, smtp_server):
    alice = world["alice"]
    client.force_login(alice)
    response = client.post(
        f"/events/{advisor.event.uuid}/board/post/",
        {"form": "invite", "participant": str(advisor.uuid), "email": "grace@example.org"},
    )
    assert response.status_code == 302
    client.logout()

    (message,) = smtp_server.wait_for(1)
    assert message["To"] == "grace@example.org"
    path = LINK.search(smtp_server.text_of(message)).group(1)
    access = PortalAccess.objects.get(participant=advisor)
    assert access.user.role == "advisor" and not access.user.has_usable_password()
    assert path.split("/")[-2] not in access.token_hash  # only the hash is stored

    # A mail scanner's GET spends nothing.
    assert client.get(path).status_code == 200
    access.refresh_from_db()
    assert access.used_at is None

    response = client.post(path)
    assert response.status_code == 302
    assert response.url == f"/portal/boards/{advisor.event.uuid}/"
    assert client.get(response.url).url == f"/portal/access/{access.uuid}/terms/"  # the terms first

    again = Client().post(path)
    assert again.status_code == 410
    assert "already been used" in again.content.decode()


def test_it_refuses_an_expired_link_and_changes_nothing(client, world, acting, advisor):
    access, raw = _invite(
        world, acting, advisor, now=timezone.now() - portal.LINK_LIFETIME - dt.timedelta(minutes=1)
    )

    for response in (client.get(f"/portal/enter/{raw}/"), _enter(client, raw)):
        assert response.status_code == 410
        assert "This link has expired." in response.content.decode()
    access.refresh_from_db()
    assert access.used_at is None
    assert "_auth_user_id" not in client.session


def test_it_answers_a_forged_link_404_with_the_same_page(client, advisor):
    for response in (client.get("/portal/enter/not-a-real-token/"), _enter(client, "not-a-real-token")):
        assert response.status_code == 404
        assert "This link is not valid." in response.content.decode()
        assert "Ask the board's moderator to send you a new link" in response.content.decode()


def test_it_stops_the_old_link_when_a_new_one_is_sent(client, world, acting, advisor):
    _, old = _invite(world, acting, advisor)
    access, new = _invite(world, acting, advisor)

    assert _enter(client, old).status_code == 404
    assert _enter(client, new).status_code == 302
    assert PortalAccess.objects.filter(participant=advisor).count() == 1
    assert access.user.role == "advisor"


def test_it_shows_nothing_of_the_board_before_the_terms_are_accepted(client, world, acting, advisor):
    access, raw = _invite(world, acting, advisor)
    _enter(client, raw)
    question = advisor.event.board_questions.get()

    page = client.get(f"/portal/boards/{advisor.event.uuid}/")
    assert page.status_code == 302 and page.url.endswith("/terms/")
    reply = client.post(
        f"/portal/boards/{advisor.event.uuid}/questions/{question.uuid}/reply/", {"text": "x"}
    )
    assert reply.status_code == 302 and not BoardPost.objects.exists()
    refused = client.post(f"/portal/access/{access.uuid}/terms/", {"version": portal.CONFIDENTIALITY_VERSION})
    assert refused.status_code == 422

    assert _accept(client, access).status_code == 302
    access.refresh_from_db()
    assert access.consent_version == portal.CONFIDENTIALITY_VERSION and access.consent_accepted_at is not None
    assert (
        "Where does biomarker testing stall?"
        in client.get(f"/portal/boards/{advisor.event.uuid}/").content.decode()
    )


def test_it_asks_for_the_emailed_code_when_the_board_requires_it(client, world, acting, advisor):
    access, raw = _invite(world, acting, advisor, second_factor=True)
    mail.outbox.clear()

    response = _enter(client, raw)
    assert response.url == f"/portal/access/{access.uuid}/code/"
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    access.refresh_from_db()
    assert access.code_hash and code not in access.code_hash
    # Neither the terms nor the board open before the code.
    assert client.get(f"/portal/boards/{advisor.event.uuid}/").url.endswith("/code/")
    assert client.get(f"/portal/access/{access.uuid}/terms/").url.endswith("/code/")

    wrong = "000000" if code != "000000" else "111111"
    response = client.post(f"/portal/access/{access.uuid}/code/", {"code": wrong})
    assert response.status_code == 422 and "4 tries left" in response.content.decode()

    response = client.post(f"/portal/access/{access.uuid}/code/", {"code": code})
    assert response.status_code == 302
    assert client.get(f"/portal/boards/{advisor.event.uuid}/").url.endswith("/terms/")


def test_it_locks_the_code_after_five_wrong_tries(client, world, acting, advisor):
    access, raw = _invite(world, acting, advisor, second_factor=True)
    _enter(client, raw)
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(portal.CODE_TRIES):
        client.post(f"/portal/access/{access.uuid}/code/", {"code": wrong})

    response = client.post(f"/portal/access/{access.uuid}/code/", {"code": code})
    assert response.status_code == 422 and "ask for a new one" in response.content.decode()
    client.post(f"/portal/access/{access.uuid}/code/", {"resend": "1"})
    fresh = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    assert client.post(f"/portal/access/{access.uuid}/code/", {"code": fresh}).status_code == 302


def test_it_expires_the_code_after_ten_minutes(world, acting, advisor):
    access, _ = _invite(world, acting, advisor, second_factor=True)
    with acting(access.user):
        code = actions.board.issue_portal_code(access, now=timezone.now() - dt.timedelta(minutes=11))
        refusal = actions.board.check_portal_code(access, acting_user=access.user, code=code)
    assert "expired" in refusal
    access.refresh_from_db()
    assert access.code_tries == 0


def _signed_in(client: Client, world: Any, acting: Any, participant: Any) -> PortalAccess:
    access, raw = _invite(world, acting, participant)
    _enter(client, raw)
    _accept(client, access)
    return access


def test_the_advisor_answers_and_sees_the_moderators_follow_up(client, world, acting, advisor):
    _signed_in(client, world, acting, advisor)
    question = advisor.event.board_questions.get()
    url = f"/portal/boards/{advisor.event.uuid}/questions/{question.uuid}/reply/"

    assert client.post(url, {"text": "Tissue is sent out and takes three weeks."}).status_code == 302
    answer = BoardPost.objects.get()
    assert answer.participant == advisor and answer.staff_author is None
    with acting(world["alice"]):
        actions.board.post_to_board(
            question, acting_user=world["alice"], text="Which labs are fastest?", parent=answer
        )

    page = client.get(f"/portal/boards/{advisor.event.uuid}/").content.decode()
    assert "Which labs are fastest?" in page and "Moderator" in page
    assert "1 answered, 0 open" in page
    assert client.post(url, {"text": "", "parent": str(answer.uuid)}).status_code == 422


def test_it_lets_only_those_who_run_the_board_post_follow_ups(world, acting, advisor):
    question = advisor.event.board_questions.get()
    mona = world["mona"]  # alice's manager may change the event, but does not run the board
    with acting(mona), pytest.raises(actions.ValidationError, match="run the board"):
        actions.board.post_to_board(question, acting_user=mona, text="x")


def test_it_answers_another_boards_pages_404(client, world, acting, advisor, hcp):
    _signed_in(client, world, acting, advisor)
    alice = world["alice"]
    from tests.programs.conftest import event_data

    with acting(alice):
        other = actions.create_event(acting_user=alice, data=event_data(world, title="Other board"))
        q = actions.board.save_board_question(
            other, acting_user=alice, title="Secret question of another board"
        )

    assert client.get(f"/portal/boards/{other.uuid}/").status_code == 404
    assert (
        client.post(f"/portal/boards/{other.uuid}/questions/{q.uuid}/reply/", {"text": "x"}).status_code
        == 404
    )
    own = f"/portal/boards/{advisor.event.uuid}/questions/{q.uuid}/reply/"
    assert client.post(own, {"text": "x"}).status_code == 404
    assert not BoardPost.objects.exists()


@pytest.mark.parametrize(
    "path",
    ["/", "/hcps/", "/events/", "/interactions/", "/insights/", "/accounts/tokens/", "/audit/", "/plans/"],
)
def test_it_keeps_the_advisor_out_of_every_other_page(client, world, acting, advisor, path):
    access = _signed_in(client, world, acting, advisor)
    assert client.get(f"/events/{advisor.event.uuid}/").status_code == 403
    response = client.get(path)
    assert response.status_code == 403, path
    assert "advisory board portal only" in response.content.decode()
    assert access.user.role == "advisor"


def test_it_refuses_every_api_call_of_an_advisor(api, world):
    client = api("vera")
    for path in ("/me", "/hcps", "/events", "/insights"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert "advisor" in response.json()["detail"]


def test_it_refuses_the_portal_to_staff_roles(client, world):
    for name in ("alice", "ada", "dave"):
        client.force_login(world[name])
        assert client.get("/portal/").status_code == 403, name


def test_it_counts_time_spent_without_the_gaps(world, acting, advisor):
    access, _ = _invite(world, acting, advisor)
    start = timezone.now() - dt.timedelta(hours=1)
    with acting(access.user):
        for minutes in (0, 1, 2, 10, 11, 12, 13):
            actions.board.note_portal_visit(
                access, acting_user=access.user, now=start + dt.timedelta(minutes=minutes)
            )

    (progress,) = portal.board_progress(advisor.event, timezone.now())
    assert progress.minutes == 2 + 3
    assert progress.last_visit == start + dt.timedelta(minutes=13)
    assert (progress.answered, progress.open) == (0, 1)


def test_the_heartbeat_extends_the_visit(client, world, acting, advisor):
    access = _signed_in(client, world, acting, advisor)
    client.get(f"/portal/boards/{advisor.event.uuid}/")
    assert client.post(f"/portal/boards/{advisor.event.uuid}/heartbeat/").status_code == 204
    assert access.visits.count() == 1


def test_the_moderator_sees_each_advisors_progress(client, world, acting, advisor):
    _signed_in(Client(), world, acting, advisor)
    client.force_login(world["alice"])
    page = client.get(f"/events/{advisor.event.uuid}/board/").content.decode()
    assert advisor.name in page and "accepted 2026-12" in page
    assert "Where does biomarker testing stall?" in page


def test_the_cli_prints_a_fresh_link_that_replaces_the_old_one(client, world, acting, advisor):
    from click.testing import CliRunner

    from liaison.cli import main

    _, old = _invite(world, acting, advisor)
    result = CliRunner().invoke(
        main, ["programs", "portal-link", "GRACE@example.org"], catch_exceptions=False
    )

    assert result.exit_code == 0, result.output
    path = re.search(r"(/portal/enter/[^/\s]+/)", result.output).group(1)
    assert _enter(client, old).status_code == 404
    assert _enter(client, path.split("/")[-2]).status_code == 302
    unknown = CliRunner().invoke(main, ["programs", "portal-link", "nobody@example.org"])
    assert unknown.exit_code == 2


def test_every_portal_record_matches_its_audit_trail(client, world, acting, advisor):
    from liaison.compliance.reconcile import reconcile

    access = _signed_in(client, world, acting, advisor)
    question = advisor.event.board_questions.get()
    client.post(
        f"/portal/boards/{advisor.event.uuid}/questions/{question.uuid}/reply/", {"text": "An answer."}
    )
    client.post(f"/portal/boards/{advisor.event.uuid}/heartbeat/")

    report = reconcile()
    assert report.ok, [d.describe() for d in report.discrepancies[:5]]
    assert access.visits.exists() and BoardPost.objects.exists()


def test_nobody_creates_an_advisor_by_hand(client, world):
    from click.testing import CliRunner

    from liaison.cli import main

    result = CliRunner().invoke(main, ["user", "add", "adv", "--role", "advisor", "--email", "a@example.org"])
    assert result.exit_code == 2 and "invitation" in result.output
    client.force_login(world["ada"])
    page = client.get("/accounts/admin/users/new/")
    assert page.status_code == 200 and 'value="advisor"' not in page.content.decode()


def test_an_admin_may_deactivate_an_advisor_whose_link_then_stops(client, world, acting, advisor):
    access, raw = _invite(world, acting, advisor)
    client.force_login(world["ada"])
    page = client.get(f"/accounts/admin/users/{access.user.uuid}/").content.decode()
    assert 'value="advisor"' in page and 'value="msl"' not in page

    with acting(world["ada"]):
        from liaison.accounts.actions import update_user

        update_user(access.user, acting_user=world["ada"], is_active=False)
    response = _enter(Client(), raw)
    assert response.status_code == 410 and "withdrawn" in response.content.decode()


def test_the_moderator_adds_and_edits_questions_on_the_board_page(client, world, advisor):
    event = advisor.event
    client.force_login(world["alice"])
    url = f"/events/{event.uuid}/board/post/"

    response = client.post(
        url, {"form": "question", "title": "Who orders the test?", "opens_at": "2026-12-10T09:00"}
    )
    assert response.status_code == 302
    question = event.board_questions.get(title="Who orders the test?")
    assert question.opens_at == dt.datetime(2026, 12, 10, 9, tzinfo=event.zone)
    page = client.get(f"/events/{event.uuid}/board/").content.decode()
    assert 'value="2026-12-10T09:00"' in page  # shown back in the event's zone

    client.post(url, {"form": "question", "question": str(question.uuid), "title": "Who orders the panel?"})
    question.refresh_from_db()
    assert question.title == "Who orders the panel?" and question.opens_at is None

    refused = client.post(
        url, {"form": "invite", "participant": str(advisor.uuid), "email": "not-an-address"}
    )
    assert refused.status_code == 422 and "must be an e-mail address" in refused.content.decode()
    bad = client.post(
        url, {"form": "question", "title": "x", "opens_at": "2026-12-10", "closes_at": "2026-12-09"}
    )
    assert bad.status_code == 422 and "must be after the opening" in bad.content.decode()


def test_a_colleague_who_does_not_run_the_board_cannot_change_it(client, world, advisor):
    client.force_login(world["mona"])
    page = client.get(f"/events/{advisor.event.uuid}/board/")
    assert page.status_code == 200 and "Add the question" not in page.content.decode()
    refused = client.post(f"/events/{advisor.event.uuid}/board/post/", {"form": "question", "title": "x"})
    assert refused.status_code == 422 and "run the board" in refused.content.decode()
    assert advisor.event.board_questions.count() == 1
