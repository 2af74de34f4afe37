"""shared_core.pins.indexes: index credentials only in the installer's environment, masked everywhere else."""

from __future__ import annotations

import pytest

from shared_core.pins.indexes import PackageIndex, all_secrets, pip_index_env, uv_index_env
from shared_core.support.reporting import mask_credentials


def test_credentials_are_masked_and_only_in_env():
    index = PackageIndex("corp", "https://pkgs.example/simple/", "bob", "p@ss:w/rd", default=True)
    assert uv_index_env([index]) == {"UV_DEFAULT_INDEX": "https://bob:p%40ss%3Aw%2Frd@pkgs.example/simple/"}
    assert pip_index_env([index]) == {"PIP_INDEX_URL": "https://bob:p%40ss%3Aw%2Frd@pkgs.example/simple/"}
    extra = PackageIndex("extra", "https://other.example/simple/", "ann", "s3cret")
    assert uv_index_env([extra, index]) == {
        "UV_DEFAULT_INDEX": "https://bob:p%40ss%3Aw%2Frd@pkgs.example/simple/",
        "UV_INDEX": "https://ann:s3cret@other.example/simple/",
    }
    assert pip_index_env([extra]) == {"PIP_EXTRA_INDEX_URL": "https://ann:s3cret@other.example/simple/"}
    text = "error fetching https://bob:p%40ss%3Aw%2Frd@pkgs.example/simple/ with p@ss:w/rd, or git+ssh://git@host/x"
    assert mask_credentials(text, all_secrets([index, extra])) == (
        "error fetching https://bob:****@pkgs.example/simple/ with ****, or git+ssh://git@host/x"
    )
    assert mask_credentials("token ab and s3cret", ["ab", "s3cret"]) == "token ab and ****"  # too short to mask
    assert repr(index) == "PackageIndex(name='corp', url='https://pkgs.example/simple/', default=True)"


def test_url_with_credentials_in_every_shape():
    url = "https://pkgs.example/simple/"
    assert PackageIndex("a", url).url_with_credentials() == url
    assert PackageIndex("a", url, "tok/en").url_with_credentials() == "https://tok%2Fen@pkgs.example/simple/"
    assert PackageIndex("a", url, None, "pw").url_with_credentials() == "https://:pw@pkgs.example/simple/"
    # userinfo already in the configured URL is replaced, whatever it holds
    assert PackageIndex("a", "https://old@pkgs.example/simple/", "bob", "pw").url_with_credentials() == (
        "https://bob:pw@pkgs.example/simple/")
    assert PackageIndex("a", "https://me@corp@pkgs.example/simple/", "bob", "pw").url_with_credentials() == (
        "https://bob:pw@pkgs.example/simple/")


def test_several_default_indexes_keep_their_order():
    first = PackageIndex("one", "https://one.example/simple/", default=True)
    second = PackageIndex("two", "https://two.example/simple/", default=True)
    extra = PackageIndex("three", "https://three.example/simple/")
    assert uv_index_env([first, second, extra]) == {
        "UV_DEFAULT_INDEX": "https://one.example/simple/",
        "UV_INDEX": "https://two.example/simple/ https://three.example/simple/",
    }


@pytest.mark.parametrize("url, expected", [
    ("https://pkgs.example/simple", ("https://pkgs.example/simple", None, None)),
    ("https://bob:p%40ss%3Aword@pkgs.example:8443/simple/?x=1#top",
     ("https://pkgs.example:8443/simple/?x=1#top", "bob", "p@ss:word")),
    ("https://ci-token@pkgs.example/simple", ("https://pkgs.example/simple", "ci-token", None)),
    ("https://:only-a-password@pkgs.example/simple", ("https://pkgs.example/simple", None, "only-a-password")),
    ("https://bob:a@b@pkgs.example/simple", ("https://pkgs.example/simple", "bob", "a@b")),  # the last @ ends it
])
def test_an_index_url_with_credentials_keeps_them_apart(url, expected):
    from shared_core.pins.indexes import index_from_url

    for default in (True, False):
        index = index_from_url("extra", url, default=default)
        assert (index.name, index.url, index.username, index.password, index.default) == ("extra", *expected, default)
