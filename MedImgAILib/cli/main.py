"""Entry point of ``medimgai``: parse, dispatch, and turn expected failures into one-line errors.

Expected failures (MedImgAIError: bad input, cancelled) print ``medimgai: error: <message>`` and exit 1 with
no traceback; usage errors exit 2 (argparse); warnings print as ``medimgai: warning: <message>`` (ITK's own
warnings are not shown: the library turns what matters into its own). Ctrl-C and SIGTERM unwind normally, so
half-written outputs are removed (exit 130 and 143).
"""

from __future__ import annotations

import argparse
import signal
import sys
import warnings
from typing import Sequence

from MedImgAILib import __version__
from MedImgAILib.cli import (
    change_command,
    convert_command,
    demo_command,
    explain_command,
    fuse_command,
    info_command,
    models_command,
    quantify_command,
    register_command,
    segment_command,
    train_command,
)
from MedImgAILib.cli.input_arguments import thread_count
from MedImgAILib.errors import MedImgAIError
from MedImgAILib.runtime.cpu_threads import limit_cpu_threads

__all__ = ["build_parser", "main"]

COMMANDS = (info_command, convert_command, segment_command, models_command, register_command, fuse_command,
            explain_command, quantify_command, change_command, train_command, demo_command)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="medimgai",
        description="Deep-learning segmentation, registration and explainability for CT/MR/PET (research use only).",
    )
    parser.add_argument("--version", action="version", version=f"medimgai {__version__}")
    parser.add_argument("--threads", type=thread_count, dest="cpu_threads", metavar="N",
                        help="CPU threads for ITK and torch (default: all cores); 1 makes affine and deformable "
                             "registrations bit-identical run to run")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(subparsers).set_defaults(run=command.run)
    return parser


class Terminated(BaseException):
    """SIGTERM, raised in the main thread so that every finally block (temporary outputs) runs."""


def _terminate(signum, frame) -> None:
    raise Terminated()


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"medimgai: warning: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    import SimpleITK as sitk

    sitk.ProcessObject.GlobalWarningDisplayOff()
    if arguments.cpu_threads:
        limit_cpu_threads(arguments.cpu_threads)
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        try:
            return int(arguments.run(arguments) or 0)
        except MedImgAIError as error:
            print(f"medimgai: error: {error}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print("medimgai: interrupted; no output was written", file=sys.stderr)
            return 130
        except Terminated:
            print("medimgai: terminated; no output was written", file=sys.stderr)
            return 128 + signal.SIGTERM


if __name__ == "__main__":
    sys.exit(main())
