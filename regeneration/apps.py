from django.apps import AppConfig


class RegenerationConfig(AppConfig):
    name = "regeneration"
