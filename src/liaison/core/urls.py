"""Home, sign-in and sign-out, and the home page's "mark follow-up done" button."""

from django.urls import path

from . import home

urlpatterns = [
    path("", home.home, name="home"),
    path("login/", home.LoginView.as_view(), name="login"),
    path("logout/", home.logout_view, name="logout"),
    path("home/follow-ups/<uuid:uuid>/done/", home.follow_up_done, name="follow_up_done"),
]
