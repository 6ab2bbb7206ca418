from django.apps import AppConfig


class GalleryConfig(AppConfig):
    name = "gallery"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django_q.signals import post_spawn

        from gallery import explore, render, signals, videos, webhooks  # noqa: F401  (job kinds; file-cleanup receivers)
        from gallery.jobs.worker import start_heartbeat

        post_spawn.connect(start_heartbeat, dispatch_uid="nst-heartbeat")
