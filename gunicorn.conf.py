"""gunicorn settings for gutbrain: `gunicorn gutbrain.wsgi` reads this file from the project
directory. Each value can be overridden from the environment (GUNICORN_*)."""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# Pages wait on the database, not the CPU: a couple of workers per core keeps the CPUs busy.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
# A page that takes this long is stuck; the worker is replaced rather than left hanging.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, so that no slow leak can grow without bound.
max_requests = 10_000
max_requests_jitter = 1_000
# "-" is standard output; empty turns the access log off (as the benchmarks do).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
# Django alone decides whether a request came over HTTPS: from the proxy's X-Forwarded-Proto
# when DJANGO_SECURE_PROXY_SSL_HEADER is on, and from nothing a client sends when it is off.
secure_scheme_headers = {}
# Nor may a client move the application's path (SCRIPT_NAME, PATH_INFO) with forwarded headers.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "")
# No control socket in the home folder: the server is managed by signals, as ever.
control_socket_disable = True
