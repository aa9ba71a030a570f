"""Stakeholder pages under /stakeholders/."""

from django.urls import path

from . import views

app_name = "stakeholders"

urlpatterns = [
    path("", views.stakeholder_list, name="stakeholder_list"),
    path("<uuid:uuid>/", views.stakeholder_detail, name="stakeholder_detail"),
    path("<uuid:uuid>/digest/", views.digest_preview, name="digest_preview"),
    path("<uuid:uuid>/digest/body/", views.digest_preview_body, name="digest_preview_body"),
    path("<uuid:uuid>/digest.pdf", views.digest_pdf, name="digest_pdf"),
    path("<uuid:uuid>/send/", views.digest_send, name="digest_send"),
    path("<uuid:uuid>/feedback/", views.feedback_new, name="feedback_new"),
]
