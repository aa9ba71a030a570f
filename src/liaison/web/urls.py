"""URL map: the home page, sign-in, web pages per app, the REST API under /api/v1/."""

from django.urls import include, path

from liaison.accounts import signin

from . import home
from .api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("", home.home, name="home"),
    path("login/", signin.LoginView.as_view(), name="login"),
    path("logout/", signin.logout_view, name="logout"),
    path("home/follow-ups/<uuid:uuid>/done/", home.follow_up_done, name="follow_up_done"),
    path("accounts/", include("liaison.accounts.urls")),
    path("hcps/", include("liaison.people.urls")),
    path("interactions/", include("liaison.engagement.urls")),
    path("insights/", include("liaison.insights.urls")),
    path("inquiries/", include("liaison.medinfo.urls")),
    path("safety/", include("liaison.safety.urls")),
    path("kol/", include("liaison.kol.urls")),
    path("briefs/", include("liaison.briefs.urls")),
    path("intel/", include("liaison.intel.urls")),
    path("plans/", include("liaison.planning.urls")),
    path("loop/", include("liaison.loop.urls")),
    path("metrics/", include("liaison.metrics.urls")),
    path("stakeholders/", include("liaison.stakeholders.urls")),
    path("audit/", include("liaison.compliance.urls")),
]

handler400 = "liaison.core.views.bad_request"
handler403 = "liaison.core.views.permission_denied"
handler404 = "liaison.core.views.page_not_found"
handler500 = "liaison.core.views.server_error"
