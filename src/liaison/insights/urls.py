"""Insights: list, capture, review queue, the de-identified report, one insight and its edit page (mounted at
/insights/)."""

from django.urls import path

from . import views

app_name = "insights"
urlpatterns = [
    path("", views.insight_list, name="insight_list"),
    path("new/", views.insight_new, name="insight_new"),
    path("review/", views.insight_review, name="insight_review"),
    path("report/", views.insight_report, name="insight_report"),
    path("report.csv", views.insight_report_csv, name="insight_report_csv"),
    path("<uuid:uuid>/", views.insight_detail, name="insight_detail"),
    path("<uuid:uuid>/edit/", views.insight_edit, name="insight_edit"),
    path("<uuid:uuid>/release/", views.insight_release, name="insight_release"),
]
