from django.apps import AppConfig


class CascadeUseConfig(AppConfig):
    name = "cascade_use"
