"""Home, sign-in and sign-out."""

from django.urls import path

from . import home

urlpatterns = [
    path("", home.home, name="home"),
    path("login/", home.LoginView.as_view(), name="login"),
    path("logout/", home.logout_view, name="logout"),
]
