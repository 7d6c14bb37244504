from django.apps import AppConfig


class AllianceConfig(AppConfig):
    name = "alliance"
