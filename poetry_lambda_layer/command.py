"""``poetry lambda-layer``: build the layer from ``poetry.lock`` through Poetry's own locker.

A thin adapter: its options are the core's setting declarations; it hands the core the project
as Poetry parsed it (with its ``python`` constraint as poetry-core reads it), the lock Poetry's
locker checked, and the sources' credentials from Poetry's configuration. Output goes through
Poetry's IO, so ``-v``/``-q``/``--ansi`` behave as in every other Poetry command.

Only the settings' declarations (a few small modules) are imported with the command class, for
its options; the rest of ``shared_core`` inside :meth:`LambdaLayerCommand.handle`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Sequence, Tuple, Type

from cleo.formatters.formatter import Formatter
from cleo.helpers import option
from cleo.io.inputs.option import Option
from cleo.io.outputs.output import Verbosity
from poetry.console.commands.command import Command

if TYPE_CHECKING:  # pragma: no cover
    from cleo.ui.progress_bar import ProgressBar

    from shared_core import Project

def setting_options(settings: Type[Any], only: Optional[Sequence[str]] = None) -> List[Option]:
    """A cleo option for every setting ``settings`` declares with a flag (``only``: of these attributes), as
    its declaration says."""
    from shared_core import Action

    options = []
    for setting in settings.settings():
        if not setting.on_command_line or (only is not None and setting.attribute not in only):
            continue
        switch = setting.action in (Action.ENABLE, Action.DISABLE)
        repeated = setting.action in (Action.LIST, Action.EXTEND)
        text = setting.help[0].upper() + setting.help[1:] + "."
        options.append(option(setting.flag[2:], setting.short[1:] if setting.short else None, text,
                              flag=switch, multiple=repeated))
    return options


def _layer_config_class() -> Type[Any]:
    from shared_core import LayerConfig

    return LayerConfig


class _CleoBar:
    """A cleo progress bar per stage, behind the core's ``Bar`` protocol."""

    def __init__(self, command: "LambdaLayerCommand") -> None:
        self._command = command
        self._bar: Optional["ProgressBar"] = None
        self._stage: Optional[str] = None

    def update(self, stage: str, done: int, total: int) -> None:
        if total <= 0:
            return
        if self._bar is None or self._stage != stage:
            self.clear()
            if done >= total:
                return
            self._bar = self._command.progress_bar(total)
            self._bar.set_format(f"{stage} %current%/%max% [%bar%] %percent:3s%%")
            self._bar.start()
            self._stage = stage
        self._bar.set_progress(done)
        if done >= total:
            self.clear()

    def clear(self) -> None:
        if self._bar is not None:
            self._bar.finish()
            self._bar.clear()
            self._bar = None
            self._stage = None


def io_reporter(command: "LambdaLayerCommand") -> Any:
    """The core's reporting policy over Poetry's (cleo's) IO: info and detail on stdout (``-q`` hides
    them, ``-v`` shows detail), warnings and errors on stderr always, a bar on stderr when it is a
    terminal; every line escaped for cleo's formatter (the core has masked it)."""
    from shared_core import ReporterBase

    class IOReporter(ReporterBase):
        def __init__(self) -> None:
            super().__init__(verbose=command.io.is_verbose(), quiet=command.io.output.is_quiet())
            output = command.io.error_output
            self._bar = _CleoBar(command) if not output.is_quiet() and output.is_decorated() else None

        def show(self, kind: str, text: str) -> None:
            escaped = Formatter.escape(text)
            if kind in ("info", "detail"):
                command.line(escaped)
            else:
                style = "warning" if kind == "warning" else "error"
                command.line_error(f"<{style}>{escaped}</{style}>", verbosity=Verbosity.QUIET)

        def bar(self) -> Optional[_CleoBar]:
            return self._bar

    return IOReporter()


class LambdaLayerCommand(Command):
    name = "lambda-layer"
    description = "Builds an AWS Lambda layer zip of the locked runtime dependencies."

    options = [  # noqa: RUF012 - cleo's declaration style
        *setting_options(_layer_config_class()),
        option("force", None, "Rebuild even when nothing changed since the last build."),
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
(""" + ", ".join(f"<comment>{setting.key}</>" for setting in _layer_config_class().settings()) + """);
the command line wins. <comment>--exclude</> adds to <comment>exclude-packages</>. Any of
<comment>--with</>/<comment>--without</>/<comment>--only</>/<comment>--all-groups</> replaces the table's group keys as a whole;
<comment>-E</>/<comment>--all-extras</> replace <comment>extras</>/<comment>all-extras</>.

An unchanged project is not rebuilt ("up to date"); <comment>--force</> rebuilds.
Credentials for <comment>[[tool.poetry.source]]</> come from Poetry's configuration
(<comment>poetry config http-basic.NAME</>, the keyring or <comment>POETRY_HTTP_BASIC_NAME_*</>).
"""

    #: True for the publish command: how an interruption is explained.
    publishing = False

    def handle(self) -> int:
        from shared_core import LayerError, failure_of

        reporter = io_reporter(self)
        try:
            return self._run(reporter)
        except (Exception, KeyboardInterrupt) as exc:  # one line for what the user can fix; a bug: cleo's trace
            failure = failure_of(exc, publishing=self.publishing)
            if failure is None or (self.io.is_debug() and not isinstance(exc, LayerError)):
                raise
            if failure.details:
                self.line_error(Formatter.escape(reporter.mask(failure.details)), verbosity=Verbosity.VERBOSE)
            reporter.error(failure.message)
            return failure.exit_code

    def _run(self, reporter: Any) -> int:
        """Build the layer (the publish command runs its own ``_run`` on the same project)."""
        from shared_core import LayerBuildToolEnum, build_layers

        project = self._project()
        config = project.layer_config(self._given(self._layer_settings()))
        builds = build_layers(project, config, reporter, build_tool=LayerBuildToolEnum.poetry,
                              pin_source=self._lock_source(project, config, reporter), force=bool(self.option("force")))
        for outcome in builds.outcomes:
            reporter.info(str(outcome.path))
        builds.raise_failures()
        return 0

    @staticmethod
    def _layer_settings() -> Type[Any]:
        return _layer_config_class()

    def _given(self, settings: Type[Any]) -> Dict[str, Any]:
        """``{attribute: value}`` of the settings given as options (falsy: not given)."""
        return {setting.attribute: self.option(setting.flag[2:]) for setting in settings.settings()
                if setting.on_command_line and self.definition.has_option(setting.flag[2:])}

    def _project(self) -> "Project":
        """The project as Poetry parsed it, with its Python constraint as poetry-core reads it (``requires-python``
        or the ``python`` dependency, carets and tildes included), as the Lambda runtimes it allows."""
        from poetry.core.constraints.version import Version

        from shared_core import POETRY, Project, RequiresPython, allowed_minors

        package = self.poetry.package
        poetry_table = self.poetry.pyproject.data.get("tool", {}).get("poetry", {})
        where = "python in [tool.poetry.dependencies]" if "python" in poetry_table.get("dependencies", {}) else "requires-python"
        constraint = package.python_constraint
        requires = RequiresPython(str(package.python_versions), where,
                                  allowed_minors(lambda version: constraint.allows(Version.parse(version))))
        return Project.from_data(self.poetry.pyproject_path.parent, self.poetry.pyproject.data, surface=POETRY,
                                 requires_python=requires)

    # -- the lock ------------------------------------------------------------------------------

    def _lock_source(self, project: "Project", config: Any, reporter: Any) -> Any:
        """poetry.lock as Poetry's own locker reads it and finds it fresh, with the groups and extras the
        core chooses and checks, and the sources' credentials (added to what the reporter masks)."""
        from shared_core import LockError, poetry_lock_source

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
        credentials = self._credentials(project.data)
        reporter.add_secrets(password for _, password in credentials.values() if password)
        return poetry_lock_source(project.root, project.data, config, lock_data=lock_data, credentials=credentials)

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
