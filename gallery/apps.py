from django.apps import AppConfig


class GalleryConfig(AppConfig):
    name = "gallery"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django_q.signals import post_spawn

        # The job kinds register themselves; gallery.storage holds the file-cleanup receivers.
        from gallery import storage  # noqa: F401
        from gallery.clips import job as clip_job  # noqa: F401
        from gallery.explorations import job as exploration_job  # noqa: F401
        from gallery.jobs.worker import start_heartbeat
        from gallery.pictures import render  # noqa: F401
        from gallery.webhooks import job as webhook_job  # noqa: F401

        post_spawn.connect(start_heartbeat, dispatch_uid="nst-heartbeat")
