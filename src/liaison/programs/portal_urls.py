"""The participant portal of asynchronous advisory boards (mounted at /portal/; programs/portal_views.py)."""

from django.urls import path

from . import portal_views as views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("enter/<str:token>/", views.enter, name="enter"),
    path("access/<uuid:uuid>/code/", views.code, name="code"),
    path("access/<uuid:uuid>/terms/", views.terms, name="terms"),
    path("boards/<uuid:uuid>/", views.board, name="board"),
    path("boards/<uuid:uuid>/questions/<uuid:question>/reply/", views.reply, name="reply"),
    path("boards/<uuid:uuid>/heartbeat/", views.heartbeat, name="heartbeat"),
]
