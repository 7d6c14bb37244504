from django.db import migrations


def forwards(apps, schema_editor):
    from cascade_use.reference import load

    load(apps)


class Migration(migrations.Migration):
    dependencies = [("cascade_use", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
