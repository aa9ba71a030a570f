"""Safety reports: the queue and one report with its triage (mounted at /safety/)."""

from django.urls import path

from . import views

app_name = "safety"
urlpatterns = [
    path("", views.report_list, name="report_list"),
    path("<uuid:uuid>/", views.report_detail, name="report_detail"),
]
