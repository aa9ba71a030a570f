"""URL map: web pages per app, the REST API under /api/v1/."""

from django.urls import include, path

from liaison.core.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("", include("liaison.core.urls")),
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
