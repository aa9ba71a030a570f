from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "liaison.people"
    label = "people"
