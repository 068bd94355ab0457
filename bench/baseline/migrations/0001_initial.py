from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Application",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("full_name", models.CharField(max_length=100)),
                ("email", models.EmailField(max_length=254)),
                ("mobile", models.CharField(max_length=32)),
                ("address", models.TextField(max_length=1000)),
                ("legal_id_type", models.CharField(max_length=32)),
                ("legal_id_number", models.CharField(max_length=20)),
                ("referee_1_name", models.CharField(max_length=100)),
                ("referee_1_phone", models.CharField(max_length=32)),
                ("referee_1_relationship", models.CharField(max_length=100)),
                ("referee_2_name", models.CharField(max_length=100)),
                ("referee_2_phone", models.CharField(max_length=32)),
                ("referee_2_relationship", models.CharField(max_length=100)),
            ],
        ),
    ]
