"""Start the Rasa server with its API token from the environment, never on its command line.

`rasa run --auth-token <token>` leaves the token in /proc/<pid>/cmdline, which every user of the machine can
read (issue 14). `python -m helpline_rasa.serve [options of rasa run]` takes the same options, except
--auth-token, reads the token from HELPLINE_RASA_TOKEN (or the file HELPLINE_RASA_TOKEN_FILE names: compose
secrets; every secret given as a file is put into the environment first, for Rasa's yml files), and runs
`rasa run` through Rasa's own parser and entry point (rasa.cli.run.run → rasa.api.run →
rasa.core.run.serve_application(auth_token=...)).
"""

from __future__ import annotations

import argparse
import os
import sys

from helpline_rasa.secret_files import TOKEN, SecretFileError, resolve_into_environment

TOKEN_VARIABLE = TOKEN


class TokenOnCommandLine(ValueError):
    """The token was given on the command line, where this launcher exists to keep it off."""


def run_arguments(argv: list[str], token: str) -> argparse.Namespace:
    """The arguments of `rasa run <argv>`, with the API token set from `token`."""
    if any(arg == "--auth-token" or arg.startswith("--auth-token=") for arg in argv):
        raise TokenOnCommandLine("give the token in HELPLINE_RASA_TOKEN, not with --auth-token")
    from rasa.__main__ import create_argument_parser

    arguments = create_argument_parser().parse_args(["run", *argv])
    arguments.auth_token = token
    return arguments


def main(argv: list[str] | None = None) -> int:
    """Run Rasa as `rasa run` does, with the token from the environment; 2 when there is none."""
    try:
        resolve_into_environment()
    except SecretFileError as error:
        print(error, file=sys.stderr)
        return 2
    token = os.environ.get(TOKEN_VARIABLE, "").strip()
    if not token:
        print(f"{TOKEN_VARIABLE} is not set: Rasa's API would be open to anyone.", file=sys.stderr)
        return 2
    try:
        arguments = run_arguments(sys.argv[1:] if argv is None else argv, token)
    except TokenOnCommandLine as error:
        print(error, file=sys.stderr)
        return 2
    _run(arguments)
    return 0


def _run(arguments: argparse.Namespace) -> None:
    """What rasa.__main__.main does around a command (Rasa 3.6), without reading sys.argv."""
    import rasa.telemetry
    import rasa.utils.io
    import rasa.utils.tensorflow.environment as tf_env
    from rasa.plugin import plugin_manager
    from rasa.shared.exceptions import RasaException
    from rasa.shared.utils.cli import print_error
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    log_level = getattr(arguments, "loglevel", None)
    configure_logging_and_warnings(
        log_level,
        getattr(arguments, "logging_config_file", None),
        warn_only_once=True,
        filter_repeated_logs=True,
    )
    tf_env.setup_tf_environment()
    tf_env.check_deterministic_ops()
    sys.path.insert(1, os.getcwd())  # as `rasa`: custom modules (helpline_rasa) from the project root
    try:
        rasa.utils.io.configure_colored_logging(log_level)
        result = plugin_manager().hook.configure_commandline(cmdline_arguments=arguments)
        endpoints_file = result[0] if result else None
        rasa.telemetry.initialize_telemetry()
        rasa.telemetry.initialize_error_reporting()
        plugin_manager().hook.init_telemetry(endpoints_file=endpoints_file)
        plugin_manager().hook.init_managers(endpoints_file=endpoints_file)
        plugin_manager().hook.init_anonymization_pipeline(endpoints_file=endpoints_file)
        configure_structlog(log_level)
        arguments.func(arguments)
    except RasaException as error:
        print_error(f"{error.__class__.__name__}: {error}")
        sys.exit(1)


if __name__ == "__main__":
    sys.exit(main())
