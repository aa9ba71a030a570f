from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "liaison.programs"
    label = "programs"
    verbose_name = "Programs: events, advisory boards, congresses"
