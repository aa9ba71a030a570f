"""The ledger's write path: validation, one recipient, voids and corrections, consent, idempotent imports with
refusals by line and field, the row policy, and HCP merges."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from liaison.core.models import AuditEvent
from liaison.core.permissions import PermissionDenied
from liaison.transparency import actions
from liaison.transparency.models import DisclosureConsent, TransferOfValue

from .conftest import PAID


def test_it_records_a_transfer_and_snapshots_the_npi(record, hcp):
    t = record(recipient_hcp=hcp, products=["Onkotrex"], description="Advisory board, March")
    assert t.kind == "general"
    assert t.amount == Decimal("1500.00")
    assert t.register_ids == {"NPI": "1234567893"}
    assert AuditEvent.objects.filter(object_uuid=str(t.uuid), action="create").exists()


def test_it_makes_research_payments_research_and_needs_their_study(record, hcp):
    with pytest.raises(ValidationError) as exc:
        record(recipient_hcp=hcp, nature="research")
    assert "study_name" in exc.value.message_dict
    t = record(recipient_hcp=hcp, nature="research", study_name="ONK-301", nct_id="nct01234567")
    assert (t.kind, t.nct_id) == ("research", "NCT01234567")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"amount": "0"}, "amount"),
        ({"amount": "-5"}, "amount"),
        ({"amount": "12.345"}, "amount"),
        ({"amount": 12.5}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"currency": "US"}, "currency"),
        ({"currency": "U$D"}, "currency"),
        ({"country": "USA"}, "country"),
        ({"paid_on": dt.date(2099, 1, 1)}, "paid_on"),
        ({"paid_on": "2026-01-01"}, "paid_on"),
        ({"nature": "bribe"}, "nature"),
        ({"nature": "donation"}, "nature"),
        ({"nct_id": "NCT123", "nature": "research", "study_name": "X"}, "nct_id"),
        ({"study_name": "X"}, "study_name"),
        ({"products": ["a", "b", "c", "d", "e", "f"]}, "products"),
        ({"source_id": "not-a-uuid"}, "source_id"),
        ({"register_ids": ["RPPS"]}, "register_ids"),
        ({"description": "bad\x00text"}, "description"),
    ],
)
def test_it_refuses_bad_input_naming_the_field(record, hcp, fields, field):
    with pytest.raises(ValidationError) as exc:
        record(recipient_hcp=hcp, **fields)
    assert field in exc.value.message_dict
    assert not TransferOfValue.objects.exists()


def test_it_needs_exactly_one_recipient(record, hcp, hospital):
    for recipients in ({}, {"recipient_hcp": hcp, "recipient_organization": hospital}):
        with pytest.raises(ValidationError) as exc:
            record(**recipients)
        assert "recipient" in exc.value.message_dict


def test_the_database_refuses_two_recipients_too(record, hcp, hospital, system_context):
    t = record(recipient_hcp=hcp)
    with pytest.raises(IntegrityError), transaction.atomic():
        TransferOfValue.objects.filter(pk=t.pk).update(recipient_organization=hospital)


def test_it_refuses_a_duplicate_external_id(record, hcp):
    record(recipient_hcp=hcp, external_id="SAP-1")
    with pytest.raises(ValidationError) as exc:
        record(recipient_hcp=hcp, external_id="SAP-1")
    assert "external_id" in exc.value.message_dict


def test_it_refuses_roles_without_the_permission(record, world, hcp):
    with pytest.raises(PermissionDenied):
        record(user=world["dave"], recipient_hcp=hcp)
    with pytest.raises(PermissionDenied):
        record(user=world["iris"], recipient_hcp=hcp)


def test_it_voids_with_a_reason_and_keeps_the_row(record, world, hcp, acting):
    t = record(recipient_hcp=hcp)
    carla = world["carla"]
    with acting(carla):
        with pytest.raises(ValidationError):
            actions.void_transfer(t, acting_user=carla, reason=" ")
        actions.void_transfer(t, acting_user=carla, reason="Paid twice by mistake")
        with pytest.raises(ValidationError):
            actions.void_transfer(t, acting_user=carla, reason="again")
    t.refresh_from_db()
    assert t.voided_at is not None and t.void_reason == "Paid twice by mistake"
    event = AuditEvent.objects.filter(object_uuid=str(t.uuid), action="update").get()
    assert "Paid twice" in event.reason


def test_an_msl_may_not_void(record, world, hcp, acting):
    t = record(recipient_hcp=hcp)
    with acting(world["alice"]), pytest.raises(PermissionDenied):
        actions.void_transfer(t, acting_user=world["alice"], reason="x")


def test_it_corrects_by_voiding_and_recording_again(record, world, hcp, acting):
    t = record(recipient_hcp=hcp, amount="1500.00")
    carla = world["carla"]
    with acting(carla):
        new = actions.correct_transfer(
            t,
            acting_user=carla,
            reason="Amount was 1,250",
            recipient_hcp=hcp,
            nature="consulting_fee",
            paid_on=PAID,
            amount="1250.00",
            currency="USD",
            country="US",
        )
    t.refresh_from_db()
    assert t.voided_at is not None and t.replaced_by == new
    assert new.amount == Decimal("1250.00") and new.voided_at is None


def test_it_records_consent_once_per_year_and_keeps_the_change_audited(world, hcp, acting):
    carla = world["carla"]
    with acting(carla):
        first = actions.record_consent(acting_user=carla, hcp=hcp, year=2026, consented=True)
        second = actions.record_consent(acting_user=carla, hcp=hcp, year=2026, consented=False)
    assert first.pk == second.pk and DisclosureConsent.objects.get().consented is False
    assert AuditEvent.objects.filter(object_uuid=str(first.uuid), action="update").exists()


# --- row policy ----------------------------------------------------------------------------------------------


def test_field_roles_see_their_teams_hcps_and_what_they_recorded(record, world, hcp):
    t = record(recipient_hcp=hcp)

    def sees(name: str) -> bool:
        return TransferOfValue.objects.restrict(world[name], "view").filter(pk=t.pk).exists()

    assert sees("alice") and sees("mona") and sees("carla") and sees("otto") and sees("lena")
    assert not sees("bob")
    assert not sees("dave") and not sees("iris") and not sees("sam")
    bobs = record(user=world["bob"], recipient_hcp=hcp, nature="honorarium")
    assert TransferOfValue.objects.restrict(world["bob"], "view").get() == bobs


# --- import --------------------------------------------------------------------------------------------------

HEADER = "external_id,recipient_npi,nature,paid_on,amount,currency,country,products,study_name,nct_id\n"


def _import(world, acting, text, dry_run=False, user="carla"):
    with acting(world[user]):
        return actions.import_transfers(acting_user=world[user], data=text.encode(), dry_run=dry_run)


def test_it_imports_a_file_and_a_second_import_changes_nothing(world, hcp, acting):
    text = (
        HEADER
        + "P-1,1234567893,consulting_fee,2026-02-01,2500.00,USD,US,Onkotrex,,\n"
        + 'P-2,1234567893,research,2026-02-03,"12,000.00",USD,US,,ONK-301,NCT01234567\n'
    )
    first = _import(world, acting, text)
    assert (first.rows, first.created, first.unchanged, first.refused) == (2, 2, 0, [])
    again = _import(world, acting, text)
    assert (again.rows, again.created, again.unchanged, again.refused) == (2, 0, 2, [])
    assert TransferOfValue.objects.count() == 2
    assert TransferOfValue.objects.get(external_id="P-2").amount == Decimal("12000.00")


def test_it_reports_every_bad_row_by_line_and_field_and_loses_nothing(world, hcp, acting):
    _import(world, acting, HEADER + "P-1,1234567893,consulting_fee,2026-02-01,2500.00,USD,US,,,\n")
    text = (
        HEADER
        + "P-3,1234567893,consulting_fee,2026-02-01,-5,USD,US,,,\n"  # line 2: amount
        + "P-4,9999999999,honorarium,2026-02-01,100,USD,US,,,\n"  # line 3: unknown NPI
        + "P-1,1234567893,consulting_fee,2026-02-01,9999.00,USD,US,,,\n"  # line 4: changed values
        + "P-5,1234567893,honorarium,01/02/2026,100,USD,US,,,\n"  # line 5: date format
        + "\n"
        + "P-6,1234567893,honorarium,2026-02-01,100,USD\n"  # line 7: short row
        + ",1234567893,honorarium,2026-02-01,100,USD,US,,,\n"  # line 8: no external id
        + "P-7,1234567893,honorarium,2026-02-01,100,USD,US,,,\n"  # line 9: fine
    )
    report = _import(world, acting, text)
    refused = {(r.line, r.field) for r in report.refused}
    assert refused == {
        (2, "amount"),
        (3, "recipient_npi"),
        (4, "external_id"),
        (5, "paid_on"),
        (7, "__all__"),
        (8, "external_id"),
    }
    assert report.rows == 7 and report.created == 1 and report.unchanged == 0
    assert report.created + report.unchanged + report.refused_rows == report.rows
    assert "amount" in next(r.message for r in report.refused if r.line == 4)


def test_a_dry_run_reports_and_writes_nothing(world, hcp, acting):
    before = AuditEvent.objects.count()
    report = _import(
        world, acting, HEADER + "P-1,1234567893,consulting_fee,2026-02-01,2500.00,USD,US,,,\n", dry_run=True
    )
    assert report.created == 1 and report.dry_run
    assert not TransferOfValue.objects.exists()
    assert AuditEvent.objects.count() == before


def test_the_import_is_one_audit_event_with_its_counts(world, hcp, acting):
    _import(
        world,
        acting,
        HEADER + "P-1,1234567893,consulting_fee,2026-02-01,2500.00,USD,US,,,\nP-2,1,x,y,z,USD,US,,,\n",
    )
    event = AuditEvent.objects.get(event_type="transferofvalue.imported")
    assert event.changes["counts"][1] == {"rows": 2, "created": 1, "unchanged": 0, "refused": 1}
    assert event.actor_username == "carla"


def test_it_refuses_a_file_with_unknown_or_missing_columns(world, acting):
    with pytest.raises(ValidationError) as exc:
        _import(world, acting, "external_id,amount,colour\nP-1,5,red\n")
    message = exc.value.message_dict["file"][0]
    assert "colour" in message and "nature" in message


def test_only_compliance_and_admin_import(world, acting):
    with pytest.raises(PermissionDenied):
        _import(world, acting, HEADER, user="alice")


# --- merge ---------------------------------------------------------------------------------------------------


def test_a_merge_moves_transfers_and_consents_to_the_survivor(record, world, hcp, acting, system_context):
    from liaison.people.actions import create_hcp, merge_hcps

    duplicate = create_hcp(
        acting_user=None,
        data={"first_name": "Grace", "last_name": "Hopkins", "city": "Des Moines", "owner": world["alice"]},
        allow_duplicate=True,
    )
    t = record(recipient_hcp=duplicate)
    with acting(world["carla"]):
        actions.record_consent(acting_user=world["carla"], hcp=duplicate, year=2026, consented=True)
    merge_hcps(hcp, duplicate, acting_user=None, reason="same person")
    t.refresh_from_db()
    assert t.recipient_hcp == hcp
    assert DisclosureConsent.objects.get().hcp == hcp
