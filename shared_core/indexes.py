"""Package indexes the project configured, handed to the installer without leaking credentials.

Credentials travel only in the installer's environment (never on its command line, never in a
file), and every message that may contain a URL goes through :func:`mask_credentials`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Sequence, Tuple
from urllib.parse import quote, unquote, urlsplit, urlunsplit

_URL_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^/\s:@]*)(?::(?P<password>[^/\s@]*))?@")


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


def mask_credentials(text: str, secrets: Iterable[str] = ()) -> str:
    """Hide URL passwords (``https://user:****@host``) and any known secret value."""
    masked = _URL_USERINFO.sub(
        lambda m: f"{m['scheme']}{m['user']}:****@" if m["password"] is not None else m.group(0), text
    )
    for secret in secrets:
        if secret and len(secret) >= 3:
            masked = masked.replace(secret, "****").replace(quote(secret, safe=""), "****")
    return masked


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
