"""Django settings for nstsite; every deployment knob comes from the environment."""

from pathlib import Path

import dj_database_url

from nstsite.env import env_bool, env_choice, env_int, env_list, env_str, secret_key

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("NST_DATA_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = secret_key(DATA_DIR)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "bootstrap",
    # Before django_q: its `qcluster` command replaces django-q2's (gallery/jobs/cluster.py).
    "gallery",
    "django_q",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "stylize",
]

# The security headers come first: every answer passes out through them, including the
# refusals of the middleware below them (the 413 of the body limit, a 400 for a bad Host)
# and the error pages (the database-down 503). tests/site/test_security_headers.py.
MIDDLEWARE = [
    "csp.middleware.CSPMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "gallery.web.upload_size_limit",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "gallery.budgets.middleware.RefundMiddleware",
]

ROOT_URLCONF = "nstsite.urls"
WSGI_APPLICATION = "nstsite.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60, minimum=0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the worker write concurrently: WAL and a busy timeout
    # turn "database is locked" into a short wait.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
# Photos, results, styles and previews: the filesystem under MEDIA_ROOT, or an S3-compatible
# object store when NST_S3_BUCKET is set (AWS, MinIO…; then web and workers share no disk).
# Objects are private (no ACL is sent, so the bucket's own private default applies) and are
# only ever served through the views that check who may see them (docs/deployment.md).
NST_S3_BUCKET = env_str("NST_S3_BUCKET", "")
STORAGES = {
    "default": {"BACKEND": "gallery.storage.CleanFileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
if NST_S3_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": NST_S3_BUCKET,
            "endpoint_url": env_str("NST_S3_ENDPOINT_URL", "") or None,  # empty: AWS
            "region_name": env_str("NST_S3_REGION", "") or None,
            "access_key": env_str("AWS_ACCESS_KEY_ID", "") or None,  # else boto3's own chain
            "secret_key": env_str("AWS_SECRET_ACCESS_KEY", "") or None,
            "location": (env_str("NST_S3_PREFIX", "") or "").strip("/"),
            "default_acl": None,
            "file_overwrite": True,  # names are random UUIDs: no existence check per write
            "object_parameters": {"CacheControl": "private, max-age=0"},
            "querystring_expire": 60,  # if a signed URL is ever made, it lives a minute
        },
    }

# A cache every process shares (nothing of ours relies on it: budgets are counted in the
# database, gallery/budgets, so a Redis outage locks nobody out).
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": env_str("REDIS_URL")}
        if env_str("REDIS_URL")
        else {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "nst_cache"}
    )
}

# Largest upload accepted, in bytes (also enforced by the image decoder).
NST_MAX_UPLOAD_BYTES = env_int("NST_MAX_UPLOAD_BYTES", 25 * 1024 * 1024, minimum=1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = NST_MAX_UPLOAD_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# The stylization engine: "embedded" (ONNX, offline) or a TF Hub handle / SavedModel dir.
NST_MODEL = env_str("NST_MODEL", "embedded")
NST_THREADS = env_int("NST_THREADS", 0, minimum=0)  # 0: one per core
# The embedded model's runtime: OpenVINO (fastest; exact int8 on CPUs with VNNI or AMX),
# onnxruntime (the fallback), or auto: OpenVINO where it is exact, else onnxruntime.
NST_RUNTIME = env_choice("NST_RUNTIME", "auto", ("auto", "openvino", "onnxruntime"))
NST_COMPILE_CACHE_DIR = env_str("NST_COMPILE_CACHE_DIR", str(DATA_DIR / "openvino-cache"))
# Where NST_RUNTIME=auto keeps its measured verdict (stylize/runtime_choice.py).
NST_RUNTIME_VERDICT_FILE = env_str("NST_RUNTIME_VERDICT_FILE",
                                   str(Path(NST_COMPILE_CACHE_DIR) / "runtime-verdict.json"))
TFHUB_CACHE_DIR = env_str("TFHUB_CACHE_DIR", str(DATA_DIR / "tfhub-cache"))
# Tiled renders (stylize/tiling.py): pictures of more pixels than NST_UNTILED_MAX_PIXELS are
# rendered in tiles of NST_TILE_SIDE px (a multiple of 4, at least 256) with the norm
# statistics of the whole picture (or of a sample of it above 4 MP): any size up to
# NST_MAX_PIXELS in bounded memory. 0 tiles every picture.
NST_TILE_SIDE = env_int("NST_TILE_SIDE", 1024, minimum=256)
if NST_TILE_SIDE % 4:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"NST_TILE_SIDE must be a multiple of 4, got {NST_TILE_SIDE}")
NST_UNTILED_MAX_PIXELS = env_int("NST_UNTILED_MAX_PIXELS", 4_000_000, minimum=0)

# Jobs (gallery/jobs). The database is the queue of record; a django-q2 task only wakes a
# worker, which claims the fairest runnable job. Timeout covers a 4096-px render on 2 cores
# with room; retry must exceed timeout plus queue wait (DESIGN.md). Prefetch is one task per
# worker, so a dead cluster strands nothing (and a stranded wake-up costs nothing).
Q_CLUSTER = {
    "name": "nstsite",
    "orm": "default",
    "workers": env_int("NST_WORKERS", 1, minimum=1),
    "timeout": env_int("NST_JOB_TIMEOUT", 300, minimum=10),
    "retry": env_int("NST_JOB_RETRY", 900, minimum=20),
    "max_attempts": 3,
    "queue_limit": env_int("NST_WORKERS", 1, minimum=1),
    "save_limit": 250,
    "catch_up": False,
    "label": "Jobs",
}
if env_str("REDIS_URL"):
    Q_CLUSTER.pop("orm")
    Q_CLUSTER["redis"] = env_str("REDIS_URL")
if Q_CLUSTER["retry"] <= Q_CLUSTER["timeout"]:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("NST_JOB_RETRY must be larger than NST_JOB_TIMEOUT")

# Content-Security-Policy (django-csp): every script and style comes from the site itself,
# none inline, so an injected <script> or style attribute would not run. Pictures may also be
# data: (Bootstrap's icons) or blob: (the preview of a photo before it is uploaded). The API's
# Swagger page loads its start-up script from its own URL (SpectacularSwaggerSplitView).
from csp.constants import NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
# Secure cookies only when the site is served over HTTPS; on plain http://127.0.0.1
# (make run) a browser would otherwise never send them back and nobody could log in.
_HTTPS = SECURE_SSL_REDIRECT or env_bool("BEHIND_TLS_PROXY", False)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", _HTTPS)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", _HTTPS)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"quiet_routine": {"()": "nstsite.logs.QuietRoutine"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # The minute-by-minute housekeeping lines only at DEBUG (nstsite/logs.py).
    "loggers": {"django-q": {"filters": ["quiet_routine"]}},
}

# REST API (gallery/api, docs/api.md). Throttles are per user (per IP for the token
# endpoint); renders cost CPU, uploads cost disk and decoding, so each has its own budget.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["gallery.api.parsers.SafeJSONParser",
                               "rest_framework.parsers.FormParser",
                               "rest_framework.parsers.MultiPartParser"],
    "DEFAULT_PAGINATION_CLASS": "gallery.api.pagination.Pagination",
    "PAGE_SIZE": 24,
    "DEFAULT_SCHEMA_CLASS": "gallery.api.schema.ApiAutoSchema",
    "EXCEPTION_HANDLER": "gallery.api.errors.exception_handler",
    # Client addresses for the per-address limits: REMOTE_ADDR unless told how many
    # proxies to trust in X-Forwarded-For (1 behind a reverse proxy), never a client's claim.
    "NUM_PROXIES": env_int("NUM_PROXIES", 0, minimum=0),
    "DEFAULT_THROTTLE_RATES": {
        "uploads": f"{env_int('NST_API_UPLOADS_PER_HOUR', 120, minimum=1)}/hour",
        "renders": f"{env_int('NST_API_RENDERS_PER_HOUR', 60, minimum=1)}/hour",
        "auth": f"{env_int('NST_API_TOKEN_PER_MINUTE', 20, minimum=1)}/minute",
        "videos": f"{env_int('NST_VIDEO_SECONDS_PER_HOUR', 120, minimum=1)}/hour",
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "nstsite API",
    "DESCRIPTION": "Neural style transfer: upload photos, stylize them, download and publish. "
                   "Guide: docs/api.md.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI's files come from the drf-spectacular-sidecar package: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
}

# Password-reset mail. Without SMTP settings it is written to the web server's log,
# so a self-hosted site still works; set EMAIL_HOST (and friends) to really send it.
EMAIL_HOST = env_str("EMAIL_HOST", "")
EMAIL_BACKEND = ("django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST
                 else "django.core.mail.backends.console.EmailBackend")
EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "nstsite <noreply@localhost>")

NST_MAX_PIXELS = env_int("NST_MAX_PIXELS", 50_000_000, minimum=1_000_000)
NST_MAX_RENDER_ATTEMPTS = 3
# Accounts created per client address per hour (per-user budgets would multiply otherwise).
NST_SIGNUPS_PER_HOUR = env_int("NST_SIGNUPS_PER_HOUR", 5, minimum=1)
# The most pictures one batch (photos × styles) may make.
NST_BATCH_MAX = env_int("NST_BATCH_MAX", 48, minimum=1)
# Clips (gallery/clips): the longest, largest and heaviest accepted; the long side they
# are rendered at most; seconds of video per user per hour (the clips' budget).
NST_VIDEO_MAX_SECONDS = env_int("NST_VIDEO_MAX_SECONDS", 15, minimum=1)
NST_VIDEO_MAX_SIDE = env_int("NST_VIDEO_MAX_SIDE", 1280, minimum=64)
NST_VIDEO_MAX_BYTES = env_int("NST_VIDEO_MAX_BYTES", 100 * 1024 * 1024, minimum=1024)
# Webhooks (gallery/webhooks): tries per event, the first retry's delay (doubling), and
# whether callback URLs may point at private / loopback addresses (off: only the internet).
NST_WEBHOOK_ATTEMPTS = env_int("NST_WEBHOOK_ATTEMPTS", 5, minimum=1)
NST_WEBHOOK_BACKOFF = env_int("NST_WEBHOOK_BACKOFF", 30, minimum=0)
NST_WEBHOOKS_ALLOW_PRIVATE = env_bool("NST_WEBHOOKS_ALLOW_PRIVATE", False)
# The site's public address ("https://nst.example.com"), for absolute links in webhooks.
NST_PUBLIC_URL = env_str("NST_PUBLIC_URL", "") or ""

# Fair queue: jobs in flight per user across all workers, and how many of them may be
# large (output over 2048 px); beyond that a user's jobs wait while others' go first.
NST_USER_JOBS = env_int("NST_USER_JOBS", 2, minimum=1)
NST_USER_LARGE_JOBS = env_int("NST_USER_LARGE_JOBS", 1, minimum=1)
# Liveness: every worker process beats this often; one silent for NST_WORKER_DEAD_AFTER
# seconds is dead and its jobs are requeued at once.
NST_HEARTBEAT_SECONDS = env_int("NST_HEARTBEAT_SECONDS", 2, minimum=1)
NST_WORKER_DEAD_AFTER = env_int("NST_WORKER_DEAD_AFTER", 10, minimum=3)
if NST_WORKER_DEAD_AFTER < 3 * NST_HEARTBEAT_SECONDS:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("NST_WORKER_DEAD_AFTER must be at least 3 heartbeats")
# /healthz: the oldest queued job may wait NST_HEALTH_WAIT_BASE seconds, plus
# NST_HEALTH_WAIT_PER_JOB for every queued job per live worker, before the site is unhealthy.
NST_HEALTH_WAIT_BASE = env_int("NST_HEALTH_WAIT_BASE", 120, minimum=10)
NST_HEALTH_WAIT_PER_JOB = env_int("NST_HEALTH_WAIT_PER_JOB", 60, minimum=1)
