"""The disclosure files: CMS Open Payments rules and the round trip through the project's own Open Payments
reader; the EFPIA disclosure with non-consenting HCPs in the aggregate."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from liaison.core.permissions import PermissionDenied
from liaison.transparency import actions
from liaison.transparency.cms import cms_export, npi_is_valid
from liaison.transparency.efpia import Category, efpia_disclosure
from liaison_pipelines.sources.open_payments import iter_open_payments


def _parse(tmp_path, result):
    path = tmp_path / result.filename
    path.write_text(result.to_csv(), encoding="utf-8")
    skipped: list[str] = []
    return list(iter_open_payments(path, skipped.append)), skipped


def test_it_checks_npi_check_digits():
    assert npi_is_valid("1234567893")
    assert not npi_is_valid("1234567890")
    assert not npi_is_valid("123456789")
    assert not npi_is_valid("")


def test_general_payments_round_trip_through_the_projects_parser(record, hcp, hospital, world, tmp_path):
    fee = record(recipient_hcp=hcp, amount="2500.00", paid_on=dt.date(2026, 2, 1), products=["Onkotrex"])
    meal = record(recipient_hcp=hcp, nature="food_beverage", amount="84.20", paid_on=dt.date(2026, 2, 1))
    travel = record(recipient_hcp=hcp, nature="lodging", amount="412.00", form_of_payment="in_kind")
    grant = record(
        recipient_organization=hospital, nature="grant", amount="50000", register_ids={"CCN": "160058"}
    )
    result = cms_export(world["carla"], kind="cms-general", year=2026)
    assert result.refusals == []
    payments, skipped = _parse(tmp_path, result)
    assert skipped == []
    assert all(p.kind == "general" and p.program_year == 2026 for p in payments)
    got = {p.record_id: p for p in payments}
    expected = {
        fee: "Consulting Fee",
        meal: "Food and Beverage",
        travel: "Travel and Lodging",
        grant: "Grant",
    }
    assert set(got) == {str(t.uuid) for t in expected}
    for t, nature in expected.items():
        p = got[str(t.uuid)]
        assert Decimal(str(p.amount_usd)) == t.amount
        assert p.date == t.paid_on
        assert p.nature_of_payment == nature
    assert (got[str(fee.uuid)].npi, got[str(fee.uuid)].last_name) == ("1234567893", "Hopkins")
    assert got[str(fee.uuid)].drug_names == ["Onkotrex"]
    assert got[str(travel.uuid)].form_of_payment == "In-kind items and services"
    assert got[str(grant.uuid)].teaching_hospital_name == "University of Iowa Hospitals"


def test_research_payments_round_trip_with_their_study(record, hcp, world, tmp_path):
    t = record(
        recipient_hcp=hcp,
        nature="research",
        study_name="ONK-301 phase 3",
        nct_id="NCT01234567",
        amount="18000",
    )
    record(recipient_hcp=hcp)  # a general payment: not in the research file
    result = cms_export(world["carla"], kind="cms-research", year=2026)
    (payment,), skipped = _parse(tmp_path, result)
    assert skipped == []
    assert payment.kind == "research" and payment.record_id == str(t.uuid)
    assert (payment.study_name, payment.nct_id, payment.npi) == (
        "ONK-301 phase 3",
        "NCT01234567",
        "1234567893",
    )
    assert payment.amount_usd == 18000.0 and payment.date == t.paid_on
    assert [pi.npi for pi in payment.principal_investigators] == ["1234567893"]


def test_it_refuses_what_breaks_a_cms_rule_and_leaves_other_countries_out(
    record, hcp, hospital, world, acting, system_context
):
    from liaison.people.actions import create_hcp

    no_npi = create_hcp(
        acting_user=None, data={"first_name": "Sam", "last_name": "Nonpi", "city": "Ames", "state": "IA"}
    )
    eur = record(recipient_hcp=hcp, currency="EUR")
    bad_npi = record(recipient_hcp=no_npi)
    no_ccn = record(recipient_organization=hospital, nature="grant")
    registration = record(recipient_hcp=hcp, nature="registration_fee")
    record(recipient_hcp=hcp, country="FR", currency="EUR")  # outside the US: not CMS's
    ok = record(recipient_hcp=hcp)
    void = record(recipient_hcp=hcp)
    record(recipient_hcp=hcp, paid_on=dt.date(2025, 12, 31))  # another program year
    with acting(world["carla"]):
        actions.void_transfer(void, acting_user=world["carla"], reason="duplicate")
    result = cms_export(world["carla"], kind="cms-general", year=2026)
    refused = {(r.transfer, r.field) for r in result.refusals}
    assert refused == {
        (str(eur.uuid), "currency"),
        (str(bad_npi.uuid), "npi"),
        (str(no_ccn.uuid), "recipient_organization"),
        (str(registration.uuid), "nature"),
    }
    assert [row[result.columns.index("Record_ID")] for row in result.rows] == [str(ok.uuid)]
    assert result.out_of_scope == 1


def test_only_export_roles_may_export(world):
    for name in ("alice", "dave", "lena"):
        with pytest.raises(PermissionDenied):
            cms_export(world[name], kind="cms-general", year=2026)
    assert cms_export(world["otto"], kind="cms-general", year=2026).rows == []


def test_efpia_aggregates_hcps_without_consent(record, french_hcps, world, acting, system_context):
    from liaison.people.actions import save_organization

    claire, hugo, ines = french_hcps
    carla = world["carla"]
    with acting(carla):
        actions.record_consent(acting_user=carla, hcp=claire, year=2026, consented=True)
        actions.record_consent(acting_user=carla, hcp=hugo, year=2026, consented=False)
    chu = save_organization(
        None, acting_user=None, data={"name": "CHU de Lyon", "city": "Lyon", "country": "FR"}
    )
    fr = {"country": "FR", "currency": "EUR"}
    record(recipient_hcp=claire, amount="1200", register_ids={"RPPS": "10001234567"}, **fr)
    record(recipient_hcp=claire, nature="travel", amount="300", source_kind="contract", **fr)
    record(recipient_hcp=hugo, amount="800", **fr)
    record(recipient_hcp=hugo, nature="registration_fee", amount="450", **fr)
    record(recipient_hcp=ines, amount="700", **fr)
    record(recipient_hcp=ines, nature="food_beverage", amount="60", **fr)
    record(recipient_organization=chu, nature="grant", amount="20000", **fr)
    record(recipient_hcp=ines, nature="research", study_name="ONK-301", amount="5000", **fr)
    record(recipient_hcp=claire, amount="999", **fr, paid_on=dt.date(2025, 6, 1))  # another year
    record(recipient_hcp=claire, amount="999")  # another country

    out = efpia_disclosure(carla, year=2026, country="fr")
    individual = {(line.recipient_type, line.recipient): line for line in out.individual}
    assert set(individual) == {("HCP", "Claire Martin"), ("HCO", "CHU de Lyon")}
    claire_line = individual[("HCP", "Claire Martin")]
    assert claire_line.amounts == {
        Category.SERVICE_FEES: Decimal("1200.00"),
        Category.SERVICE_EXPENSES: Decimal("300.00"),
    }
    assert "RPPS 10001234567" in claire_line.identifiers
    assert individual[("HCO", "CHU de Lyon")].amounts == {Category.DONATIONS_GRANTS: Decimal("20000.00")}
    agg = out.aggregates["EUR"]
    assert agg.amounts == {
        Category.SERVICE_FEES: Decimal("1500.00"),
        Category.EVENT_REGISTRATION: Decimal("450.00"),
    }
    assert agg.recipients[Category.SERVICE_FEES] == {hugo.pk, ines.pk}
    assert agg.share(Category.SERVICE_FEES) == "66.7%"
    assert agg.share(Category.EVENT_REGISTRATION) == "100.0%"
    assert out.research == {"EUR": Decimal("5000.00")}
    assert out.not_disclosed == 1
    text = out.to_csv()
    assert "Claire Martin" in text and "Hugo" not in text and "Petit" not in text
    assert "Recipients without consent" in text and "66.7%" in text


def test_efpia_refuses_grants_to_individual_hcps(record, french_hcps, world):
    t = record(recipient_hcp=french_hcps[0], nature="grant", country="FR", currency="EUR")
    out = efpia_disclosure(world["carla"], year=2026, country="FR")
    assert [(r.transfer, r.field) for r in out.refusals] == [(str(t.uuid), "nature")]


def test_small_payments_are_left_out_until_the_recipients_year_exceeds_the_aggregate(
    record, hcp, world, acting, system_context, settings
):
    from liaison.people.actions import create_hcp

    settings.TRANSPARENCY_CMS_SMALL_PAYMENT = "13.46"
    settings.TRANSPARENCY_CMS_SMALL_PAYMENT_AGGREGATE = "134.54"
    coffee = record(recipient_hcp=hcp, nature="food_beverage", amount="9.80")
    other = create_hcp(
        acting_user=None,
        data={"first_name": "Ann", "last_name": "Lee", "city": "Ames", "state": "IA", "npi": "1245319599"},
    )
    small = record(recipient_hcp=other, nature="food_beverage", amount="12.00")
    big = record(recipient_hcp=other, nature="consulting_fee", amount="500.00")
    result = cms_export(world["carla"], kind="cms-general", year=2026)
    written = {row[result.columns.index("Record_ID")] for row in result.rows}
    # Grace's year is 9.80 in all: her small payment need not be reported. Ann's year is 512.00, over the
    # aggregate, so her 12.00 meal is reported with her fee.
    assert str(coffee.uuid) not in written
    assert {str(small.uuid), str(big.uuid)} <= written
    assert result.below_threshold == 1
    assert "1 small payment(s) below the reporting threshold" in result.summary()
