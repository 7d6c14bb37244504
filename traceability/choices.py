"""The vocabulary of the trace that other apps share: battery levels, chemistries, states, event kinds and vehicle
uses, as Django choices (their labels are what every page and export shows)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .lifecycle import EventKind, State


class Level(models.TextChoices):
    PACK = "P", _("Pack")
    MODULE = "M", _("Module")
    CELL = "C", _("Cell")


class Chemistry(models.TextChoices):
    """Position 5 of the GB/T 34014 code (domain.md §1)."""

    NIMH = "A", _("Nickel-metal hydride")
    LFP = "B", _("Lithium iron phosphate (LFP)")
    LMO = "C", _("Lithium manganese oxide")
    LCO = "D", _("Lithium cobalt oxide")
    NCM = "E", _("Ternary (NCM/NCA)")
    SUPERCAP = "F", _("Supercapacitor")
    LTO = "G", _("Lithium titanate")
    OTHER = "Z", _("Other")


class BatteryState(models.TextChoices):
    REGISTERED = State.REGISTERED, _("Registered")
    IN_VEHICLE = State.IN_VEHICLE, _("In vehicle")
    REMOVED = State.REMOVED, _("Retired / removed")
    AT_SERVICE_POINT = State.AT_SERVICE_POINT, _("At service point")
    IN_TRANSIT = State.IN_TRANSIT, _("In transit")
    CASCADE_USE = State.CASCADE_USE, _("Cascade use")
    AT_REGENERATION = State.AT_REGENERATION, _("At regeneration")
    DISMANTLED = State.DISMANTLED, _("Dismantled")
    RECYCLED = State.RECYCLED, _("Recycled")
    SCRAPPED = State.SCRAPPED, _("Scrapped")
    CONSUMED = State.CONSUMED, _("Built into a cascade-use product")
    LOST = State.LOST, _("Reported missing")
    DISASSEMBLED = State.DISASSEMBLED, _("Taken apart into modules or cells")


class EventKindChoices(models.TextChoices):
    PRODUCED = EventKind.PRODUCED, _("Produced")
    BOUND = EventKind.BOUND, _("Sold with vehicle")
    REPLACED_OUT = EventKind.REPLACED_OUT, _("Replaced in maintenance (out)")
    REPLACED_IN = EventKind.REPLACED_IN, _("Replaced in maintenance (in)")
    REMOVED = EventKind.REMOVED, _("Removed / retired")
    HANDED_OVER = EventKind.HANDED_OVER, _("Handed over")
    DISPATCHED = EventKind.DISPATCHED, _("Dispatched")
    RECEIVED = EventKind.RECEIVED, _("Received at service point")
    STORED = EventKind.STORED, _("Stored")
    TRANSPORTED = EventKind.TRANSPORTED, _("Transported")
    ASSESSED = EventKind.ASSESSED, _("Assessed")
    CASCADE_RECEIVED = EventKind.CASCADE_RECEIVED, _("Received for cascade use")
    CASCADE_REPURPOSED = EventKind.CASCADE_REPURPOSED, _("Cascade-use repurposed")
    CASCADE_RETIRED = EventKind.CASCADE_RETIRED, _("Cascade use ended")
    REGENERATION_RECEIVED = EventKind.REGENERATION_RECEIVED, _("Received for regeneration")
    DISMANTLED = EventKind.DISMANTLED, _("Dismantled")
    MATERIALS_RECOVERED = EventKind.MATERIALS_RECOVERED, _("Materials recovered")
    SCRAPPED = EventKind.SCRAPPED, _("Scrapped")
    LOST = EventKind.LOST, _("Reported missing")
    RELEASE_CANCELLED = EventKind.RELEASE_CANCELLED, _("Release withdrawn")
    DISASSEMBLED = EventKind.DISASSEMBLED, _("Taken apart")
    CORRECTED = EventKind.CORRECTED, _("Corrected (error declaration)")
    SEPARATED = EventKind.SEPARATED, _("Separated from its pack or module")


class VehicleUse(models.TextChoices):
    PRIVATE = "private", _("Private car")
    TAXI = "taxi", _("Taxi / ride-hailing")
    BUS = "bus", _("Bus")
    LOGISTICS = "logistics", _("Logistics")
    OTHER = "other", _("Other")
