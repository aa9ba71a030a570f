"""Insights: list, capture, review queue, one insight and its edit page (mounted at /insights/)."""

from django.urls import path

from . import views

app_name = "insights"
urlpatterns = [
    path("", views.insight_list, name="insight_list"),
    path("new/", views.insight_new, name="insight_new"),
    path("review/", views.insight_review, name="insight_review"),
    path("<uuid:uuid>/", views.insight_detail, name="insight_detail"),
    path("<uuid:uuid>/edit/", views.insight_edit, name="insight_edit"),
]
