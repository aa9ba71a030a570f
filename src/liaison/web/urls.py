"""URL map: the home page, sign-in, web pages per app, the REST API under /api/v1/."""

from django.templatetags.static import static
from django.urls import include, path
from django.utils.functional import lazy
from django.views.generic import RedirectView

from liaison.accounts import signin

from . import calendar, home
from .api import api

urlpatterns = [
    path("api/v1/", api.urls),
    # Browsers ask for /favicon.ico whatever the page links; send them to the icon the pages link.
    # (The URL is resolved at request time: the static-files manifest may not exist when this module loads.)
    path("favicon.ico", RedirectView.as_view(url=lazy(static, str)("liaison/favicon.svg"), permanent=True)),
    path("", home.home, name="home"),
    path("login/", signin.LoginView.as_view(), name="login"),
    path("logout/", signin.logout_view, name="logout"),
    path("home/follow-ups/<uuid:uuid>/done/", home.follow_up_done, name="follow_up_done"),
    path("calendar/<str:token>.ics", calendar.calendar_feed, name="calendar_feed"),
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
    path("transparency/", include("liaison.transparency.urls")),
    path("events/", include("liaison.programs.urls")),
    path("portal/", include("liaison.programs.portal_urls")),
    path("loop/", include("liaison.loop.urls")),
    path("metrics/", include("liaison.metrics.urls")),
    path("stakeholders/", include("liaison.stakeholders.urls")),
    path("audit/", include("liaison.compliance.urls")),
]

handler400 = "liaison.core.views.bad_request"
handler403 = "liaison.core.views.permission_denied"
handler404 = "liaison.core.views.page_not_found"
handler500 = "liaison.core.views.server_error"
