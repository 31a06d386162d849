"""Installs that do not drift: what runs is what the lock files pin, and they agree with
pyproject.toml."""

import re
import sysconfig
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

PROJECT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^\s\\]+)", re.MULTILINE)


def pins(lock):
    text = (PROJECT / lock).read_text()
    return {canonicalize_name(name): version for name, version in PIN.findall(text)}


def test_every_pin_carries_hashes_and_nothing_names_an_index():
    for lock in ("requirements.txt", "requirements-dev.txt"):
        text = (PROJECT / lock).read_text()
        entries = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n\n", 1)[-1])
        for entry in entries:
            if PIN.match(entry):
                assert "--hash=sha256:" in entry, entry.splitlines()[0]
        assert not re.search(r"^--(index-url|extra-index-url|find-links)", text, re.MULTILINE)


def test_the_test_tools_lock_pins_the_runtime_as_the_runtime_lock_does():
    runtime, dev = pins("requirements.txt"), pins("requirements-dev.txt")
    assert runtime
    assert {name: dev.get(name) for name in runtime} == runtime


def test_the_locks_satisfy_pyproject():
    project = tomllib.loads((PROJECT / "pyproject.toml").read_text())["project"]
    for lock, declared in (
        ("requirements.txt", project["dependencies"]),
        (
            "requirements-dev.txt",
            project["dependencies"] + project["optional-dependencies"]["dev"],
        ),
    ):
        pinned = pins(lock)
        for line in declared:
            requirement = Requirement(line)
            name = canonicalize_name(requirement.name)
            assert name in pinned, f"{name} is not in {lock}: run scripts/lock"
            assert requirement.specifier.contains(pinned[name], prereleases=True), (
                f"{lock} pins {name} {pinned[name]}, outside {requirement.specifier}"
            )


def test_the_environment_holds_exactly_what_the_lock_pins():
    """The tests run on the pinned versions, and on nothing the lock does not name."""
    pinned = pins("requirements-dev.txt")
    environment = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    installed = {
        canonicalize_name(dist.metadata["Name"]): dist.version
        for dist in metadata.distributions(path=list(environment))
    }
    installed.pop("pip", None)
    assert installed == pinned
