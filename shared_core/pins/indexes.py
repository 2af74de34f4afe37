"""Package indexes the project configured, handed to the installer without leaking credentials.

Credentials travel only in the installer's environment (never on its command line, never in a
file), and every message that may contain a URL goes through :func:`mask_credentials`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple
from urllib.parse import quote, unquote, urlsplit, urlunsplit


@dataclass(frozen=True)
class PackageIndex:
    """One configured source: ``default`` replaces PyPI, others are searched after it."""

    name: str
    url: str
    username: Optional[str] = field(default=None, repr=False)
    password: Optional[str] = field(default=None, repr=False)
    default: bool = False

    def url_with_credentials(self) -> str:
        if not self.username and not self.password:
            return self.url
        parts = urlsplit(self.url)
        host = parts.netloc.rsplit("@", 1)[-1]
        userinfo = quote(self.username or "", safe="")
        if self.password:
            userinfo += ":" + quote(self.password, safe="")
        return urlunsplit((parts.scheme, f"{userinfo}@{host}", parts.path, parts.query, parts.fragment))

    @property
    def secrets(self) -> Tuple[str, ...]:
        return tuple(s for s in (self.password,) if s)

    @property
    def is_folder(self) -> bool:
        """A find-links folder on this machine (how uv.lock records a ``--find-links`` source)."""
        return "://" not in self.url or self.url.startswith("file:")


@dataclass(frozen=True)
class IndexSettings:
    """A requirements file's other source options: ``--find-links``, ``--no-index``, ``--trusted-host``."""

    find_links: Tuple[str, ...] = ()
    no_index: bool = False
    trusted_hosts: Tuple[str, ...] = ()


#: No options beyond the indexes (every source but a requirements file).
NO_SETTINGS = IndexSettings()


def index_from_url(name: str, url: str, *, default: bool) -> PackageIndex:
    """An index from a URL that may carry ``user:password@``: the credentials are kept apart (and masked)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return PackageIndex(name, url, default=default)
    userinfo, host = parts.netloc.rsplit("@", 1)
    username, _, password = userinfo.partition(":")
    bare = urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
    return PackageIndex(name, bare, unquote(username) or None, unquote(password) or None, default=default)




def all_secrets(indexes: Sequence[PackageIndex]) -> Tuple[str, ...]:
    return tuple(secret for index in indexes for secret in index.secrets)


def uv_index_env(indexes: Sequence[PackageIndex], settings: IndexSettings = NO_SETTINGS) -> Dict[str, str]:
    """``UV_DEFAULT_INDEX`` / ``UV_INDEX`` (and the settings' variables) for uv; empty when none is configured.

    uv has no variable for ``--no-index``: :func:`uv_index_args` gives the flag.
    """
    env: Dict[str, str] = {}
    if settings.find_links:
        env["UV_FIND_LINKS"] = ",".join(settings.find_links)
    if settings.trusted_hosts:
        env["UV_INSECURE_HOST"] = " ".join(settings.trusted_hosts)
    defaults = [index for index in indexes if index.default]
    extras = [index for index in indexes if not index.default]
    if defaults:
        env["UV_DEFAULT_INDEX"] = defaults[0].url_with_credentials()
        extras = defaults[1:] + extras
    if extras:
        env["UV_INDEX"] = " ".join(index.url_with_credentials() for index in extras)
    return env


def uv_index_args(settings: IndexSettings) -> List[str]:
    return ["--no-index"] if settings.no_index else []


def pip_index_env(indexes: Sequence[PackageIndex], settings: IndexSettings = NO_SETTINGS) -> Dict[str, str]:
    """``PIP_INDEX_URL`` / ``PIP_EXTRA_INDEX_URL`` (and the settings' variables) for pip; same order as for uv."""
    uv_env = uv_index_env(indexes)
    env: Dict[str, str] = {}
    if settings.find_links:
        env["PIP_FIND_LINKS"] = " ".join(settings.find_links)
    if settings.no_index:
        env["PIP_NO_INDEX"] = "1"
    if settings.trusted_hosts:
        env["PIP_TRUSTED_HOST"] = " ".join(settings.trusted_hosts)
    if "UV_DEFAULT_INDEX" in uv_env:
        env["PIP_INDEX_URL"] = uv_env["UV_DEFAULT_INDEX"]
    if "UV_INDEX" in uv_env:
        env["PIP_EXTRA_INDEX_URL"] = uv_env["UV_INDEX"]
    return env


#: What PyPI's simple index is called in locks and resolver output: its packages come from the
#: installer's default indexes (a mirror the user configured serves them just as well).
PYPI_SIMPLE = "https://pypi.org/simple"

#: The installers' variables that add or replace indexes: a pin bound to one index is installed
#: without them, so no other index can serve a package of the same name.
INDEX_VARIABLES = (
    "UV_INDEX", "UV_EXTRA_INDEX_URL", "UV_INDEX_URL", "UV_DEFAULT_INDEX", "UV_FIND_LINKS", "UV_NO_INDEX",
    "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_NO_INDEX",
)


def same_index(first: str, second: str) -> bool:
    """Two spellings of one index URL or folder (trailing slash, host case, ``file://``)."""
    def key(url: str) -> str:
        url = url.strip()
        if url.startswith("file://"):
            url = unquote(urlsplit(url).path)
        parts = urlsplit(url)
        if parts.scheme:
            host = parts.netloc.rsplit("@", 1)[-1].lower()
            return urlunsplit((parts.scheme.lower(), host, parts.path.rstrip("/"), parts.query, ""))
        return os.path.normpath(url)
    return key(first) == key(second)


def is_pypi(url: str) -> bool:
    return same_index(url, PYPI_SIMPLE)


def _env_name(name: str) -> str:
    """uv's spelling of an index name in variables: ``my-index`` -> ``MY_INDEX``."""
    return re.sub(r"[^A-Z0-9]", "_", name.upper())


def uv_project_indexes(pyproject: Mapping[str, Any]) -> Tuple[PackageIndex, ...]:
    """``[[tool.uv.index]]`` as indexes, with uv's ``UV_INDEX_<NAME>_USERNAME``/``_PASSWORD`` credentials."""
    found: List[PackageIndex] = []
    entries = pyproject.get("tool", {}).get("uv", {}).get("index", [])
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("url"), str):
            continue
        name = str(entry.get("name") or entry["url"])
        index = index_from_url(name, entry["url"], default=bool(entry.get("default")))
        variable = f"UV_INDEX_{_env_name(name)}"
        username = os.environ.get(f"{variable}_USERNAME") or index.username
        password = os.environ.get(f"{variable}_PASSWORD") or index.password
        found.append(PackageIndex(index.name, index.url, username, password, index.default))
    return tuple(found)


def _configured_urls() -> List[str]:
    """Index URLs the installers' own variables name (they may carry ``user:password@``)."""
    urls: List[str] = []
    for variable in ("UV_DEFAULT_INDEX", "UV_INDEX_URL", "UV_INDEX", "UV_EXTRA_INDEX_URL", "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL"):
        for value in os.environ.get(variable, "").split():
            urls.append(value.split("=", 1)[1] if "=" in value.split("://", 1)[0] else value)  # uv's NAME=URL form
    return urls


def bound_index(url: str, known: Sequence[PackageIndex]) -> PackageIndex:
    """The index a pin is bound to, with the credentials the project or the environment has for it."""
    bare = index_from_url(url, url, default=True)
    for index in known:
        if same_index(index.url, bare.url) and (index.username or index.password):
            return PackageIndex(index.name, index.url, index.username, index.password, default=True)
    for configured in _configured_urls():
        candidate = index_from_url(configured, configured, default=True)
        if same_index(candidate.url, bare.url) and (candidate.username or candidate.password):
            return PackageIndex(url, bare.url, candidate.username, candidate.password, default=True)
    return bare


def bound_index_env(index: PackageIndex, installer: str) -> Tuple[Dict[str, Optional[str]], List[str]]:
    """(environment changes, extra arguments) that make ``installer`` use ``index`` and nothing else.

    ``None`` removes a variable. A folder (a find-links source in uv.lock) is searched with no index.
    """
    env: Dict[str, Optional[str]] = {variable: None for variable in INDEX_VARIABLES}
    folder = unquote(urlsplit(index.url).path) if index.url.startswith("file:") else index.url
    if installer == "pip":
        env["PIP_CONFIG_FILE"] = os.devnull
        if index.is_folder:
            env.update(PIP_FIND_LINKS=folder, PIP_NO_INDEX="1")
        else:
            env["PIP_INDEX_URL"] = index.url_with_credentials()
        return env, []
    if index.is_folder:
        env["UV_FIND_LINKS"] = folder
        return env, ["--no-config", "--no-index"]
    env["UV_DEFAULT_INDEX"] = index.url_with_credentials()
    return env, ["--no-config"]
