"""HCP directory, autocomplete, record pages, create, edit and merge."""

from django.urls import path

from . import views

app_name = "people"
urlpatterns = [
    path("", views.hcp_list, name="hcp_list"),
    path("autocomplete/", views.hcp_autocomplete, name="hcp_autocomplete"),
    path("new/", views.hcp_new, name="hcp_new"),
    path("<uuid:uuid>/", views.hcp_detail, name="hcp_detail"),
    path("<uuid:uuid>/edit/", views.hcp_edit, name="hcp_edit"),
    path("<uuid:uuid>/merge/", views.hcp_merge, name="hcp_merge"),
]
