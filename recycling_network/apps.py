from django.apps import AppConfig


class RecyclingNetworkConfig(AppConfig):
    name = "recycling_network"
