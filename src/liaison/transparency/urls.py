"""Transfers of value and disclosure files (mounted at /transparency/)."""

from django.urls import path

from . import views

app_name = "transparency"
urlpatterns = [
    path("", views.ledger_list, name="ledger"),
    path("new/", views.transfer_new, name="transfer_new"),
    path("exports/", views.exports, name="exports"),
    path("exports/download/", views.export_download, name="export_download"),
    path("import/", views.import_page, name="import"),
    # The HCP (consent) and the void travel in the POST body: no more uuid routes than needed for crawls to walk.
    path("consent/", views.hcp_consent, name="hcp_consent"),
    path("<uuid:uuid>/", views.transfer_detail, name="transfer_detail"),
]
