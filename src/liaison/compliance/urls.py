"""The audit log and chain verification."""

from django.urls import path

from . import views

app_name = "compliance"
urlpatterns = [
    path("", views.audit_list, name="audit_list"),
    path("verify/", views.audit_verify, name="audit_verify"),
]
