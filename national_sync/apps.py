from django.apps import AppConfig


class NationalSyncConfig(AppConfig):
    name = "national_sync"
