"""Frames and reports for the telemetry tests."""

from datetime import datetime

from telemetry.gateway import Received
from telemetry.protocol import blocks as b
from telemetry.protocol.frame import GMT8, Command, Response, encode_frame
from telemetry.protocol.messages import Report
from tests.factories import OrganisationFactory
from tests.valuation.factories import VehicleFactory


def vehicle_block(*, soc=60, current=20.0, voltage=350.0, charging=3):
    return b.VehicleData(1, charging, 1, 40.0, 1000.0, voltage, current, soc, 1, 0x2E, 5000, 10, 0)


def extremes(*, vmax=3.9, vmin=3.8, tmax=30, tmin=25):
    return b.Extremes(1, 1, vmax, 1, 2, vmin, 1, 1, tmax, 1, 2, tmin)


def report_item(vin: str, at: datetime, *, command=Command.REALTIME, **kw) -> Received:
    report = Report(at.astimezone(GMT8).replace(microsecond=0), (vehicle_block(**kw), extremes()))
    raw = encode_frame(command=command, response=Response.COMMAND, vin=vin, data=report.encode())
    return Received(vin=vin, command=command, raw=raw, received_at=datetime.now(GMT8), report=report)


def make_vehicle(automaker=None, **kw):
    return VehicleFactory(automaker=automaker or OrganisationFactory(kinds=["automaker"]), **kw)
