"""ordo for Python: a ctypes binding of libordo, the client library of ordod.

    import numpy as np, ordo
    with ordo.Client() as c:                     # $ORDO_ENDPOINT or the default
        m = c.tensor((64, 64), "f32")            # a new buffer and its view
        c.write(m, np.arange(64 * 64).reshape(64, 64))
        c.scale(m[3], 2.0)                       # ordered after the write: same bytes
        col = c.read(m.T[5])                     # m[:, 5], after both
        print(col.result(timeout=5))

Ordering follows bytes: every task waits for the earlier tasks whose views
share bytes with its own when one of the two writes, whatever view objects
were used.  See contrib/python/README.md.
"""

from . import _lib
from .client import Buffer, Client, Event, ReadFuture, session_of, status
from .errors import (CODES, Cancelled, Error, InvalidArgument, NotFound, RangeError,
                     SessionLost, TaskFailed, Timeout, WouldBlock, strerror)
from .view import DTYPES, In, InOut, Out, View, broadcast, dtype_name

library_path = _lib.path

__all__ = [
    "Buffer", "Client", "Event", "ReadFuture", "session_of", "status",
    "CODES", "Cancelled", "Error", "InvalidArgument", "NotFound", "RangeError",
    "SessionLost", "TaskFailed", "Timeout", "WouldBlock", "strerror",
    "DTYPES", "In", "InOut", "Out", "View", "broadcast", "dtype_name", "library_path",
]
