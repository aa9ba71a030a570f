"""URL map: web pages per app, the REST API under /api/v1/."""

from django.urls import include, path

urlpatterns: list = []
