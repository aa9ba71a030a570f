"""Interactions, follow-ups and the live adverse-event and compliance-flag checks (mounted at /interactions/)."""

from django.urls import path

from . import views

app_name = "engagement"
urlpatterns = [
    path("", views.interaction_list, name="interaction_list"),
    path("new/", views.interaction_new, name="interaction_new"),
    path("ae-check/", views.ae_check, name="ae_check"),
    path("flag-check/", views.flag_check, name="flag_check"),
    path("follow-ups/", views.follow_up_list, name="follow_up_list"),
    path("follow-ups/<uuid:uuid>/status/", views.follow_up_update, name="follow_up_update"),
    path("<uuid:uuid>/", views.interaction_detail, name="interaction_detail"),
    path("<uuid:uuid>/edit/", views.interaction_edit, name="interaction_edit"),
    path("<uuid:uuid>/feedback/", views.interaction_feedback, name="interaction_feedback"),
]
