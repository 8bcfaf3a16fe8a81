"""needlechart settings: one module, driven by the environment.

SQLite (WAL) by default so a trial needs no set-up; PostgreSQL when DATABASE_URL is set.
Every value a deployment may change is read from an environment variable named
NEEDLECHART_* (or DATABASE_URL); nothing else differs between a laptop and production.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("NEEDLECHART_DATA_DIR", Path.cwd() / "var")).resolve()


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return default if value in (None, "") else int(value)


DEBUG = env_bool("NEEDLECHART_DEBUG", False)
# Production refuses to start without its own secret key and defaults to HTTPS-only cookies.
PRODUCTION = env_bool("NEEDLECHART_PRODUCTION", False)
SECRET_KEY = os.environ.get("NEEDLECHART_SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise RuntimeError("NEEDLECHART_SECRET_KEY must be set when NEEDLECHART_PRODUCTION is on.")
    SECRET_KEY = "needlechart-insecure-development-key-change-me"  # noqa: S105
SECRET_KEY_FALLBACKS = [k for k in os.environ.get("NEEDLECHART_SECRET_KEY_FALLBACKS", "").split(",") if k]
# The audit rows' seals (audit/seals.py): a key of their own, else one derived from SECRET_KEY.
AUDIT_SEAL_KEY = os.environ.get("NEEDLECHART_AUDIT_SEAL_KEY", "")
AUDIT_SEAL_KEY_FALLBACKS = [k for k in os.environ.get("NEEDLECHART_AUDIT_SEAL_KEY_FALLBACKS", "").split(",") if k]

ALLOWED_HOSTS = [h for h in os.environ.get("NEEDLECHART_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("NEEDLECHART_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "needlechart.core.admin.NeedlechartAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",  # the API's documentation page and its static files, served from here rather than a CDN
    "oauth2_provider",  # OAuth 2 client credentials and authorization code for API clients (api/oauth.py)
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "needlechart.web",
    "needlechart.core",
    "needlechart.clinics",
    "needlechart.audit",
    "needlechart.patients",
    "needlechart.knowledge",
    "needlechart.screening",
    "needlechart.charting",
    "needlechart.scheduling",
    "needlechart.needling",
    "needlechart.homecare",
    "needlechart.documents",
    "needlechart.outcomes",
    "needlechart.public",
    "needlechart.analytics",
    "needlechart.interop",
    "needlechart.pages",
    "needlechart.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "needlechart.web.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "needlechart.web.middleware.ResolvedUserMiddleware",
    "needlechart.audit.context.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "needlechart.web.middleware.IdleTimeoutMiddleware",
    "needlechart.web.middleware.SecondFactorMiddleware",
    "needlechart.web.middleware.NulCharacterMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "needlechart.web.urls"
# Benchmarks only (bench/README.md), with bench/ on PYTHONPATH: the synthetic-clinic command and the ceiling view.
if env_bool("NEEDLECHART_BENCH", False):
    INSTALLED_APPS.append("needlechart_bench")
    ROOT_URLCONF = "needlechart_bench.urls"
WSGI_APPLICATION = "needlechart.wsgi.application"

TEMPLATES = [
    # Every page: Jinja2 (web/templating.py), templates in each app's jinja2/ folder.
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "environment": "needlechart.web.templating.environment",
            "context_processors": ["needlechart.web.context.page"],
        },
    },
    # Django's admin only.
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- database -----------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("NEEDLECHART_CONN_MAX_AGE", 60))}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
        # Server-side parameters let psycopg prepare the statements a connection runs again and
        # again (every page reads the session, the user, the patient...), so PostgreSQL plans each
        # once per connection, not once per request: that halves its CPU time per chart. Set
        # NEEDLECHART_DB_PREPARED=0 behind a pooler in transaction mode, which cannot keep them.
        if env_bool("NEEDLECHART_DB_PREPARED", True):
            DATABASES["default"]["OPTIONS"] = {"server_side_binding": True, "prepare_threshold": 5}
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("NEEDLECHART_SQLITE_PATH", str(DATA_DIR / "needlechart.sqlite3")),
            # Kept open between requests: a new connection runs the pragmas below and starts
            # with an empty page cache, which cost every request more than its own queries.
            "CONN_MAX_AGE": env_int("NEEDLECHART_CONN_MAX_AGE", 60),
            "OPTIONS": {
                # IMMEDIATE: a writing transaction takes the write lock at BEGIN, so the audit
                # hash chain never races between read-head and append.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                # synchronous=FULL: in WAL mode, NORMAL may lose the last acknowledged commits on
                # a power failure or an operating-system crash (not on a crash of needlechart
                # itself); FULL syncs the log at every commit. bench/bench_sign.py --sqlite measures
                # what it costs (bench/README.md).
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=FULL;"
                    "PRAGMA foreign_keys=ON;"
                    "PRAGMA cache_size=-65536;"
                    "PRAGMA mmap_size=268435456;"
                ),
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- authentication -----------------------------------------------------------------------
AUTH_USER_MODEL = "clinics.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "needlechart.clinics.throttle.SignInThrottleBackend",  # one account tried from many addresses
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "today"
LOGOUT_REDIRECT_URL = "login"

# A second factor (an authenticator app) for every staff member, whatever their clinic decides:
# on in production unless NEEDLECHART_REQUIRE_SECOND_FACTOR=0 (clinics.second_factor).
REQUIRE_SECOND_FACTOR = env_bool("NEEDLECHART_REQUIRE_SECOND_FACTOR", PRODUCTION)
OTP_TOTP_ISSUER = "needlechart"
OTP_TOTP_THROTTLE_FACTOR = 1  # seconds, doubled after each wrong code (django-otp)
OTP_STATIC_THROTTLE_FACTOR = 1
# Passkeys (clinics.passkeys): a second factor only, for the address staff sign in at.
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
OTP_WEBAUTHN_RP_ID_CALLABLE = "needlechart.clinics.passkeys.relying_party_id"
OTP_WEBAUTHN_RP_NAME = "needlechart"
OTP_WEBAUTHN_HELPER_CLASS = "needlechart.clinics.passkeys.PasskeyHelper"  # also the origin each request came to
OTP_WEBAUTHN_ALLOWED_ORIGINS = CSRF_TRUSTED_ORIGINS or ["http://localhost:8000"]

AXES_FAILURE_LIMIT = env_int("NEEDLECHART_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("NEEDLECHART_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# Besides axes' lock on a username and address pair: failures for one username from addresses it
# never signed in from (axes' log of sign-ins) refuse its next attempts for a while, doubling from
# a minute to at most the maximum, which bounds how long a stranger can keep a colleague out
# (clinics/throttle.py). Counted failures are forgotten after the window without one.
SIGN_IN_THROTTLE_LIMIT = env_int("NEEDLECHART_ACCOUNT_FAILURE_LIMIT", 10)
SIGN_IN_THROTTLE_DELAY = timedelta(minutes=1)
SIGN_IN_THROTTLE_MAX_DELAY = timedelta(minutes=env_int("NEEDLECHART_ACCOUNT_MAX_DELAY_MINUTES", 15))
SIGN_IN_THROTTLE_WINDOW = max(timedelta(hours=1), 2 * SIGN_IN_THROTTLE_MAX_DELAY)  # longer than a refusal

# Idle sessions end after this many minutes without a request (ONC 170.315(d)(5)).
IDLE_TIMEOUT_MINUTES = env_int("NEEDLECHART_IDLE_TIMEOUT_MINUTES", 15)
SESSION_COOKIE_AGE = 60 * 60 * 12
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# --- security headers ---------------------------------------------------------------------
SECURE_HTTPS = env_bool("NEEDLECHART_HTTPS", PRODUCTION)
SESSION_COOKIE_SECURE = SECURE_HTTPS
CSRF_COOKIE_SECURE = SECURE_HTTPS
SECURE_SSL_REDIRECT = SECURE_HTTPS
SECURE_HSTS_SECONDS = 63072000 if SECURE_HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("NEEDLECHART_BEHIND_PROXY", False) else None
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)
# How many proxies of the clinic's own stand in front of needlechart, each appending the address
# it was reached from to X-Forwarded-For (0: none; NEEDLECHART_BEHIND_PROXY=1 means one). The
# client's address, for the audit log and the sign-in lockout, is the entry the outermost trusted
# proxy appended; anything left of it came from the client and is not believed.
TRUSTED_PROXY_COUNT = env_int("NEEDLECHART_TRUSTED_PROXIES", 1 if env_bool("NEEDLECHART_BEHIND_PROXY", False) else 0)
AXES_CLIENT_IP_CALLABLE = "needlechart.audit.context.client_ip"

# --- uploads ------------------------------------------------------------------------------
MEDIA_ROOT = Path(os.environ.get("NEEDLECHART_MEDIA_ROOT", DATA_DIR / "media"))
MEDIA_URL = "/media-not-served/"  # files are served only through access-checked views
MAX_EVIDENCE_UPLOAD_BYTES = env_int("NEEDLECHART_MAX_UPLOAD_BYTES", 10 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- i18n ---------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("nb", _("Norwegian Bokmål"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["needlechart.formats"]  # English dates day first, 24-hour time (formats/en/formats.py)
TIME_ZONE = os.environ.get("NEEDLECHART_TIME_ZONE", "Europe/Oslo")
USE_I18N = True
USE_TZ = True

# --- static -------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("NEEDLECHART_STATIC_ROOT", DATA_DIR / "static"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- API (needlechart.api) -------------------------------------------------------------------
# Calls each API client may make per minute (api/ratelimit.py), and the longest a token may be valid.
API_RATE_LIMIT_PER_MINUTE = env_int("NEEDLECHART_API_RATE_LIMIT_PER_MINUTE", 300)
API_TOKEN_MAX_DAYS = env_int("NEEDLECHART_API_TOKEN_MAX_DAYS", 365)
# OAuth 2 (django-oauth-toolkit): client credentials only, access tokens for 10 minutes, stored as
# their SHA-256 only (RFC 9700); the clients and their scopes are the API's (api/oauth.py).
OAUTH2_PROVIDER = {
    "SCOPES_BACKEND_CLASS": "needlechart.api.oauth.ClientScopes",
    "OAUTH2_VALIDATOR_CLASS": "needlechart.api.oauth.ClientValidator",
    "ACCESS_TOKEN_EXPIRE_SECONDS": env_int("NEEDLECHART_API_ACCESS_TOKEN_SECONDS", 600),
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    # Authorization code (api/authorize.py): PKCE always, S256 only (api.oauth.Server refuses plain).
    "OAUTH2_SERVER_CLASS": "needlechart.api.oauth.Server",
    "PKCE_REQUIRED": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
    # A refresh token is used once: each use gives a new pair and retires it (a reused one revokes its family).
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "REFRESH_TOKEN_EXPIRE_SECONDS": env_int("NEEDLECHART_API_REFRESH_TOKEN_SECONDS", 8 * 3600),
}
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"  # named for the migrations of api.ApiClient's link to it


# Intake links sent to patients stay valid this many hours (and work once).
INTAKE_LINK_HOURS = env_int("NEEDLECHART_INTAKE_LINK_HOURS", 72)
# Aftercare links sent to patients can be opened for this many days.
AFTERCARE_LINK_DAYS = env_int("NEEDLECHART_AFTERCARE_LINK_DAYS", 30)
# Days a follow-up questionnaire link stays open after it is sent.
FOLLOW_UP_LINK_DAYS = env_int("NEEDLECHART_FOLLOW_UP_LINK_DAYS", 14)
# The server's public address, for links sent by commands outside a request (send-follow-ups).
PUBLIC_BASE_URL = os.environ.get("NEEDLECHART_BASE_URL", "")
DEFAULT_FROM_EMAIL = os.environ.get("NEEDLECHART_FROM_EMAIL", "needlechart@localhost")

EMAIL_BACKEND = os.environ.get("NEEDLECHART_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
# SMS like e-mail: a backend class (scheduling/sms.py; the console one prints them). The outbox
# (scheduling/outbox.py) tries a message this many times, and a claim lasts this long.
NEEDLECHART_SMS_BACKEND = os.environ.get("NEEDLECHART_SMS_BACKEND", "needlechart.scheduling.sms.ConsoleSmsBackend")
MESSAGE_MAX_ATTEMPTS = env_int("NEEDLECHART_MESSAGE_MAX_ATTEMPTS", 5)
MESSAGE_LEASE_SECONDS = env_int("NEEDLECHART_MESSAGE_LEASE_SECONDS", 300)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Patients' link secrets are written as "[secret]" in every record (web/logging.py).
    "filters": {"link_secrets": {"()": "needlechart.web.logging.RedactLinkSecrets"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["link_secrets"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("NEEDLECHART_LOG_LEVEL", "WARNING")},
}
