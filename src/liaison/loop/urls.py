"""The insight-to-action loop's pages (mounted at /loop/)."""

from django.urls import path

from . import views

app_name = "loop"
urlpatterns = [
    path("", views.loop_home, name="home"),
    path("themes/<uuid:uuid>/", views.theme_detail, name="theme_detail"),
    path("actions/<uuid:uuid>/", views.action_detail, name="action_detail"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/read-all/", views.notifications_read_all, name="notifications_read_all"),
    path("inbox/<uuid:uuid>/read/", views.notification_read, name="notification_read"),
    path("report/", views.report, name="report"),
    path("report.csv", views.report_csv, name="report_csv"),
    path("insights/<uuid:uuid>/rate/", views.rate_panel, name="rate_panel"),
]
