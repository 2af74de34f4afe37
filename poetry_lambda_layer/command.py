"""``poetry lambda-layer``: build the layer from ``poetry.lock`` through Poetry's own locker.

A thin adapter: read ``[tool.lambda-layer]`` and the command line into one
:class:`shared_core.LayerConfig`, check the lock with Poetry's locker, choose the groups
and extras the way ``poetry install`` does, look up the sources' credentials in Poetry's
configuration, and hand everything to :func:`shared_core.build_layer`. Output goes
through Poetry's IO, so ``-v``/``-q``/``--ansi`` behave as in every other Poetry command.

``shared_core`` is imported inside :meth:`LambdaLayerCommand.handle` only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Iterable, Mapping, Optional, Sequence, Set, Tuple

from cleo.formatters.formatter import Formatter
from cleo.helpers import option
from cleo.io.outputs.output import Verbosity
from poetry.console.commands.group_command import GroupCommand

if TYPE_CHECKING:  # pragma: no cover
    from cleo.ui.progress_bar import ProgressBar

    from shared_core import LayerConfig

#: Stages with fewer items than this finish before a bar is worth drawing.
PROGRESS_MIN_ITEMS = 20

class IOReporter:
    """the core's ``Reporter`` over Poetry's (cleo's) IO.

    info -> stdout at normal verbosity (``-q`` hides it), detail -> stdout with ``-v``,
    warning -> stderr always (also with ``-q``), progress -> a bar per stage on stderr, only when
    stderr is a terminal (decorated) and the stage has enough items to be worth one. Every message is escaped for cleo's
    formatter and passed through the core's credential masking.
    """

    def __init__(self, command: "LambdaLayerCommand", secrets: Sequence[str] = ()) -> None:
        self._command = command
        self._secrets = tuple(secrets)
        self._bar: Optional["ProgressBar"] = None
        self._stage: Optional[str] = None

    def add_secrets(self, secrets: Iterable[str]) -> None:
        self._secrets += tuple(secret for secret in secrets if secret)

    def text(self, message: str) -> str:
        from shared_core import mask_credentials

        return Formatter.escape(mask_credentials(str(message), self._secrets))

    def info(self, message: str) -> None:
        self._clear_bar()
        self._command.line(self.text(message))

    def warning(self, message: str) -> None:
        self._clear_bar()
        self._command.line_error(f"<warning>warning: {self.text(message)}</warning>", verbosity=Verbosity.QUIET)

    def error(self, message: str) -> None:
        self._clear_bar()  # a failure mid-stage: the error goes on a clean line
        self._command.line_error(f"<error>{self.text(message)}</error>", verbosity=Verbosity.QUIET)

    def detail(self, message: str) -> None:
        self._command.line(self.text(message), verbosity=Verbosity.VERBOSE)

    def shows_progress(self) -> bool:
        output = self._command.io.error_output
        return not output.is_quiet() and output.is_decorated()

    def progress(self, stage: str, done: int, total: int) -> None:
        """A cleo bar per stage (``download``, ``install``, ``compile``, ``zip``), cleared when done."""
        if self._bar is None or self._stage != stage:
            self._clear_bar()
            if total < PROGRESS_MIN_ITEMS or done >= total or not self.shows_progress():
                return
            self._bar = self._command.progress_bar(total)
            self._bar.set_format(f"{stage} %current%/%max% [%bar%] %percent:3s%%")
            self._bar.start()
            self._stage = stage
        self._bar.set_progress(done)
        if done >= total:
            self._clear_bar()

    def _clear_bar(self) -> None:
        if self._bar is not None:
            self._bar.finish()
            self._bar.clear()
            self._bar = None
            self._stage = None


class LambdaLayerCommand(GroupCommand):
    name = "lambda-layer"
    description = "Builds an AWS Lambda layer zip of the locked runtime dependencies."

    options = [  # noqa: RUF012 - cleo's declaration style
        *GroupCommand._group_dependency_options(),
        option("all-groups", None, "Include dependencies from all groups."),
        option(
            "extras",
            "E",
            "Extra sets of dependencies to include (repeatable; comma or space separated).",
            flag=False,
            multiple=True,
        ),
        option("all-extras", None, "Include all extra dependencies."),
        option(
            "python",
            None,
            "Lambda Python version, X.Y (3.9-3.14; default: the one requires-python allows, else this interpreter's).",
            flag=False,
        ),
        option("arch", None, "Lambda architecture: x86_64 or arm64, aliases amd64, aarch64 (default: x86_64).", flag=False),
        option(
            "exclude",
            None,
            "Also leave out this distribution (name or glob; repeatable), on top of the defaults"
            " and <comment>exclude-packages</>.",
            flag=False,
            multiple=True,
        ),
        option(
            "no-default-excludes",
            None,
            "Keep what is excluded by default (boto3, botocore, s3transfer, urllib3, pip, setuptools, ...).",
        ),
        option(
            "output",
            "o",
            "Path of the zip, relative to the project, or a directory (existing, or ending in /) to put"
            " layer.zip in (default: build/lambda/layer/layer.zip).",
            flag=False,
        ),
        option("force", None, "Rebuild even when nothing changed since the last build."),
        option("no-compile", None, "Ship no bytecode (.pyc) in the layer."),
        option("installer", None, "Installer used to unpack the wheels: uv or pip (default: uv).", flag=False),
        option(
            "compression-level",
            None,
            "Deflate level, 0 (store) to 12 (default: 9; above 9 needs libdeflate).",
            flag=False,
        ),
        option("allow-oversize", None, "Write the layer even if it exceeds Lambda's 250 MB unzipped limit."),
        option("drop-package-tests", None, "Leave out the test suites packages ship inside themselves (pandas/tests, ...)."),
        option(
            "allow-invalid-python",
            None,
            "Ship modules the target Python cannot compile as source (a warning, and an incomplete layer) instead of failing.",
        ),
    ]

    help = """\
The <info>lambda-layer</info> command builds a deterministic AWS Lambda layer zip
(<comment>python/...</>) of the project's runtime dependencies, pinned by <comment>poetry.lock</>
and installed for the Lambda runtime (Python version, architecture, glibc) rather than for
this machine. The project itself is not included.

<info>poetry lambda-layer</info>
<info>poetry lambda-layer --python 3.12 --arch arm64</info>
<info>poetry lambda-layer --with lambda -E speed --exclude pydantic-core</info>

Only the <comment>main</> group is included unless <comment>--with</>/<comment>--only</> say otherwise.
boto3, botocore, s3transfer and urllib3 (provided by the runtime) and build tools
(pip, setuptools, wheel, pytest, ...) are left out unless <comment>--no-default-excludes</> is given.

Every option can be set in <comment>[tool.lambda-layer]</> of pyproject.toml
(<comment>python-version</>, <comment>architecture</>, <comment>exclude-packages</>, <comment>default-excludes</>,
<comment>output</>, <comment>compile-bytecode</>, <comment>installer</>, <comment>compression-level</>,
<comment>allow-oversize</>, <comment>drop-package-tests</>, <comment>allow-invalid-python</>, <comment>allow-sdist</>,
<comment>extras</>, <comment>all-extras</>, <comment>with-groups</>, <comment>without-groups</>, <comment>only-groups</>);
the command line wins.
<comment>--exclude</> adds to <comment>exclude-packages</>. Any of <comment>--with</>/<comment>--without</>/<comment>--only</>/<comment>--all-groups</>
replaces the table's three group keys as a whole; <comment>-E</>/<comment>--all-extras</> replace
<comment>extras</>/<comment>all-extras</>.

An unchanged project is not rebuilt ("up to date"); <comment>--force</> rebuilds.
Credentials for <comment>[[tool.poetry.source]]</> come from Poetry's configuration
(<comment>poetry config http-basic.NAME</>, the keyring or <comment>POETRY_HTTP_BASIC_NAME_*</>).
"""

    @property
    def default_groups(self) -> Set[str]:
        return {"main"}

    # -- the command -------------------------------------------------------------------------

    #: Said when Ctrl-C stops the command.
    interrupted = "Interrupted; the previous layer zip (if any) is unchanged."

    def handle(self) -> int:
        from shared_core import LayerError, user_error

        reporter = IOReporter(self)
        try:
            return self._run(reporter)
        except LayerError as error:
            if error.details:
                self.line_error(reporter.text(error.details), verbosity=Verbosity.VERBOSE)
            reporter.error(str(error))
            return 1
        except KeyboardInterrupt:
            reporter.error(self.interrupted)
            return 130
        except Exception as exc:  # disk full, read-only folder, undecodable file: one line; a bug: cleo's trace
            error = user_error(exc)
            if error is None or self.io.is_debug():
                raise
            reporter.error(str(error))
            return 1

    def _run(self, reporter: IOReporter) -> int:
        """Build the layer (the publish command runs its own ``_run`` on the same configuration)."""
        from shared_core import LayerBuildToolEnum, build_layer

        config, source = self._config_and_source(reporter)
        outcome = build_layer(
            self.poetry.pyproject_path,
            config,
            reporter,
            build_tool=LayerBuildToolEnum.poetry,
            pin_source=source,
            force=bool(self.option("force")),
            requires_python=self._requires_python(),
        )
        reporter.info(str(outcome.path))
        return 0

    def _config_and_source(self, reporter: IOReporter) -> Tuple["LayerConfig", Any]:
        """The build options over ``[tool.lambda-layer]``, and the checked poetry.lock as pin source."""
        from shared_core import SHARED_TABLE, apply_options, config_from_tables, split_option_values

        poetry = self.poetry
        pyproject: Mapping[str, Any] = poetry.pyproject.data
        table = pyproject.get("tool", {}).get("lambda-layer", {})
        config = config_from_tables((table, SHARED_TABLE))

        config = apply_options(
            config,
            python_version=self.option("python"),
            architecture=self.option("arch"),
            exclude=split_option_values(self.option("exclude")),
            no_default_excludes=bool(self.option("no-default-excludes")),
            output=self.option("output"),
            no_compile=bool(self.option("no-compile")),
            installer=self.option("installer"),
            extras=split_option_values(self.option("extras")),
            all_extras=bool(self.option("all-extras")),
            compression_level=self.option("compression-level"),
            allow_oversize=bool(self.option("allow-oversize")),
            drop_package_tests=bool(self.option("drop-package-tests")),
            allow_invalid_python=bool(self.option("allow-invalid-python")),
        )
        groups = self._groups(config)
        extras = self._extras(config)

        source = self._lock_source(groups, extras)
        reporter.add_secrets(secret for index in source.indexes for secret in index.secrets)
        return config, source

    # -- groups and extras ---------------------------------------------------------------------

    def _groups(self, config: "LayerConfig") -> Set[str]:
        """The command line's groups when it names any, else the table's (main by default)."""
        from packaging.utils import canonicalize_name

        from shared_core import SHARED_TABLE, ConfigError, select_groups

        if any(self.option(key) for key in ("with", "without", "only", "all-groups")):
            return {str(group) for group in self.activated_groups}
        package = self.poetry.package
        for key, names in (
            ("with-groups", config.with_groups),
            ("without-groups", config.without_groups),
            ("only-groups", config.only_groups),
        ):
            for name in names:
                if not package.has_dependency_group(canonicalize_name(name)):
                    known = ", ".join(sorted(package.dependency_group_names(include_optional=True))) or "none"
                    raise ConfigError(
                        f"Field `{SHARED_TABLE}.{key}` names the group {name!r}, which pyproject.toml does not "
                        f"define (groups: {known})."
                    )
        if config.all_groups:
            return {str(group) for group in package.dependency_group_names(include_optional=True)}
        return select_groups(config.with_groups, config.without_groups, config.only_groups)

    def _extras(self, config: "LayerConfig") -> Tuple[str, ...]:
        """``-E``/``--all-extras`` when given, else the table's ``extras``/``all-extras``; checked."""
        from shared_core import chosen_extras

        # [project.optional-dependencies] or [tool.poetry.extras], as `poetry install -E` checks them
        defined = [str(name) for name in self.poetry.package.extras]
        return chosen_extras(config.extras, config.all_extras, defined, name=config.label("extras"),
                             defined_in="pyproject.toml")

    # -- the lock ------------------------------------------------------------------------------

    def _lock_source(self, groups: Set[str], extras: Tuple[str, ...]) -> Any:
        from shared_core import LockError, PoetryLockSource, check_poetry_lock, poetry_sources

        locker = self.poetry.locker
        lock_path = locker.lock
        if not locker.is_locked():
            raise LockError(
                f"{lock_path.name} not found in {lock_path.parent}. Run `poetry lock` to create it, then run "
                "`poetry lambda-layer` again."
            )
        try:
            fresh = locker.is_fresh()
            lock_data = locker.lock_data
        except RuntimeError as error:  # unreadable TOML, no metadata: Poetry's own wording, on one line
            raise LockError(f"{lock_path}: {' '.join(str(error).split())}") from None
        except ValueError as error:  # tomllib.TOMLDecodeError from is_fresh()
            raise LockError(f"{lock_path} is not valid TOML ({error}). Run `poetry lock` to regenerate it.") from None
        if not fresh:
            raise LockError(
                f"pyproject.toml changed significantly since {lock_path.name} was last generated. "
                "Run `poetry lock` to fix the lock file."
            )
        check_poetry_lock(lock_path, lock_data, None)
        pyproject = self.poetry.pyproject.data
        indexes = poetry_sources(pyproject, self._credentials(pyproject))
        return PoetryLockSource(lock_path, lock_data, set(groups), extras, indexes, pyproject)

    def _requires_python(self) -> Any:
        """The project's Python constraint as Poetry reads it (``requires-python`` or the ``python``
        dependency, carets and tildes included), as the Lambda runtimes it allows."""
        from poetry.core.constraints.version import Version

        from shared_core import RequiresPython, allowed_minors

        package = self.poetry.package
        text = str(package.python_versions)
        poetry_table = self.poetry.pyproject.data.get("tool", {}).get("poetry", {})
        where = "python in [tool.poetry.dependencies]" if "python" in poetry_table.get("dependencies", {}) else "requires-python"
        constraint = package.python_constraint
        return RequiresPython(text, where, allowed_minors(lambda version: constraint.allows(Version.parse(version))))

    def _credentials(self, pyproject: Mapping[str, Any]) -> Dict[str, Tuple[Optional[str], Optional[str]]]:
        """``{source name: (username, password)}`` from Poetry's config, environment and keyring."""
        sources = [
            source
            for source in pyproject.get("tool", {}).get("poetry", {}).get("source", [])
            if source.get("name") and source.get("url")
        ]
        if not sources:
            return {}
        from poetry.utils.authenticator import AuthenticatorRepositoryConfig
        from poetry.utils.password_manager import PasswordManager, PoetryKeyringError

        manager = PasswordManager(self.poetry.config)
        credentials: Dict[str, Tuple[Optional[str], Optional[str]]] = {}
        for source in sources:
            name = source["name"]
            try:
                credential = AuthenticatorRepositoryConfig(name, source["url"]).get_http_credentials(manager)
            except PoetryKeyringError as error:
                self.line_error(
                    f"<warning>warning: could not read the credentials of source {Formatter.escape(name)!r}"
                    f" from the keyring ({Formatter.escape(str(error))}); trying without them.</warning>",
                    verbosity=Verbosity.QUIET,
                )
                continue
            if credential.username or credential.password:
                credentials[name] = (credential.username, credential.password)
        return credentials
