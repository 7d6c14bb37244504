from django.core.management.base import BaseCommand

from recycling_network import reference_data
from recycling_network.models import Division, GuideSection, NetworkParameter


class Command(BaseCommand):
    help = "Reload divisions, network parameters and guide text from recycling_network/data/."

    def add_arguments(self, parser):
        parser.add_argument("--overwrite", action="store_true", help="reset edited parameters and guide text")

    def handle(self, *args, **opts):
        n = reference_data.load_divisions(Division)
        p = reference_data.load_parameters(NetworkParameter, overwrite=opts["overwrite"])
        g = reference_data.load_guide(GuideSection, overwrite=opts["overwrite"])
        self.stdout.write(f"divisions {n}, parameters {p}, guide sections {g}")
