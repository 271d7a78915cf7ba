"""Every list now has its source (0022 gave the earlier ones the default source)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("settlements", "0022_default_source")]

    operations = [
        migrations.AlterField(
            model_name="listsnapshot",
            name="list_source",
            field=models.ForeignKey(
                on_delete=models.deletion.PROTECT,
                related_name="snapshots",
                to="settlements.listsource",
                verbose_name="source",
            ),
        ),
    ]
