"""Home page, sign-in (throttled) and sign-out."""

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def home(request):
    return render(request, "core/error.html", {"title": "Home", "message": "Welcome"})


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"


logout_view = auth_views.LogoutView.as_view()
