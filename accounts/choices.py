from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

JJJ_REGIONS = ("BJ", "TJ", "HB")


class Region(models.TextChoices):
    BJ = "BJ", _("Beijing")
    TJ = "TJ", _("Tianjin")
    HB = "HB", _("Hebei")
    OUT = "OUT", _("Outside Jingjinji")


# The three regions of the pilot, for a form or filter that offers no region outside them.
JJJ_REGION_CHOICES = [(value, label) for value, label in Region.choices if value in JJJ_REGIONS]


# Administrative division codes of the three provincial-level regions (GB/T 2260).
REGION_DIVISION = {"BJ": "110000", "TJ": "120000", "HB": "130000"}


class EnterpriseKind(models.TextChoices):
    AUTOMAKER = "automaker", _("Automaker")
    BATTERY_MAKER = "battery_maker", _("Battery maker")
    AFTER_SALES = "after_sales", _("Sales and after-sales outlet")
    SERVICE_OPERATOR = "service_operator", _("Service-point operator")
    DISMANTLER = "dismantler", _("Scrapped-vehicle dismantler")
    CASCADE_USE = "cascade_use", _("Cascade-use enterprise")
    REGENERATION = "regeneration", _("Regeneration enterprise")
    LOGISTICS = "logistics", pgettext_lazy("enterprise kind", "Logistics")
    FLEET_OPERATOR = "fleet_operator", _("Fleet operator")
    ASSESSOR = "assessor", _("Third-party assessor")
    RESEARCH = "research", _("Research body")
    ALLIANCE_SECRETARIAT = "alliance_secretariat", _("Alliance secretariat")


class Department(models.TextChoices):
    INDUSTRY_IT = "industry_it", _("Industry and information technology")
    ECOLOGY_ENVIRONMENT = "ecology_environment", _("Ecology and environment")
    TRANSPORT = "transport", _("Transport")
    COMMERCE = "commerce", _("Commerce")
    MARKET_SUPERVISION = "market_supervision", _("Market supervision")
    ENERGY = "energy", _("Energy")
    SCIENCE_TECHNOLOGY = "science_technology", _("Science and technology")


class Role(models.TextChoices):
    MANAGER = "manager", pgettext_lazy("user role", "Manager")
    OPERATOR = "operator", pgettext_lazy("user role", "Operator")
    VIEWER = "viewer", pgettext_lazy("user role", "Viewer (read-only)")
