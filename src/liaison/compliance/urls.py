"""The audit log and chain verification."""

from django.urls import path

from . import flag_views, views

app_name = "compliance"
urlpatterns = [
    path("", views.audit_list, name="audit_list"),
    path("verify/", views.audit_verify, name="audit_verify"),
    path("flags/", flag_views.flags_queue, name="flags_queue"),
    path("flags/export.csv", flag_views.flags_queue_csv, name="flags_queue_csv"),
]
