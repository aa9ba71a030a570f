"""HCP directory, autocomplete, record pages, create, edit and merge; external people and organisation search."""

from django.urls import path

from . import views

app_name = "people"
urlpatterns = [
    path("", views.hcp_list, name="hcp_list"),
    path("autocomplete/", views.hcp_autocomplete, name="hcp_autocomplete"),
    path("new/", views.hcp_new, name="hcp_new"),
    path("external/", views.external_list, name="external_list"),
    path("external/new/", views.external_new, name="external_new"),
    path("external/autocomplete/", views.external_autocomplete, name="external_autocomplete"),
    path("external/<uuid:uuid>/edit/", views.external_edit, name="external_edit"),
    path("organizations/autocomplete/", views.organization_autocomplete, name="organization_autocomplete"),
    path("<uuid:uuid>/", views.hcp_detail, name="hcp_detail"),
    path("<uuid:uuid>/edit/", views.hcp_edit, name="hcp_edit"),
    path("<uuid:uuid>/merge/", views.hcp_merge, name="hcp_merge"),
]
