"""Medical inquiries: the queue, capture, the routing confirmation and one inquiry (mounted at /inquiries/)."""

from django.urls import path

from . import views

app_name = "medinfo"
urlpatterns = [
    path("", views.inquiry_list, name="inquiry_list"),
    path("new/", views.inquiry_new, name="inquiry_new"),
    path("routed/", views.inquiry_routed, name="inquiry_routed"),
    path("<uuid:uuid>/", views.inquiry_detail, name="inquiry_detail"),
]
