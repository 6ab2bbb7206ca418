"""Settings for pytest: the real settings with jobs run inline and fast hashing."""

from nstsite.settings import *  # noqa: F403
from nstsite.settings import Q_CLUSTER

DEBUG = False
Q_CLUSTER = {**Q_CLUSTER, "sync": True}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
