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
# Where the proxy in front sets X-Forwarded-*: trust it (Django decides what to do with it).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
