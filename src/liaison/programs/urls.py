"""Events: the list, the plan, the event page and its forms, the report (mounted at /events/)."""

from django.urls import path

from . import board_views, congress_views, governance_views, views

app_name = "programs"
urlpatterns = [
    path("", views.event_list, name="event_list"),
    path("new/", views.event_new, name="event_new"),
    path("rate-card/", governance_views.rate_card, name="rate_card"),
    path("<uuid:uuid>/", views.event_detail, name="event_detail"),
    path("<uuid:uuid>/edit/", views.event_edit, name="event_edit"),
    path("<uuid:uuid>/post/", views.event_post, name="event_post"),
    path("<uuid:uuid>/report/", views.report_page, name="report_page"),
    path("<uuid:uuid>/report.pdf", views.report_pdf, name="report_pdf"),
    path("<uuid:uuid>/board/", board_views.board, name="board"),
    path("<uuid:uuid>/board/post/", board_views.board_post, name="board_post"),
    path("<uuid:uuid>/congress/", congress_views.congress_page, name="congress"),
    path("<uuid:uuid>/congress/post/", congress_views.congress_post, name="congress_post"),
    path("sessions/<uuid:uuid>/", congress_views.session_detail, name="session_detail"),
    path("sessions/<uuid:uuid>/post/", congress_views.session_post, name="session_post"),
    path("session-notes/<uuid:uuid>/", congress_views.session_note, name="session_note"),
    path("<uuid:uuid>/governance/", governance_views.event_governance, name="governance"),
    path("<uuid:uuid>/governance/post/", governance_views.governance_post, name="governance_post"),
]
