"""shared_core.pins.requirements_text: a requirements file's lines, hashes, markers and source options."""

from __future__ import annotations

from shared_core.lambda_runtime import LambdaTarget
from shared_core.pins.indexes import IndexSettings, PackageIndex, pip_index_env, uv_index_args, uv_index_env
from shared_core.pins.requirements_text import exact_pins, parse_requirements_text, requirements_options


def test_requirements_parsing_hashes_markers_continuations():
    text = "a==1.0 \\\n    --hash=sha256:aa \\\n    --hash=sha256:bb\nb==2.0 ; sys_platform == 'win32'\n# c\n--index-url https://x\n"
    lines = parse_requirements_text(text, origin="t")
    assert [(l.requirement, l.hashes, l.marker) for l in lines] == [
        ("a==1.0", ("sha256:aa", "sha256:bb"), None), ("b==2.0", (), "sys_platform == 'win32'")]
    pins = exact_pins(lines, LambdaTarget.create("3.12", "x86_64"), origin="t")
    assert [(p.name, p.version) for p in pins] == [("a", "1.0")]
    assert exact_pins(parse_requirements_text("a>=1\n", origin="t"), LambdaTarget.create("3.12", None), origin="t") is None


def test_requirements_index_options_become_indexes_and_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("CORP_TOKEN", "t0k3n")
    (tmp_path / "wheels").mkdir()
    text = (
        "-i https://first.example/simple\n"
        "--index-url https://bot:${CORP_TOKEN}@corp.example/simple\n"
        "--extra-index-url=https://extra.example/simple\n"
        "-fwheels\n--find-links https://links.example/files/\n"
        "--trusted-host corp.example\n--trusted-host links.example\n--no-index\n--only-binary :all:\n--require-hashes\n"
        "a==1.0 --hash=sha256:aa\n"
    )
    options = requirements_options(text, origin="requirements.txt", base=tmp_path)
    assert options.indexes == (
        PackageIndex("requirements.txt --index-url", "https://corp.example/simple", "bot", "t0k3n", default=True),
        PackageIndex("requirements.txt --extra-index-url", "https://extra.example/simple", default=False),
    )
    assert options.settings == IndexSettings((str(tmp_path / "wheels"), "https://links.example/files/"), True,
                                             ("corp.example", "links.example"))
    assert options.require_hashes is True
    assert [line.requirement for line in parse_requirements_text(text, origin="t")] == ["a==1.0"]
    assert uv_index_env(options.indexes, options.settings) == {
        "UV_FIND_LINKS": f"{tmp_path / 'wheels'},https://links.example/files/",
        "UV_INSECURE_HOST": "corp.example links.example",
        "UV_DEFAULT_INDEX": "https://bot:t0k3n@corp.example/simple",
        "UV_INDEX": "https://extra.example/simple",
    }
    assert pip_index_env(options.indexes, options.settings) == {
        "PIP_FIND_LINKS": f"{tmp_path / 'wheels'} https://links.example/files/",
        "PIP_NO_INDEX": "1",
        "PIP_TRUSTED_HOST": "corp.example links.example",
        "PIP_INDEX_URL": "https://bot:t0k3n@corp.example/simple",
        "PIP_EXTRA_INDEX_URL": "https://extra.example/simple",
    }
    assert uv_index_args(options.settings) == ["--no-index"]
    assert uv_index_args(IndexSettings(find_links=("wheels",))) == []
    assert (uv_index_env([], IndexSettings()), pip_index_env([], IndexSettings())) == ({}, {})
