"""Show a failure to the user and end it there.

``slicer.util.tryWithErrorDisplay`` re-raises after its dialog (Base/Python/slicer/util.py), so code after it
never runs and a Qt slot ends in a traceback. Panels use ``showingErrors`` instead: an expected MedImgAI error
(bad input, a worker that crashed) gets a dialog with its one-line message, a user's Cancel only the status line,
anything unexpected a dialog with the traceback as details and a log entry.
"""

import contextlib
import logging
import traceback

import slicer

from MedImgAILib.errors import CancelledError, MedImgAIError

__all__ = ["showingErrors"]


@contextlib.contextmanager
def showingErrors(failureMessage, statusLabel=None):
    def status(text):
        if statusLabel is not None:
            statusLabel.text = text

    try:
        yield
    except CancelledError as error:
        status(str(error))
    except MedImgAIError as error:
        status(f"{failureMessage} {error}")
        slicer.util.errorDisplay(f"{failureMessage}\n\n{error}", windowTitle="MedImgAI")
    except Exception as error:
        logging.exception(failureMessage)
        status(f"{failureMessage} {error}")
        slicer.util.errorDisplay(f"{failureMessage}\n\n{error}", windowTitle="MedImgAI",
                                 detailedText=traceback.format_exc())
