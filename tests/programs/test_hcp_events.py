"""The HCP profile's "Events" tab, and events following an HCP through a merge."""

from __future__ import annotations

from django.urls import reverse

from liaison.programs.models import EventParticipant


def _tab(client, user, hcp):
    client.force_login(user)
    return client.get(reverse("people:hcp_detail", args=[hcp.uuid]) + "?tab=events")


def test_the_owning_msl_sees_the_hcps_events_with_role_and_attendance(client, world, hcp, board):
    response = _tab(client, world["alice"], hcp)
    body = response.content.decode()
    assert response.status_code == 200
    assert board.title in body
    assert reverse("programs:event_detail", args=[board.uuid]) in body
    assert "Advisor" in body and "Accepted" in body


def test_commercial_has_no_events_tab_and_sees_no_event(client, world, hcp, board):
    response = _tab(client, world["dave"], hcp)
    body = response.content.decode()
    assert "?tab=events" not in body
    assert board.title not in body


def test_an_msl_of_another_team_sees_no_event_of_this_team(client, world, hcp, board):
    body = _tab(client, world["bob"], hcp).content.decode()
    assert board.title not in body


def test_a_merge_moves_the_duplicates_participations_to_the_survivor(world, hcp, board, acting):
    from liaison.people.actions import create_hcp, merge_hcps
    from liaison.programs import actions

    from .conftest import event_data

    duplicate = create_hcp(
        acting_user=None,
        data={"first_name": "Grace", "last_name": "Hopkins", "city": "Des Moines", "owner": world["alice"]},
        allow_duplicate=True,
    )
    alice = world["alice"]
    with acting(alice):
        round_table = actions.create_event(acting_user=alice, data=event_data(world, kind="round_table"))
        only_duplicate = actions.invite_participant(round_table, acting_user=alice, hcp=duplicate)
        both = actions.invite_participant(board, acting_user=alice, hcp=duplicate)
    merge_hcps(hcp, duplicate, acting_user=None, reason="same person")
    only_duplicate.refresh_from_db()
    both.refresh_from_db()
    assert only_duplicate.hcp == hcp
    # Both took part in the board: the survivor's participation stands, the duplicate's stays on the merged record.
    assert both.hcp == duplicate
    assert EventParticipant.objects.filter(event=board, hcp=hcp).count() == 1
