"""KOL pages: ranking, breakdown, HCP tab, co-author network, rising stars, sensitivity, diff, identity queue."""

from django.urls import path

from . import views

app_name = "kol"
urlpatterns = [
    path("", views.ranking, name="ranking"),
    path("scores/<uuid:uuid>/", views.score_detail, name="score_detail"),
    path("hcp/<uuid:uuid>/", views.hcp_tab, name="hcp_tab"),
    path("network/<str:person_id>/", views.network, name="network"),
    path("rising/", views.rising, name="rising"),
    path("sensitivity/", views.sensitivity, name="sensitivity"),
    path("diff/", views.diff, name="diff"),
    path("identity/", views.identity_queue, name="identity_queue"),
    path("identity/<uuid:uuid>/decide/", views.identity_decide, name="identity_decide"),
]
