"""Insight intelligence pages (mounted at /intel/)."""

from django.urls import path

from . import views

app_name = "intel"
urlpatterns = [
    path("search/", views.search, name="search"),
    path("themes/", views.theme_queue, name="theme_queue"),
    path("insights/<uuid:uuid>/", views.insight_theme, name="insight_theme"),
    path("clusters/", views.clusters, name="clusters"),
    path("trends/", views.trends_page, name="trends"),
]
