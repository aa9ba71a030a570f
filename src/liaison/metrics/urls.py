"""Manager dashboard pages under /metrics/."""

from django.urls import path

from . import views

app_name = "metrics"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("export.csv", views.export_csv, name="export_csv"),
    path("export.pdf", views.export_pdf, name="export_pdf"),
    path("<slug:key>/", views.drill, name="drill"),
]
