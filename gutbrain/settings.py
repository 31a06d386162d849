"""gutbrain settings, read from the environment.

The defaults serve the demo (SQLite, a cache in files under .cache/); production sets
DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS, DATABASE_URL and REDIS_URL. See README.md for the
full table.
"""

import hashlib
import os
import sys
import tempfile
from pathlib import Path

import dj_database_url
import dj_email_url
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG")

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        sys.exit(
            "gutbrain: DJANGO_SECRET_KEY is not set. Set it to a long random string "
            "(or set DJANGO_DEBUG=true for local development)."
        )
    SECRET_KEY = "django-insecure-local-development-only"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

# HTTPS. Behind a proxy that terminates TLS, DJANGO_SECURE_PROXY_SSL_HEADER=true trusts its
# X-Forwarded-Proto header (only set it where the proxy always sets or strips that header).
GUTBRAIN_BEHIND_PROXY = env_bool("DJANGO_SECURE_PROXY_SSL_HEADER")
if GUTBRAIN_BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
HTTPS = env_bool("DJANGO_HTTPS")
SECURE_SSL_REDIRECT = HTTPS
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers ask over plain HTTP
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", 31_536_000 if HTTPS else 0))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", HTTPS)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", HTTPS)

INSTALLED_APPS = [
    "django.contrib.admin",
    "axes",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.sitemaps",
    "taggit",
    "pictures",
    "django_tasks_db",
    "posts",
]

MIDDLEWARE = [
    # Whole pages for anonymous readers first, as Django's own cache middleware advises: a
    # page is kept with the headers the middleware below gave it (security headers
    # included), and served again with no more work and no database query.
    "posts.page_cache.PageCacheMiddleware",
    # Security headers before the rest, so that static files carry them too.
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Below WhiteNoise, which sends static files compressed already: pages are compressed here,
    # padded by Django against BREACH.
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Addresses of a site brought in from elsewhere, where nothing of gutbrain's answers: it
    # looks at 404s alone, as Django's RedirectFallbackMiddleware does.
    "posts.former_addresses.FormerAddressFallbackMiddleware",
    # Last, as it asks: it answers logins refused for too many failures.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Five failed logins lock out that user name, and the address they came from, for an hour.
AXES_FAILURE_LIMIT = int(os.environ.get("GUTBRAIN_LOGIN_FAILURE_LIMIT", "5"))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_COOLOFF_TIME = 1
# A login forgets the failures of its own user name only, never others' from the same address.
AXES_RESET_ON_SUCCESS = True
AXES_HANDLER = "gutbrain.security.LoginAttempts"
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"
AXES_VERBOSE = False  # lockouts are still logged, as warnings
# Each failure during a lockout does not restart the hour: a trickle of guesses cannot keep
# an author out for ever.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# Behind the proxy, every request comes from its address: count the reader's instead.
AXES_CLIENT_IP_CALLABLE = "gutbrain.security.client_address"

# Staff sessions end after two weeks at most.
SESSION_COOKIE_AGE = int(os.environ.get("DJANGO_SESSION_SECONDS", 14 * 24 * 3600))
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# The admin's address: moving it off /admin/ spares it most scripted attacks.
GUTBRAIN_ADMIN_PATH = os.environ.get("GUTBRAIN_ADMIN_PATH", "admin/").strip("/") + "/"

# A post form with 200 resources of 17 fields each is larger than Django's default allows.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 5000

ROOT_URLCONF = "gutbrain.urls"
WSGI_APPLICATION = "gutbrain.wsgi.application"

TEMPLATES = [
    {
        # Readers' pages (see gutbrain/templating.py); first, as they are the most asked for.
        # Unlike Django's templates, context processors' values override a view's own.
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates"],
        "OPTIONS": {
            "environment": "gutbrain.templating.environment",
            "context_processors": [
                "django.template.context_processors.csp",
                "posts.context_processors.site",
            ],
        },
    },
    {
        # The admin's, and the apps' own (under each app's templates/).
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "posts.context_processors.site",
            ],
        },
    },
]

try:
    DATABASES = {
        # Empty is unset, as for every other variable here.
        "default": dj_database_url.parse(
            os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
            conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "60")),
            conn_health_checks=True,
        )
    }
except ValueError as error:
    sys.exit(
        "gutbrain: DATABASE_URL is not a database URL such as "
        f"postgres://user:password@host:5432/name or sqlite:///path ({error})."
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A worker and the site write to one file: wait for the other's write to end rather than
    # fail, and take the write lock as a transaction begins, as one that reads first could
    # not take it later without failing at once.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        **DATABASES["default"].get("OPTIONS", {}),  # as the URL's query says, if it does
    }
    # Tests keep their database in a file, not in memory, so that the worker processes they
    # start share it; one file per run, so that runs side by side never meet. (":memory:" as
    # before skips the tests that start workers.)
    DATABASES["default"]["TEST"] = {
        "NAME": os.environ.get("GUTBRAIN_TEST_SQLITE")
        or os.path.join(tempfile.gettempdir(), f"gutbrain-test-{os.getpid()}.sqlite3")
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "gutbrain",
            "OPTIONS": {
                # A Redis that has gone away costs a request at most this long, then a miss:
                # pages are built from the database until it answers again.
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 0.5,
                "IGNORE_EXCEPTIONS": True,
            },
        }
    }
else:
    # Files every process on the machine shares, so that a change made by any of them (a
    # gunicorn worker, a management command) retires the pages all of them serve; one folder
    # per database, so that two sites served from one checkout never share a page.
    database = DATABASES["default"]
    database_address = f"{database['HOST']}:{database['PORT']}/{database['NAME']}"
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": os.environ.get("GUTBRAIN_CACHE_DIR")
            or str(
                BASE_DIR / ".cache" / hashlib.sha256(database_address.encode()).hexdigest()[:16]
            ),
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "UTC")
# One language: Django's translation machinery would cost every date and address a lookup.
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = os.environ.get("DJANGO_STATIC_ROOT", str(BASE_DIR / "staticfiles"))
# Hashed, compressed file names need `collectstatic`; debug and tests serve the sources.
SERVE_STATIC_SOURCES = DEBUG or env_bool("DJANGO_PLAIN_STATIC")
WHITENOISE_USE_FINDERS = SERVE_STATIC_SOURCES
# Uploaded images: on this disk by default; DJANGO_DEFAULT_STORAGE names another backend
# (object storage, say) configured through its own settings.
MEDIA_URL = os.environ.get("DJANGO_MEDIA_URL", "/media/")
MEDIA_ROOT = os.environ.get("DJANGO_MEDIA_ROOT", str(BASE_DIR / "media"))
# Django serves uploads itself only where nothing in front does (the demo, development).
GUTBRAIN_SERVE_MEDIA = env_bool("GUTBRAIN_SERVE_MEDIA", DEBUG)
# Everything a page loads comes from this site; uploads may come from object storage.
MEDIA_ORIGIN = "/".join(MEDIA_URL.split("/", 3)[:3]) if "://" in MEDIA_URL else None
SECURE_CSP = {
    "default-src": [CSP.SELF],
    # No inline script anywhere: readers' pages have none, the admin's carry a nonce.
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    # Posts may show figures from their sources' sites, as their Markdown allows.
    "img-src": [CSP.SELF, "https:", *([MEDIA_ORIGIN] if MEDIA_ORIGIN else [])],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# A blog needs none of the browser's powerful features.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "microphone",
        "payment",
        "usb",
    )
}
STORAGES = {
    "default": {
        "BACKEND": os.environ.get(
            "DJANGO_DEFAULT_STORAGE", "django.core.files.storage.FileSystemStorage"
        )
    },
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if SERVE_STATIC_SOURCES
        else "whitenoise.storage.CompressedManifestStaticFilesStorage",
    },
}

TAGGIT_CASE_INSENSITIVE = True

# Work done outside the request (image renditions, e-mail, hub pings): a queue kept in the
# database, worked by `manage.py db_worker` (scripts/worker). Any Django tasks backend can
# take its place, such as django-tasks-rq on Redis (README.md, "Background work").
TASKS = {
    "default": {
        "BACKEND": os.environ.get("GUTBRAIN_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}
# Work not done this long after it was asked for is asked for again (its worker died).
GUTBRAIN_TASK_OVERDUE_SECONDS = int(os.environ.get("GUTBRAIN_TASK_OVERDUE_SECONDS", "300"))

# E-mail (confirmations, new posts to subscribers): SMTP as DJANGO_EMAIL_URL says, e.g.
# smtp://user:password@mail.example.org:587?tls=True (or :465?ssl=True), or as the usual
# EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS / EMAIL_USE_SSL;
# printed to the console where neither is set (the demo). A mail server that does not answer
# in EMAIL_TIMEOUT seconds is given up on, and the delivery tried again later.
if os.environ.get("DJANGO_EMAIL_URL"):
    try:
        email = dj_email_url.parse(os.environ["DJANGO_EMAIL_URL"])
        if "EMAIL_BACKEND" not in email:
            raise ValueError("unknown scheme")
    except ValueError as error:
        sys.exit(f"gutbrain: DJANGO_EMAIL_URL is not an e-mail URL such as smtp://… ({error}).")
else:
    email = {
        "EMAIL_BACKEND": "django.core.mail.backends."
        + ("smtp" if os.environ.get("EMAIL_HOST") else "console")
        + ".EmailBackend",
        "EMAIL_HOST": os.environ.get("EMAIL_HOST", ""),
        "EMAIL_PORT": int(os.environ.get("EMAIL_PORT", "25")),
        "EMAIL_HOST_USER": os.environ.get("EMAIL_HOST_USER", ""),
        "EMAIL_HOST_PASSWORD": os.environ.get("EMAIL_HOST_PASSWORD", ""),
        "EMAIL_USE_TLS": env_bool("EMAIL_USE_TLS"),
        "EMAIL_USE_SSL": env_bool("EMAIL_USE_SSL"),
    }
MAILERS = {"default": {"BACKEND": email["EMAIL_BACKEND"]}}
if email["EMAIL_BACKEND"].endswith(".smtp.EmailBackend"):
    MAILERS["default"]["OPTIONS"] = {
        "host": email["EMAIL_HOST"],
        "port": email["EMAIL_PORT"],
        "username": email["EMAIL_HOST_USER"],
        "password": email["EMAIL_HOST_PASSWORD"],
        "use_tls": email["EMAIL_USE_TLS"],
        "use_ssl": email["EMAIL_USE_SSL"],
        "timeout": int(os.environ.get("EMAIL_TIMEOUT") or email.get("EMAIL_TIMEOUT") or 30),
    }
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "gutbrain <posts@localhost>")
# A delivery or hub ping that fails is tried again after this many seconds, then after four,
# sixteen and sixty-four times as long, then given up.
GUTBRAIN_RETRY_SECONDS = int(os.environ.get("GUTBRAIN_RETRY_SECONDS", "60"))
# The subscribe form answers this many requests an hour from one address (IP).
GUTBRAIN_SUBSCRIBE_PER_HOUR = int(os.environ.get("GUTBRAIN_SUBSCRIBE_PER_HOUR", "10"))

# Renditions of uploaded images: 400, 800, 1200 and 1600 px wide (never wider than the
# original), in WebP and JPEG. posts.renditions makes them in the background; the library's
# own dispatch is off so that the database keeps what is still to be made.
PICTURES = {
    "CONTAINER_WIDTH": 1600,
    "GRID_COLUMNS": 4,
    "PIXEL_DENSITIES": [1],
    "FILE_TYPES": ["WEBP", "JPEG"],
    "USE_PLACEHOLDERS": False,
    "PROCESSOR": "pictures.tasks.noop",
}

GUTBRAIN_SITE_TITLE = os.environ.get("GUTBRAIN_SITE_TITLE", "gutbrain")
GUTBRAIN_SITE_DESCRIPTION = os.environ.get(
    "GUTBRAIN_SITE_DESCRIPTION",
    "Science writing on the gut, the brain and the evidence that links them.",
)
# The public address, e.g. https://blog.example.org: pasted links to it count as internal.
GUTBRAIN_SITE_URL = os.environ.get("GUTBRAIN_SITE_URL", "").rstrip("/")
# A WebSub hub the feeds name, so that readers subscribed there hear of new posts at once.
GUTBRAIN_WEBSUB_HUB = os.environ.get("GUTBRAIN_WEBSUB_HUB", "")
GUTBRAIN_POSTS_PER_PAGE = 10
# A reviewed post's review is due again after this many days (the admin's "Review due").
GUTBRAIN_REVIEW_DUE_DAYS = int(os.environ.get("GUTBRAIN_REVIEW_DUE_DAYS", "730"))
# How resources are listed: a style in posts/csl/ ("american-medical-association", numbered as
# medical writing expects, or "apa"). After changing it, run `manage.py format_references`.
GUTBRAIN_CITATION_STYLE = os.environ.get("GUTBRAIN_CITATION_STYLE", "american-medical-association")
# Public pages are kept in the cache (Redis where REDIS_URL is set) until anything changes.
GUTBRAIN_PAGE_CACHE = env_bool("GUTBRAIN_PAGE_CACHE", True)
GUTBRAIN_PAGE_CACHE_SECONDS = int(os.environ.get("GUTBRAIN_PAGE_CACHE_SECONDS", "600"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
}
