"""The demo's transfers: both disclosure files come out non-trivial, with some refusals to show."""

from __future__ import annotations

import datetime as dt

from liaison.transparency.cms import cms_export
from liaison.transparency.demo import _npi, load_transparency_demo
from liaison.transparency.efpia import efpia_disclosure
from liaison.transparency.models import TransferOfValue


def test_its_synthetic_npis_pass_the_check_digit():
    from liaison.transparency.cms import npi_is_valid

    assert all(npi_is_valid(_npi(n)) for n in range(1000, 1050))


def test_the_demo_gives_both_exports_rows(world, acting, system_context):
    from liaison.people.actions import create_hcp

    us = [
        create_hcp(
            acting_user=None,
            data={
                "first_name": f"Pat{i}",
                "last_name": "Iowan",
                "city": "Iowa City",
                "state": "IA",
                "country": "United States",
                "owner": world["alice"],
            },
            allow_duplicate=True,
        )
        for i in range(8)
    ]
    today = dt.date(2026, 12, 7)
    counts = load_transparency_demo(
        acting=acting, compliance=world["carla"], owner=world["alice"], hcps={"Oncology": us}, today=today
    )
    assert counts["transfers"] == TransferOfValue.objects.count() > 40
    general = cms_export(world["carla"], kind="cms-general", year=2026)
    research = cms_export(world["carla"], kind="cms-research", year=2026)
    assert len(general.rows) > 20 and research.rows
    assert {r.field for r in general.refusals} == {"npi"}  # one HCP in seven has no NPI to report
    fr = efpia_disclosure(world["carla"], year=2026, country="FR")
    assert fr.individual and fr.aggregates["EUR"].amounts
    assert TransferOfValue.objects.filter(voided_at__isnull=False).count() == 1
    assert all(t.paid_on <= today for t in TransferOfValue.objects.all())
