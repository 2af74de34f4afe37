"""Every AWS and network failure of a publish is one paragraph naming the call and the fix, in every
entry point (console script, Python API, ``poetry lambda-layer publish``, ``hatch publish -p
lambda-layer``), within the ``timeout`` setting, and a password in ``AWS_ENDPOINT_URL`` is never
printed, with or without ``-v``.

The endpoints: one that accepts connections and never answers, one that closes each connection,
and a port nothing listens on, each given with a password; and a Region that is not one.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, Iterator, Tuple

import pytest

from shared_core import LambdaLayerPublisher, PublishError
from shared_core.cli import main
from tests.helpers.aws_emulator import DEMO_PYPROJECT, REGION, BrokenEndpoint, closed_port
from tests.helpers.builds import indexed_poetry_project, locked_poetry_project

PASSWORD = "EndP0int-Pw-551"
NAME = "demo-app-py312-arm64"
TABLE = "[tool.lambda-layer.publish]"
NETWORK_FIX = "Check the network (a proxy, a firewall, AWS_ENDPOINT_URL)"


@pytest.fixture(scope="module")
def endpoints() -> Iterator[Dict[str, int]]:
    """Ports of the failing endpoints, for the whole module."""
    silent, closing = BrokenEndpoint("silent"), BrokenEndpoint("closing")
    yield {"silent": silent.port, "closing": closing.port, "refused": closed_port()}
    silent.close()
    closing.close()


def endpoint_url(port: int) -> str:
    return f"http://ci-bot:{PASSWORD}@127.0.0.1:{port}"


#: How each entry point names a setting a fix changes: its table, and its option.
CONSOLE = (TABLE, "--timeout", "--region")
HATCH = ("[tool.hatch.publish.lambda-layer]", "-o timeout=...", "-o region=...")
API = (TABLE, "timeout=", "region=")


def expected(case: str, port: int, layer: str = NAME, terms: Tuple[str, str, str] = CONSOLE) -> str:
    """The one paragraph of each failure (its endpoint URL masked), naming settings in the entry point's terms."""
    url = f"http://ci-bot:****@127.0.0.1:{port}/2018-10-31/layers/{layer}/versions?MaxItems=1"
    call = f"lambda:ListLayerVersions on layer '{layer}' in {REGION}"
    table, timeout, region = terms
    return {
        "silent": (f"AWS did not answer {call} within 1 s ({url}). {NETWORK_FIX}, or raise `timeout` in {table} "
                   f"({timeout}) for a slow link, and run again."),
        "closing": f"The connection to AWS was closed before {call} was answered ({url}). {NETWORK_FIX} and run again.",
        "refused": (f"Could not connect to AWS to call {call} ({url}). {NETWORK_FIX} and that Region '{REGION}' "
                    "is right."),
        "region": ("The AWS Region 'not a region!' (from AWS_REGION) is not a Region name, so no AWS client can be "
                   f'created. Set it to a Region such as "eu-west-1", or set `region` in {table} ({region}).'),
    }[case]


def failing_env(case: str, endpoints: Dict[str, int]) -> Dict[str, str]:
    """What to set for ``case``: an endpoint URL with a password, or a malformed Region."""
    if case == "region":
        return {"AWS_REGION": "not a region!"}
    return {"AWS_ENDPOINT_URL": endpoint_url(endpoints[case])}


CASES = ["silent", "closing", "refused", "region"]


# -- the console script and the Python API -----------------------------------------------------


@pytest.mark.in_process
@pytest.mark.parametrize("verbose", [(), ("-v",)], ids=["plain", "verbose"])
@pytest.mark.parametrize("case", CASES)
def test_console_script(aws, demo, endpoints, monkeypatch, capsys, case, verbose):
    assert main(["build", "--project", str(demo), "-q"]) == 0  # the build is not what fails
    for key, value in failing_env(case, endpoints).items():
        monkeypatch.setenv(key, value)
    started = time.monotonic()
    assert main(["publish", "--project", str(demo), "--timeout", "1", *verbose]) == 1
    elapsed = time.monotonic() - started
    out, err = capsys.readouterr()
    assert err == f"error: {expected(case, endpoints.get(case, 0))}\n"
    assert PASSWORD not in out + err and "Traceback" not in err
    assert elapsed < 15  # each read: 3 tries of at most `timeout` seconds
    assert aws.versions(NAME) == []


@pytest.mark.in_process
def test_timeout_bounds_a_silent_endpoint_and_defaults_to_60_seconds(aws, demo, endpoints, monkeypatch, capsys):
    """`timeout` from the table; botocore's tries of one read are bounded by it (3 x 1 s here)."""
    with open(demo / "pyproject.toml", "a") as handle:
        handle.write("\n[tool.lambda-layer.publish]\ntimeout = 1\n")
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint_url(endpoints["silent"]))
    started = time.monotonic()
    assert main(["publish", "--project", str(demo)]) == 1
    assert 3 <= time.monotonic() - started < 15
    assert capsys.readouterr().err == f"error: {expected('silent', endpoints['silent'])}\n"

    from shared_core.settings.publish import DEFAULT_TIMEOUT, PublishSettings

    assert PublishSettings().timeout == DEFAULT_TIMEOUT == 60.0


@pytest.mark.in_process
@pytest.mark.parametrize("value, shown", [("0", "'0'"), ("nan", "'nan'"), ("soon", "'soon'"), ("3601", "'3601'")])
def test_timeout_option_is_validated(demo, capsys, value, shown):
    assert main(["publish", "--project", str(demo), "--timeout", value]) == 1
    assert capsys.readouterr().err == f"error: --timeout must be a number of seconds above 0 and at most 3600, got {shown}.\n"
    assert not (demo / "build").exists()


@pytest.mark.in_process
def test_timeout_key_is_validated(make_project, capsys):
    project = make_project(DEMO_PYPROJECT + "\n[tool.lambda-layer.publish]\ntimeout = true\n", requirements__txt="fake-a==1.0\n")
    assert main(["publish", "--project", str(project)]) == 1
    assert capsys.readouterr().err == ("error: Field `tool.lambda-layer.publish.timeout` must be a number of seconds "
                                       "above 0 and at most 3600, got True.\n")


@pytest.mark.in_process
def test_default_region_from_the_environment_is_checked_too(aws, demo, monkeypatch, capsys):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu west 1")
    assert main(["publish", "--project", str(demo)]) == 1
    assert capsys.readouterr().err == (
        "error: The AWS Region 'eu west 1' (from AWS_DEFAULT_REGION or the profile's `region`) is not a Region name, "
        f'so no AWS client can be created. Set it to a Region such as "eu-west-1", or set `region` in {TABLE} '
        "(--region).\n"
    )


@pytest.mark.in_process
def test_aws_region_wins_over_aws_default_region(aws, demo, monkeypatch, capsys):
    aws_west2 = "us-west-2"
    monkeypatch.setenv("AWS_REGION", aws_west2)
    assert main(["publish", "--project", str(demo), "-q"]) == 0
    assert capsys.readouterr().out == f"arn:aws:lambda:{aws_west2}:123456789012:layer:{NAME}:1\n"


@pytest.mark.in_process
@pytest.mark.parametrize("case", CASES)
def test_python_api(aws, demo, endpoints, monkeypatch, case):
    for key, value in failing_env(case, endpoints).items():
        monkeypatch.setenv(key, value)
    with pytest.raises(PublishError) as error:
        LambdaLayerPublisher(demo / "pyproject.toml", timeout=1, verbose=False).run()
    assert str(error.value) == expected(case, endpoints.get(case, 0), terms=API)


# -- Poetry and Hatch ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def poetry_project(offline_env: Dict[str, str], index_url: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return locked_poetry_project(tmp_path_factory.mktemp("poetry-failures") / "poetry-app",
                                 indexed_poetry_project("poetry-app", "fake-a", index_url), offline_env)


POETRY_LAYER = "poetry-app-py312-x86_64"


@pytest.mark.in_process
def test_poetry_lambda_layer_publish(aws, poetry_app, poetry_project, endpoints, monkeypatch):
    """In process, through Poetry's Application: the error on stderr, nothing on stdout after the build."""
    code, out, err = poetry_app(f"lambda-layer --project {poetry_project}")  # built once
    assert code == 0, err
    for case in CASES:
        for verbose in ("", " -v"):
            with monkeypatch.context() as patch:
                for key, value in failing_env(case, endpoints).items():
                    patch.setenv(key, value)
                code, out, err = poetry_app(f"lambda-layer publish --project {poetry_project} --timeout 1{verbose}")
            assert code == 1, (case, verbose, out, err)
            assert err == f"{expected(case, endpoints.get(case, 0), POETRY_LAYER)}\n", (case, verbose)
            assert PASSWORD not in out + err and "Traceback" not in out + err
    assert aws.versions(POETRY_LAYER) == []


HATCH_PROJECT = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "hatch-app"
version = "0.2.0"
dependencies = ["fake-a"]

[tool.hatch.build.targets.lambda-layer]
python-version = "3.12"
architecture = "arm64"
"""


@pytest.mark.subprocess
def test_hatch_publish_lambda_layer(aws, aws_env, endpoints, tmp_path):
    root = tmp_path / "hatch-app"
    root.mkdir()
    (root / "pyproject.toml").write_text(HATCH_PROJECT)
    (root / ".gitignore").write_text("/build/\n")
    layer = "hatch-app-py312-arm64"

    def hatch(*args: str, env: Dict[str, str]) -> Tuple[int, str, str]:
        completed = subprocess.run([sys.executable, "-m", "hatch", *args], cwd=root, env=env, capture_output=True,
                                   text=True, timeout=300, check=False)
        return completed.returncode, completed.stdout, completed.stderr

    for case in CASES:
        for verbose in ((), ("-v",)):
            env = dict(aws_env, **failing_env(case, endpoints))
            code, out, err = hatch(*verbose, "publish", "-p", "lambda-layer", "-o", "timeout=1", env=env)
            assert (code, out) == (1, ""), (case, verbose, err)
            assert err.endswith(f"{expected(case, endpoints.get(case, 0), layer, HATCH)}\n"), (case, verbose, err)
            assert PASSWORD not in out + err and "Traceback" not in err
    assert aws.versions(layer) == []


@pytest.mark.in_process
@pytest.mark.parametrize("verbose", [(), ("-v",)], ids=["plain", "verbose"])
def test_an_endpoint_password_the_url_pattern_misses_is_masked_too(aws, demo, monkeypatch, capsys, verbose):
    """A space ends what looks like a URL, so the password is masked as a known secret, not by its place."""
    port = closed_port()
    monkeypatch.setenv("AWS_ENDPOINT_URL_LAMBDA", f"http://ci-bot:pass word-{PASSWORD}@127.0.0.1:{port}")
    assert main(["publish", "--project", str(demo), *verbose]) == 1
    out, err = capsys.readouterr()
    assert err == (f"error: Could not connect to AWS to call lambda:ListLayerVersions on layer '{NAME}' in {REGION} "
                   f"(http://ci-bot:****@127.0.0.1:{port}/2018-10-31/layers/{NAME}/versions?MaxItems=1). "
                   f"{NETWORK_FIX} and that Region '{REGION}' is right.\n")
    assert PASSWORD not in out + err and "word" not in err
