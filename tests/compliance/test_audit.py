"""The audit trail: one hash-chained event per change, with old and new values, that nobody can edit.

Runs on SQLite and on PostgreSQL (DATABASE_URL=postgres://...): the tamper tests pick their SQL by
`connection.vendor`.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, connections, transaction
from django.utils import timezone

from audit_support import audit_factories as _factories
from audit_support import set_audit_guards
from liaison.compliance.chain import verify_chain
from liaison.core import context as audit_ctx
from liaison.core.audit import json_value
from liaison.core.context import MissingAuditContext, audit_context, reason
from liaison.core.models import AuditedModel, AuditEvent, ImmutableField
from personas import PASSWORD

# --- helpers -------------------------------------------------------------------------------------------------


def last_seq() -> int:
    return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def events_after(seq: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(seq__gt=seq).order_by("seq"))


@contextmanager
def no_audit_context() -> Iterator[None]:
    """Run the block with no audit context at all (the fixtures otherwise keep one open for set-up)."""
    token = audit_ctx._current.set(None)
    try:
        yield
    finally:
        audit_ctx._current.reset(token)


def audited_models() -> list[type[AuditedModel]]:
    return [
        m for m in apps.get_models() if issubclass(m, AuditedModel) and m.__module__.startswith("liaison.")
    ]


def _audit_value(model: type, field: str, value: Any) -> Any:
    """The value as the audit trail stores it (related records as their public uuid)."""
    if model._meta.get_field(field).is_relation:
        return str(value.uuid)
    return json_value(value)  # dates and datetimes as ISO strings


# --- one event per create, update and delete ------------------------------------------------------------------


# Every audited model, by label: the create/update/delete test below runs once for each.
AUDITED_LABELS = [
    "accounts.therapeuticarea",
    "accounts.product",
    "accounts.team",
    "accounts.territory",
    "accounts.user",
    "accounts.apitoken",
    "accounts.calendarfeedtoken",
    "people.organization",
    "people.externalperson",
    "people.hcp",
    "people.affiliation",
    "engagement.interaction",
    "engagement.interactionattendee",
    "engagement.followup",
    "engagement.hcpfeedback",
    "insights.listeningpriority",
    "insights.insight",
    "medinfo.medicalinquiry",
    "safety.safetyreport",
    "safety.safetyoutbox",
    "safety.safetyescalation",
    "kol.identitylink",
    "intel.themefeedback",
    "stakeholders.stakeholder",
    "stakeholders.digestdelivery",
    "stakeholders.stakeholderfeedback",
    "planning.engagementplan",
    "planning.standinginterest",
    "planning.interestreminder",
    "loop.insightrating",
    "loop.theme",
    "loop.insightaction",
    "loop.notification",
    "programs.event",
    "programs.eventstaff",
    "programs.eventparticipant",
    "programs.eventactionitem",
    "programs.eventinsight",
    "programs.eventdocument",
    "programs.boardquestion",
    "programs.portalaccess",
    "programs.boardpost",
    "programs.portalvisit",
    "programs.needsassessment",
    "programs.fmvrate",
    "programs.fmvcap",
    "programs.advisorcontract",
    "programs.congresssession",
    "programs.coverageassignment",
    "programs.sessionnote",
    "transparency.transferofvalue",
    "transparency.disclosureconsent",
]
# A renamed model keeps the name its events were written under (AuditedModel.audit_label), so that its history
# reads and reconciles as one: loop.InsightAction was loop.Action.
AUDIT_NAMES = {"loop.insightaction": "loop.action"}


def test_it_has_a_factory_for_every_audited_model(world):
    labels = {m._meta.label_lower for m in audited_models()}
    assert labels - set(_factories(world)) == set(), "add the new audited model to _factories in this file"
    assert labels - set(AUDITED_LABELS) == set(), "add the new audited model to AUDITED_LABELS in this file"


@pytest.mark.parametrize("label", AUDITED_LABELS)
def test_it_writes_exactly_one_event_per_create_update_and_delete(world, acting, label):
    model = apps.get_model(label)
    object_type = AUDIT_NAMES.get(label, label)
    name = object_type.split(".", 1)[1]
    build, field, new_value = _factories(world)[label]
    kwargs = build()
    if callable(new_value):
        new_value = new_value()
    with acting(world["ada"]):
        start = last_seq()
        obj = model.objects.create(**kwargs)
        created = events_after(start)
        assert [e.event_type for e in created] == [f"{name}.created"]
        event = created[0]
        assert event.action == "create"
        assert (event.actor_username, event.actor_uuid, event.actor_role) == (
            "ada",
            str(world["ada"].uuid),
            "admin",
        )
        assert event.object_type == object_type and event.object_uuid == str(obj.uuid)
        assert event.occurred_at.utcoffset() == dt.timedelta(0)
        assert abs(event.occurred_at - timezone.now()) < dt.timedelta(minutes=1)
        assert event.source == "test" and event.request_id

        old_value = _audit_value(model, field, getattr(obj, field))
        if field in getattr(model, "immutable_fields", ()):
            # An append-only record (a board post): the change is refused and writes nothing; the tampering
            # suite makes the same change behind the application's back and expects verification to find it.
            setattr(obj, field, new_value)
            start = last_seq()
            with pytest.raises(ImmutableField):
                obj.save()
            assert events_after(start) == []
            obj = model.objects.get(pk=obj.pk)
            new_value = getattr(obj, field)
        else:
            setattr(obj, field, new_value)
            start = last_seq()
            obj.save()
            (updated,) = events_after(start)
            assert updated.event_type == f"{name}.updated" and updated.action == "update"
            assert updated.changes == {field: [old_value, _audit_value(model, field, new_value)]}

        start = last_seq()
        obj.save()
        assert events_after(start) == [], "a save that changes nothing writes no event"

        obj_uuid = str(obj.uuid)
        start = last_seq()
        obj.delete()
        (deleted,) = events_after(start)
        assert deleted.event_type == f"{name}.deleted" and deleted.action == "delete"
        assert deleted.object_uuid == obj_uuid
        assert deleted.changes[field] == [_audit_value(model, field, new_value), None]
    assert verify_chain().ok


def test_it_records_the_reason_given_for_a_change(world, hcp, acting):
    with acting(world["alice"]), reason("corrected the spelling after a call"):
        start = last_seq()
        hcp.first_name = "Gracie"
        hcp.save()
    (event,) = events_after(start)
    assert event.reason == "corrected the spelling after a call"
    assert event.changes == {"first_name": ["Grace", "Gracie"]}


def test_it_records_the_reason_of_an_action_on_its_event(world, interaction, acting):
    from liaison.engagement.actions import update_interaction

    start = last_seq()
    with acting(world["alice"]):
        update_interaction(
            interaction,
            acting_user=world["alice"],
            data={"duration_minutes": 45},
            reason="the meeting ran long",
        )
    (event,) = [e for e in events_after(start) if e.event_type == "interaction.updated"]
    assert event.reason == "the meeting ran long"
    assert event.changes == {"duration_minutes": [30, 45]}


def test_it_records_only_the_fields_written_by_save_with_update_fields(world, hcp, acting):
    with acting(world["alice"]):
        hcp.city = "Des Moines"  # changed in memory, never written
        hcp.tier = 1
        start = last_seq()
        hcp.save(update_fields=["tier"])
    (event,) = events_after(start)
    assert event.changes == {"tier": [None, 1]}


# --- many-to-many ---------------------------------------------------------------------------------------------


def test_it_audits_many_to_many_additions_removals_and_clears(world, hcp, acting):
    cardio, onco = str(world["cardio"].uuid), str(world["oncology"].uuid)
    with acting(world["alice"]):
        start = last_seq()
        hcp.therapeutic_areas.add(world["cardio"])
        hcp.therapeutic_areas.remove(world["cardio"])
        hcp.therapeutic_areas.clear()
    changes = [(e.object_uuid, e.changes) for e in events_after(start)]
    assert changes == [
        (str(hcp.uuid), {"therapeutic_areas": [None, [cardio]]}),
        (str(hcp.uuid), {"therapeutic_areas": [[cardio], None]}),
        (str(hcp.uuid), {"therapeutic_areas": [[onco], None]}),
    ]


def test_it_audits_a_many_to_many_change_made_from_the_other_side_on_the_record_holding_the_field(
    world, hcp, acting
):
    with acting(world["alice"]):
        start = last_seq()
        world["cardio"].hcps.add(hcp)
    (event,) = events_after(start)
    assert event.object_uuid == str(hcp.uuid)
    assert event.changes == {"therapeutic_areas": [None, [str(world["cardio"].uuid)]]}


# --- bulk writes ----------------------------------------------------------------------------------------------


@pytest.fixture
def three_hcps(world, system_context):
    from liaison.people.models import HCP

    return HCP.objects.bulk_create(
        [HCP(first_name=f"Bulk{i}", last_name="Person", city="Ames") for i in range(3)]
    )


def test_it_writes_one_created_event_per_row_of_bulk_create(world, acting):
    from liaison.people.models import HCP

    with acting(world["ada"]):
        start = last_seq()
        rows = HCP.objects.bulk_create([HCP(first_name=f"B{i}", last_name="Row") for i in range(3)])
    events = events_after(start)
    assert [e.event_type for e in events] == ["hcp.created"] * 3
    assert sorted(e.object_uuid for e in events) == sorted(str(r.uuid) for r in rows)
    assert all(e.changes["last_name"] == [None, "Row"] for e in events)


def test_it_writes_one_updated_event_per_row_of_a_queryset_update(world, three_hcps, acting):
    from liaison.people.models import HCP

    with acting(world["ada"]):
        start = last_seq()
        count = HCP.objects.filter(last_name="Person").update(city="Iowa City")
    events = events_after(start)
    assert count == 3
    assert sorted(e.object_uuid for e in events) == sorted(str(h.uuid) for h in three_hcps)
    assert all(e.changes == {"city": ["Ames", "Iowa City"]} for e in events)


def test_it_updates_through_a_queryset_with_an_outer_join_and_distinct(world, hcp, three_hcps, acting):
    from django.db.models import Q

    from liaison.people.models import HCP

    # An OR across a nullable relation makes a LEFT OUTER JOIN; FOR UPDATE on it is refused by PostgreSQL.
    qs = HCP.objects.filter(Q(owner__username="alice") | Q(last_name="Person")).distinct()
    with acting(world["ada"]):
        start = last_seq()
        assert qs.update(state="IA") == 4
    assert len(events_after(start)) == 3  # `hcp` already had state IA: no change, no event


def test_it_writes_one_updated_event_per_changed_row_of_bulk_update_with_the_stored_values(
    world, three_hcps, acting
):
    from liaison.people.models import HCP

    for i, row in enumerate(three_hcps):
        row.tier = i + 1
        row.city = "Never saved"  # not in `fields`: must not be reported as written
    with acting(world["ada"]):
        start = last_seq()
        HCP.objects.bulk_update(three_hcps, ["tier"])
    events = events_after(start)
    assert sorted(e.changes["tier"][1] for e in events) == [1, 2, 3]
    assert all(set(e.changes) == {"tier"} for e in events)


def test_it_writes_one_deleted_event_per_row_of_a_queryset_delete(world, three_hcps, acting):
    from liaison.people.models import HCP

    with acting(world["ada"]):
        start = last_seq()
        HCP.objects.filter(last_name="Person").delete()
    events = events_after(start)
    assert [e.event_type for e in events] == ["hcp.deleted"] * 3
    assert sorted(e.object_uuid for e in events) == sorted(str(h.uuid) for h in three_hcps)


def test_it_writes_a_deleted_event_for_each_row_removed_by_a_cascade(world, hcp, acting):
    from liaison.people.actions import add_affiliation, save_organization

    with acting(world["ada"]):
        org = save_organization(None, acting_user=world["ada"], data={"name": "Mercy"})
        affiliation = add_affiliation(hcp, org, acting_user=world["ada"], title="Chief")
        start = last_seq()
        hcp.delete()
    deleted = {e.object_uuid: e.event_type for e in events_after(start)}
    assert deleted == {str(hcp.uuid): "hcp.deleted", str(affiliation.uuid): "affiliation.deleted"}


def test_it_offers_no_delete_everything_on_the_manager(world):
    from liaison.people.models import HCP

    assert not hasattr(HCP.objects, "delete")


# --- no anonymous writes; failures roll back ------------------------------------------------------------------


@pytest.mark.parametrize("write", ["create", "save", "update", "bulk_create", "bulk_update", "delete", "m2m"])
def test_it_refuses_a_write_without_an_audit_context_and_changes_nothing(world, hcp, write):
    from liaison.people.models import HCP

    before = (HCP.objects.count(), AuditEvent.objects.count(), hcp.therapeutic_areas.count())
    writes = {
        "create": lambda: HCP.objects.create(first_name="No", last_name="Context"),
        "save": lambda: (setattr(hcp, "city", "Nowhere"), hcp.save()),
        "update": lambda: HCP.objects.filter(pk=hcp.pk).update(city="Nowhere"),
        "bulk_create": lambda: HCP.objects.bulk_create([HCP(first_name="No", last_name="Context")]),
        "bulk_update": lambda: (setattr(hcp, "city", "Nowhere"), HCP.objects.bulk_update([hcp], ["city"])),
        "delete": lambda: hcp.delete(),
        "m2m": lambda: hcp.therapeutic_areas.add(world["cardio"]),
    }
    # The savepoint stands for the caller's transaction (Django's m2m add() joins it without one of its own).
    with no_audit_context(), pytest.raises(MissingAuditContext), transaction.atomic():
        writes[write]()
    assert (HCP.objects.count(), AuditEvent.objects.count(), hcp.therapeutic_areas.count()) == before
    assert HCP.objects.get(pk=hcp.pk).city == "Iowa City"


def test_it_rolls_back_the_change_and_its_audit_events_when_an_action_fails(world, hcp, acting):
    from liaison.engagement.actions import log_interaction
    from liaison.engagement.models import Interaction

    before = (Interaction.objects.count(), AuditEvent.objects.count())
    with acting(world["alice"]), pytest.raises(ValidationError) as exc:
        # The interaction and its attendee are written before the bad follow-up is found.
        log_interaction(
            acting_user=world["alice"],
            attendees=[hcp],
            data={
                "occurred_at": timezone.now(),
                "channel": "phone",
                "purpose": "education",
                "ae_attestation": "no",
            },
            follow_ups=[{"description": "Call back", "due_date": "next week"}],
        )
    assert "due_date" in exc.value.message_dict
    assert (Interaction.objects.count(), AuditEvent.objects.count()) == before


# --- append-only and tamper-evident ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "statement", ["orm_update", "orm_delete", "instance_save", "instance_delete", "sql_update", "sql_delete"]
)
def test_it_refuses_to_update_or_delete_an_audit_event_in_the_database(world, statement):
    event = AuditEvent.objects.order_by("seq").first()
    attempts = {
        "orm_update": lambda: AuditEvent.objects.filter(pk=event.pk).update(reason="rewritten"),
        "orm_delete": lambda: AuditEvent.objects.filter(pk=event.pk).delete(),
        "instance_save": lambda: (setattr(event, "reason", "rewritten"), event.save()),
        "instance_delete": lambda: event.delete(),
        "sql_update": lambda: connection.cursor().execute(
            "UPDATE compliance_auditevent SET reason = 'rewritten' WHERE seq = %s", [event.seq]
        ),
        "sql_delete": lambda: connection.cursor().execute(
            "DELETE FROM compliance_auditevent WHERE seq = %s", [event.seq]
        ),
    }
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        attempts[statement]()
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.reason == "test set-up"


def test_it_refuses_to_truncate_the_audit_trail_on_postgresql(world):
    if connection.vendor != "postgresql":
        pytest.skip("TRUNCATE exists on PostgreSQL only")
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("TRUNCATE compliance_auditevent")
    assert AuditEvent.objects.exists()


def test_it_verifies_an_untouched_chain(world, interaction):
    report = verify_chain()
    assert report.ok and report.checked == AuditEvent.objects.count() > 20


def test_it_names_the_exact_event_whose_content_was_edited(world, interaction):
    seqs = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    victim = seqs[len(seqs) // 2]
    set_audit_guards(False)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE compliance_auditevent SET reason = 'nothing to see' WHERE seq = %s", [victim]
            )
    finally:
        set_audit_guards(True)
    report = verify_chain()
    assert not report.ok
    assert report.broken_seq == victim
    assert "edited" in report.problem
    assert report.checked == seqs.index(victim)


def test_it_detects_a_deleted_event_at_the_next_one(world, interaction):
    seqs = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    victim = seqs[5]
    set_audit_guards(False)
    try:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM compliance_auditevent WHERE seq = %s", [victim])
    finally:
        set_audit_guards(True)
    report = verify_chain()
    assert (report.ok, report.broken_seq) == (False, seqs[6])
    assert "link" in report.problem


def test_it_still_refuses_edits_after_the_guards_are_put_back(world):
    set_audit_guards(False)
    set_audit_guards(True)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.update(reason="rewritten")


def test_it_detects_a_forged_event_appended_with_a_made_up_hash(world):
    last = AuditEvent.objects.order_by("-seq").first()
    forged = AuditEvent(
        occurred_at=timezone.now(),
        actor_username="mallory",
        source="cli",
        request_id="x",
        event_type="hcp.deleted",
        action="delete",
        object_type="people.hcp",
        prev_hash=last.hash,
        hash="e" * 64,
    )
    forged.save(force_insert=True)
    report = verify_chain()
    assert (report.ok, report.broken_seq) == (False, forged.seq)


# --- secrets stay out of the trail ----------------------------------------------------------------------------


def test_it_never_puts_password_hashes_or_last_login_in_audit_changes(world, client, acting):
    from liaison.accounts.actions import set_password

    alice = world["alice"]
    with acting(alice):
        set_password(alice, "a-brand-new-long-passphrase", acting_user=alice)
    assert client.login(username="bob", password=PASSWORD)  # stamps bob's last_login
    alice.refresh_from_db()
    everything = [e.changes for e in AuditEvent.objects.all()]
    text = repr(everything)
    assert alice.password not in text and world["bob"].password not in text
    assert not any("last_login" in changes for changes in everything)
    # The hash itself never, only its keyed fingerprint, which shows that it changed.
    passwords = [v for changes in everything for v in changes.get("password", []) if v is not None]
    assert passwords and all(v.startswith("hmac:") and len(v) < 50 for v in passwords)
    (changed,) = AuditEvent.objects.filter(event_type="user.updated", object_uuid=str(alice.uuid))
    old, new = changed.changes["password"]
    assert old != new
    assert AuditEvent.objects.filter(event_type="user.password_changed", object_uuid=str(alice.uuid)).exists()


def test_a_password_hash_swapped_in_the_database_is_named_without_revealing_it(world):
    from liaison.compliance.reconcile import reconcile

    with connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_user SET password = %s WHERE username = 'ada'", ["md5$salt$0123abcd"])

    (difference,) = reconcile().discrepancies
    assert (difference.record, difference.field) == (str(world["ada"].uuid), "password")
    assert "md5$salt" not in repr(difference) and difference.stored.startswith("hmac:")


# --- the chain under concurrent writers -----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_it_keeps_one_valid_chain_when_two_writers_race(flushable_audit_trail):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers with one database lock; the race needs PostgreSQL")
    from liaison.accounts.actions import save_therapeutic_area

    per_thread, barrier, errors = 15, threading.Barrier(2), []

    def writer(name: str) -> None:
        try:
            with audit_context(actor=None, source="job"):
                barrier.wait(timeout=10)
                for i in range(per_thread):
                    save_therapeutic_area(None, acting_user=None, name=f"{name} area {i}")
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in ("left", "right")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    report = verify_chain()
    assert report.ok, report.describe()
    assert report.checked == 2 * per_thread
    # One line, not two forks from the same parent: no two events share a predecessor.
    assert AuditEvent.objects.values("prev_hash").distinct().count() == 2 * per_thread
