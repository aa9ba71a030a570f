"""Engagement plans, standing interests and overdue follow-ups (mounted at /plans/)."""

from django.urls import path

from . import views

app_name = "planning"
urlpatterns = [
    path("", views.plan_list, name="plan_list"),
    path("new/", views.plan_new, name="plan_new"),
    path("overdue/", views.overdue, name="overdue"),
    path("hcp/<uuid:uuid>/", views.hcp_tab, name="hcp_tab"),
    path("hcp/<uuid:uuid>/interests/", views.interest_new, name="interest_new"),
    path("interests/<uuid:uuid>/renew/", views.interest_renew, name="interest_renew"),
    path("<uuid:uuid>/", views.plan_detail, name="plan_detail"),
]
