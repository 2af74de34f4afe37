# Two commands do all set-up on a fresh machine with Python 3.9+:
#   make demo   builds the example layers the way users do: `poetry lambda-layer function` in
#               examples/poetry-demo (its layer, then its function: build/lambda/{layer/layer,function/function}.zip),
#               `hatch build -t lambda-layer` in examples/hatch-demo (-> build/lambda/layer/layer.zip)
#   make test   runs the test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test cdk-tools bench mutants clean

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 9), "Python 3.9+ is required"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	# Wheels of the Hatch plugin's runtime deps, at the venv's versions: the offline `hatch build`
	# test installs them into Hatch's build environment (the only registry access; pytest stays offline).
	# editables: what older Hatch (the last for Python 3.9) adds to every build environment; poetry-core:
	# the backend the function tests build a Poetry project's wheel with.
	$(BIN)/python -m pip download --quiet --only-binary=:all: -d $(VENV)/seed-wheels editables \
		$$($(BIN)/python -m pip freeze --all | grep -iE '^(hatchling|packaging|pathspec|pluggy|tomlkit|trove-classifiers|uv|deflate|tomli|poetry-core)==')
	touch $(STAMP)

demo: $(STAMP)
	cd examples/poetry-demo && ../../$(BIN)/poetry lambda-layer function
	# Hatch keeps its build environment; drop it so the plugin is this checkout's code, not an older copy
	cd examples/hatch-demo && ../../$(BIN)/hatch env remove hatch-build && ../../$(BIN)/hatch build -t lambda-layer

# The CDK recipe's test (tests/e2e/test_deploy_recipes.py) synthesizes examples/deploy/cdk with the real
# aws-cdk-lib and `cdk` CLI. They are heavy (492 MB, 1 min 8 s to install from empty caches here; the
# test 18-36 s), so they go into .venv/cdk/ (a side venv, the CLI by npm), installed once and only when
# LAMBDA_LAYER_CDK_TESTS=1 (.ci/run sets it). node and npm must be on PATH.
CDK_TOOLS := $(VENV)/cdk
CDK_STAMP := $(CDK_TOOLS)/.installed
CDK_CLI_VERSION := 2.1149.0

$(CDK_STAMP): examples/deploy/cdk/requirements.txt
	@command -v node >/dev/null && command -v npm >/dev/null || \
		{ echo "The CDK test needs node and npm on PATH (Debian: apt-get install nodejs npm)." >&2; exit 1; }
	rm -rf $(CDK_TOOLS)
	$(PYTHON) -m venv $(CDK_TOOLS)/venv
	$(CDK_TOOLS)/venv/bin/python -m pip install --quiet -r examples/deploy/cdk/requirements.txt
	npm install --silent --no-audit --no-fund --prefix $(CDK_TOOLS) aws-cdk@$(CDK_CLI_VERSION)
	touch $(CDK_STAMP)

cdk-tools: $(CDK_STAMP)

test: $(STAMP) $(if $(filter 1,$(LAMBDA_LAYER_CDK_TESTS)),$(CDK_STAMP))
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

# Mutation testing (a tool, not a CI step): mutmut mutates each promise-guarding module in a copy
# under build/mutants/ and prints the kill rate per module. mutmut is installed here only.
mutants: $(STAMP)
	$(BIN)/python -m pip install --quiet 'mutmut>=3.3,<4'
	$(BIN)/python tools/mutants.py $(MODULES)

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_zip.py

clean:
	rm -rf $(VENV)
