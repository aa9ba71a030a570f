"""The pre-call brief of an HCP."""

from django.urls import path

from . import views

app_name = "briefs"
urlpatterns = [
    path("<uuid:uuid>/", views.brief_page, name="brief"),
]
