"""ordo's errors as Python exceptions.

Every libordo failure becomes an ordo.Error (or a subclass) carrying the
negative ORDO_E* code in .code and libordo's text (ordo_last_error(): the
daemon's reason when it gave one) as the message.  The subclasses pick out
what a program usually handles: a failed task, a cancelled one, a timeout,
a bad argument or view, a lost session.
"""

from . import _lib

# The ORDO_ERRNO_MAP of ordo.h (the tests check that they agree).
CODES = {
    "EINVAL": -1, "ENOMEM": -2, "EAGAIN": -3, "ERANGE": -4, "ENOENT": -5,
    "EPERM": -6, "EPROTO": -7, "EVERSION": -8, "ETIMEDOUT": -9, "ECANCELED": -10,
    "EFAILED": -11, "ESESSION": -12, "ELIMIT": -13, "EEXIST": -14, "EIO": -15,
    "ESHUTDOWN": -16, "ESEQ": -17,
}
NAMES = {code: name for name, code in CODES.items()}
globals().update(CODES)


def strerror(code):
    """libordo's text for an ORDO_E* code."""
    return _lib.strerror(code).decode("utf-8", "replace")


class Error(Exception):
    """An ordo error: .code is the negative ORDO_E* code, .name its name
    ("ERANGE"), .message the text.  Task errors also carry .task (the id)
    and .event (the ordo.Event the daemon reported)."""

    def __init__(self, code, message=None, task=None, event=None):
        self.code = code
        self.name = NAMES.get(code, "E?")
        self.message = message or strerror(code)
        self.task = task
        self.event = event
        super().__init__(self.message)

    def __str__(self):
        return "%s (ORDO_%s)" % (self.message, self.name)


class InvalidArgument(Error, ValueError):
    """ORDO_EINVAL: malformed call, view or kernel arguments."""


class RangeError(Error, IndexError):
    """ORDO_ERANGE: a view outside its buffer, or overflowing arithmetic."""


class NotFound(Error, LookupError):
    """ORDO_ENOENT: no such buffer, kernel or task (or an event already taken)."""


class Timeout(Error, TimeoutError):
    """ORDO_ETIMEDOUT: nothing happened within the timeout."""


class TaskFailed(Error):
    """A task ended failed.  .code is the precise reason the daemon gave
    (ORDO_EFAILED for a kernel's own failure, ORDO_ERANGE for a view it
    refused, ORDO_EINVAL for bad arguments, ...), .task the task id."""


class Cancelled(Error):
    """ORDO_ECANCELED: a task was cancelled because a task it depends on
    failed or was cancelled; .cause is the failed task at the root."""

    @property
    def cause(self):
        return self.event.cause if self.event is not None else 0


class SessionLost(Error, ConnectionError):
    """ORDO_ESESSION / ORDO_EIO / ORDO_ESHUTDOWN: the session is gone."""


class WouldBlock(Error):
    """ORDO_EAGAIN: out of credits with block=False."""


_BY_CODE = {
    CODES["EINVAL"]: InvalidArgument,
    CODES["ERANGE"]: RangeError,
    CODES["ENOENT"]: NotFound,
    CODES["ETIMEDOUT"]: Timeout,
    CODES["EFAILED"]: TaskFailed,
    CODES["ECANCELED"]: Cancelled,
    CODES["ESESSION"]: SessionLost,
    CODES["EIO"]: SessionLost,
    CODES["ESHUTDOWN"]: SessionLost,
    CODES["EAGAIN"]: WouldBlock,
}


def error_for(code, message=None):
    """The exception for a code returned by a libordo call."""
    return _BY_CODE.get(code, Error)(code, message)


def check(rc):
    """Raises the error of a negative libordo return code (with
    ordo_last_error()'s text); returns rc otherwise."""
    if rc < 0:
        raise error_for(rc, _lib.last_error_text())
    return rc
