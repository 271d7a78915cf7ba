"""Russian aliases get the keys of the current matching rules (-ийе/-ия endings read as -iyeh/-iya)."""

from django.db import migrations


def rekey_cyrillic_aliases(apps, schema_editor):
    from settlements.matching import SCRIPT_CYRILLIC, name_keys

    SettlementAlias = apps.get_model("settlements", "SettlementAlias")
    changed = []
    for alias in SettlementAlias.objects.only("id", "name", "keys").iterator():
        if SCRIPT_CYRILLIC.search(alias.name):
            keys = sorted(name_keys(alias.name))
            if keys != alias.keys:
                alias.keys = keys
                changed.append(alias)
    SettlementAlias.objects.bulk_update(changed, ["keys"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [("settlements", "0010_import_trust")]
    operations = [migrations.RunPython(rekey_cyrillic_aliases, migrations.RunPython.noop)]
