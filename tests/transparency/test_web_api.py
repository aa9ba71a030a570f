"""The transparency pages, the HCP profile tab, the REST API and the command line."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from click.testing import CliRunner

from liaison.cli import main
from liaison.transparency import actions
from liaison.transparency.models import TransferOfValue
from personas import PASSWORD


def login(client: Any, user: Any) -> Any:
    assert client.login(username=user.username, password=PASSWORD)
    return client


PAGES = ("/transparency/", "/transparency/new/", "/transparency/exports/", "/transparency/import/")


@pytest.mark.parametrize("url", PAGES)
def test_the_pages_render_for_compliance_and_refuse_commercial(client, world, record, hcp, url):
    record(recipient_hcp=hcp)
    assert login(client, world["carla"]).get(url).status_code == 200
    client.logout()
    assert login(client, world["dave"]).get(url).status_code == 403


def test_the_ledger_filters_and_shows_the_nav_link(client, world, record, hcp, hospital):
    record(recipient_hcp=hcp, nature="honorarium")
    record(recipient_organization=hospital, nature="grant", amount="9000")
    page = login(client, world["carla"]).get("/transparency/", {"nature": "grant"}).content.decode()
    assert "University of Iowa Hospitals" in page and "Grace Hopkins" not in page
    page = client.get("/transparency/", {"recipient": "hopk"}).content.decode()
    assert "Grace Hopkins" in page and "University of Iowa" not in page
    assert 'href="/transparency/"' in page


def test_the_form_records_a_transfer_and_shows_errors_next_to_fields(client, world, hcp):
    login(client, world["carla"])
    data = {
        "recipient_hcp": str(hcp.uuid),
        "nature": "research",
        "form_of_payment": "cash",
        "paid_on": "2026-03-01",
        "amount": "250.00",
        "currency": "USD",
        "country": "US",
        "source_kind": "manual",
    }
    response = client.post("/transparency/new/", data)
    assert response.status_code == 422
    assert "research payment needs the name of the study" in response.content.decode()
    response = client.post("/transparency/new/", {**data, "study_name": "ONK-301"})
    assert response.status_code == 302
    assert TransferOfValue.objects.get().study_name == "ONK-301"


def test_the_detail_page_voids_with_a_reason(client, world, record, hcp):
    t = record(recipient_hcp=hcp)
    login(client, world["carla"])
    assert client.post(f"/transparency/{t.uuid}/", {"reason": ""}).status_code == 422
    assert client.post(f"/transparency/{t.uuid}/", {"reason": "Duplicate"}).status_code == 302
    t.refresh_from_db()
    assert t.void_reason == "Duplicate"
    assert "Void" in client.get(f"/transparency/{t.uuid}/").content.decode()


def test_the_exports_page_lists_refusals_and_downloads(client, world, record, hcp):
    record(recipient_hcp=hcp)
    refused = record(recipient_hcp=hcp, currency="CAD")
    login(client, world["carla"])
    page = client.get("/transparency/exports/", {"kind": "cms-general", "year": 2026}).content.decode()
    assert str(refused.uuid) in page and "US dollars only" in page
    response = client.get("/transparency/exports/download/", {"kind": "cms-general", "year": 2026})
    assert response["X-Refusals"] == "1"
    assert b"Covered_Recipient_NPI" in response.content and b"1234567893" in response.content


def test_the_import_page_previews_then_imports(client, world, hcp):
    login(client, world["carla"])
    csv_text = "external_id,recipient_npi,nature,paid_on,amount,currency,country\nW-1,1234567893,honorarium,2026-01-05,300,USD,US\nW-2,1234567893,honorarium,2026-01-05,x,USD,US\n"

    def upload(dry_run: bool) -> Any:
        from django.core.files.uploadedfile import SimpleUploadedFile

        data = {"file": SimpleUploadedFile("p.csv", csv_text.encode(), "text/csv")}
        if dry_run:
            data["dry_run"] = "on"
        return client.post("/transparency/import/", data)

    preview = upload(True)
    assert preview.status_code == 422 and "1 would be created" in preview.content.decode()
    assert not TransferOfValue.objects.exists()
    done = upload(False).content.decode()
    assert "1 created" in done and "<td>3</td>" in done
    assert TransferOfValue.objects.count() == 1


def test_the_hcp_tab_shows_the_yearly_summary_to_the_owner_and_compliance_only(client, world, record, hcp):
    record(recipient_hcp=hcp, amount="1000")
    record(recipient_hcp=hcp, amount="500", paid_on=dt.date(2026, 5, 1))
    record(recipient_hcp=hcp, nature="food_beverage", amount="45.50", paid_on=dt.date(2025, 5, 1))
    url = f"/hcps/{hcp.uuid}/?tab=transfers"
    for name in ("alice", "carla"):
        page = login(client, world[name]).get(url).content.decode()
        assert "1500.00" in page and "45.50" in page and "Food and beverage" in page, name
        client.logout()
    page = login(client, world["bob"]).get(url).content.decode()
    assert "No transfers of value you can see" in page and "1500.00" not in page
    client.logout()
    page = login(client, world["dave"]).get(url).content.decode()
    assert "Transfers of value" not in page


def test_consent_is_recorded_from_the_hcp_tab(client, world, hcp):
    login(client, world["carla"])
    response = client.post("/transparency/consent/", {"hcp": str(hcp.uuid), "year": 2026, "consented": "no"})
    assert response.status_code == 302
    assert hcp.disclosure_consents.get().consented is False


# --- API ------------------------------------------------------------------------------------------------------


def _body(hcp: Any, **extra: Any) -> dict[str, Any]:
    return {
        "recipient_hcp": str(hcp.uuid),
        "nature": "consulting_fee",
        "paid_on": "2026-03-01",
        "amount": "1200.00",
        "currency": "USD",
        "country": "US",
        **extra,
    }


def test_the_api_creates_lists_reads_and_voids(api, hcp):
    carla = api("carla")
    created = carla.post("/transfers-of-value", _body(hcp))
    assert created.status_code == 201, created.content
    uuid = created.json()["uuid"]
    assert carla.get("/transfers-of-value", year=2026).json()["count"] == 1
    assert carla.get("/transfers-of-value", nature="grant").json()["count"] == 0
    assert api("bob").get("/transfers-of-value").json()["count"] == 0
    assert api("bob").get(f"/transfers-of-value/{uuid}").status_code == 404
    voided = carla.post(f"/transfers-of-value/{uuid}/void", {"reason": "wrong HCP"})
    assert voided.status_code == 200 and voided.json()["void_reason"] == "wrong HCP"
    assert carla.get("/transfers-of-value", include_void="false").json()["count"] == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": "-1"}, "amount"),
        ({"amount": "1.234"}, "amount"),
        ({"currency": "usdollar"}, "currency"),
        ({"nature": "bribe"}, "nature"),
        ({"paid_on": "2099-01-01"}, "paid_on"),
        ({"recipient_hcp": None}, None),
        ({"recipient_organization": "0b6c1b8e-5f0e-4c1a-9d3e-2a7f4c6e9b10"}, "recipient_organization"),
    ],
)
def test_the_api_answers_bad_input_with_422_json(api, hcp, body, field):
    response = api("carla").post("/transfers-of-value", _body(hcp, **body))
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert isinstance(detail, list) and detail
    if field:
        assert any(field in d["loc"] for d in detail), detail


def test_the_api_refuses_commercial_and_msl_voids(api, hcp, record):
    t = record(recipient_hcp=hcp)
    assert api("dave").get("/transfers-of-value").status_code == 403
    assert api("dave").get("/transparency/exports/cms-general", year=2026).status_code == 403
    response = api("alice").post(f"/transfers-of-value/{t.uuid}/void", {"reason": "x"})
    assert response.status_code == 403 and "detail" in response.json()


def test_the_api_exports_csv_or_json_with_refusals(api, hcp, record):
    ok = record(recipient_hcp=hcp)
    bad = record(recipient_hcp=hcp, currency="EUR")
    otto = api("otto")
    csv_response = otto.get("/transparency/exports/cms-general", year=2026)
    assert csv_response.status_code == 200 and csv_response["X-Refusals"] == "1"
    assert str(ok.uuid).encode() in csv_response.content
    data = otto.get("/transparency/exports/cms-general", year=2026, format="json").json()
    assert [r["transfer"] for r in data["refusals"]] == [str(bad.uuid)]
    assert len(data["rows"]) == 1 and "Record_ID" in data["columns"]
    assert otto.get("/transparency/exports/efpia", year=2026, country="FR", format="json").status_code == 200
    assert otto.get("/transparency/exports/nonsense", year=2026).status_code == 404
    assert otto.get("/transparency/exports/cms-general", year=1800).status_code == 422


def test_the_api_records_consent(api, hcp):
    response = api("carla").post(
        "/transfers-of-value/consents", {"hcp": str(hcp.uuid), "year": 2026, "consented": True}
    )
    assert response.status_code == 201 and response.json()["consented"] is True


# --- CLI ------------------------------------------------------------------------------------------------------


def test_the_cli_imports_then_exports(world, hcp, tmp_path):
    source = tmp_path / "payments.csv"
    source.write_text(
        "external_id,recipient_npi,nature,paid_on,amount,currency,country\n"
        "C-1,1234567893,honorarium,2026-01-05,300,USD,US\n"
    )
    runner = CliRunner()
    dry = runner.invoke(main, ["transparency", "import", str(source), "--dry-run", "--as", "carla"])
    assert dry.exit_code == 0, dry.output
    assert "1 would be created" in dry.output and not TransferOfValue.objects.exists()
    done = runner.invoke(main, ["transparency", "import", str(source), "--as", "carla"])
    assert done.exit_code == 0 and TransferOfValue.objects.count() == 1
    out = tmp_path / "general.csv"
    export = runner.invoke(
        main,
        [
            "transparency",
            "export",
            "--kind",
            "cms-general",
            "--year",
            "2026",
            "--out",
            str(out),
            "--as",
            "carla",
        ],
    )
    assert export.exit_code == 0, export.output
    assert "1234567893" in out.read_text()
    denied = runner.invoke(
        main,
        ["transparency", "export", "--kind", "efpia", "--year", "2026", "--out", str(out), "--as", "alice"],
    )
    assert denied.exit_code == 2


def test_void_through_actions_is_visible_in_the_api(api, world, hcp, record, acting):
    t = record(recipient_hcp=hcp)
    with acting(world["ada"]):
        actions.void_transfer(t, acting_user=world["ada"], reason="test")
    assert api("carla").get(f"/transfers-of-value/{t.uuid}").json()["voided_at"] is not None
