"""``manage.py qcluster``: django-q2's cluster, with nstsite's clean stop (gallery/jobs/cluster.py).

This app is listed before django_q in INSTALLED_APPS, so this command replaces django-q2's.
"""

import os

from django.conf import settings
from django_q.management.commands.qcluster import Command as QClusterCommand


class Command(QClusterCommand):
    help = ("Starts the render workers (a django-q2 cluster). SIGTERM or Ctrl-C: running jobs "
            "go back to the queue and the process exits within seconds.")

    def handle(self, *args, **options):
        settings.SECRET_KEY  # noqa: B018  (tasks are signed with it: fail now, not later)
        if options.get("cluster_name"):
            os.environ["Q_CLUSTER_NAME"] = options["cluster_name"]
        from gallery.jobs.cluster import run_cluster

        run_cluster(run_once=options.get("run_once", False))
