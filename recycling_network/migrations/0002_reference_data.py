from django.db import migrations


def load(apps, schema_editor):
    from recycling_network import reference_data

    reference_data.load_divisions(apps.get_model("recycling_network", "Division"))
    reference_data.load_parameters(apps.get_model("recycling_network", "NetworkParameter"))
    reference_data.load_guide(apps.get_model("recycling_network", "GuideSection"))


class Migration(migrations.Migration):
    dependencies = [("recycling_network", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
