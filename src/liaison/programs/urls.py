"""Events: the list, the plan, the event page and its forms, the report (mounted at /events/)."""

from django.urls import path

from . import board_views, views

app_name = "programs"
urlpatterns = [
    path("", views.event_list, name="event_list"),
    path("new/", views.event_new, name="event_new"),
    path("<uuid:uuid>/", views.event_detail, name="event_detail"),
    path("<uuid:uuid>/edit/", views.event_edit, name="event_edit"),
    path("<uuid:uuid>/post/", views.event_post, name="event_post"),
    path("<uuid:uuid>/report/", views.report_page, name="report_page"),
    path("<uuid:uuid>/report.pdf", views.report_pdf, name="report_pdf"),
    path("<uuid:uuid>/board/", board_views.board, name="board"),
    path("<uuid:uuid>/board/post/", board_views.board_post, name="board_post"),
]
