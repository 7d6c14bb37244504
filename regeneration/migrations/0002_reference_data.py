from django.db import migrations


def forwards(apps, schema_editor):
    from regeneration.reference import load

    load(apps)


class Migration(migrations.Migration):
    dependencies = [("regeneration", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
