from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('absence', '0006_dashboard_piece'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='registration',
            index=models.Index(condition=models.Q(('status', 'awaiting')), fields=['group', 'day'], name='registration_awaiting_group'),
        ),
    ]
