"""The project's settings plus a bare view to measure against (see bench/README.md)."""

from gutbrain.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
