"""Loading libordo and declaring its C interface for ctypes.

The structures mirror client/ordo.h.  Their layout is ABI: ordo_tensor_t
field for field; ordo_client_opts_t, ordo_submit_t and ordo_event_t end with
reserved fields that must be zero.  The binding allocates the structures
with those reserved fields and zeroes them, which is also safe against a
libordo built before they were added (it reads and writes a prefix), and it
polls events one at a time, so the size of ordo_event_t never decides where
an array element starts.
"""

import ctypes
import ctypes.util
import os

MAX_NDIM = 8
ERROR_MAX = 256

# Flags of ordo_submit_t.
SUBMIT_NONBLOCK = 1
SUBMIT_FLUSH = 2

# ordo_task_state_t
TASK_UNKNOWN = 0
TASK_WAITING = 1
TASK_READY = 2
TASK_RUNNING = 3
TASK_DONE = 4
TASK_FAILED = 5
TASK_CANCELLED = 6

SEQ_BITS = 42


class Tensor(ctypes.Structure):
    _fields_ = [
        ("buffer", ctypes.c_uint64),
        ("dtype", ctypes.c_int32),
        ("ndim", ctypes.c_int32),
        ("offset", ctypes.c_int64),
        ("shape", ctypes.c_int64 * MAX_NDIM),
        ("strides", ctypes.c_int64 * MAX_NDIM),
    ]


class Access(ctypes.Structure):
    _fields_ = [
        ("view", ctypes.POINTER(Tensor)),
        ("mode", ctypes.c_int),
    ]


class ClientOpts(ctypes.Structure):
    _fields_ = [
        ("connect_timeout_ms", ctypes.c_int),
        ("request_timeout_ms", ctypes.c_int),
        ("batch_max_tasks", ctypes.c_int),
        ("batch_delay_us", ctypes.c_int),
        ("name", ctypes.c_char_p),
        ("quiet_success", ctypes.c_int),
        ("reserved", ctypes.c_int * 7),
    ]


class Submit(ctypes.Structure):
    _fields_ = [
        ("kernel", ctypes.c_char_p),
        ("args", ctypes.POINTER(Access)),
        ("nargs", ctypes.c_int),
        ("params", ctypes.c_void_p),
        ("params_len", ctypes.c_size_t),
        ("deps", ctypes.POINTER(ctypes.c_uint64)),
        ("ndeps", ctypes.c_int),
        ("data", ctypes.c_void_p),
        ("data_len", ctypes.c_size_t),
        ("read_dst", ctypes.c_void_p),
        ("read_len", ctypes.c_size_t),
        ("flags", ctypes.c_int),
        ("reserved", ctypes.c_uint64 * 4),
    ]


class Event(ctypes.Structure):
    _fields_ = [
        ("id", ctypes.c_uint64),
        ("state", ctypes.c_int32),
        ("code", ctypes.c_int32),
        ("cause", ctypes.c_uint64),
        ("accepted_ns", ctypes.c_uint64),
        ("started_ns", ctypes.c_uint64),
        ("finished_ns", ctypes.c_uint64),
        ("data_len", ctypes.c_uint64),
        ("error", ctypes.c_char * ERROR_MAX),
        ("reserved", ctypes.c_uint64 * 4),
    ]


def _candidates():
    """Where libordo may be, in the order tried: $ORDO_LIBRARY, an in-tree
    build next to this package's checkout, then the system's search."""
    env = os.environ.get("ORDO_LIBRARY")
    if env:
        return [env], True
    here = os.path.dirname(os.path.abspath(__file__))
    top = os.path.normpath(os.path.join(here, "..", "..", ".."))
    found = []
    for build in (top, os.path.join(top, "build")):
        path = os.path.join(build, "client", ".libs", "libordo.so")
        if os.path.exists(path):
            found.append(path)
    name = ctypes.util.find_library("ordo")
    if name:
        found.append(name)
    found.append("libordo.so.0")
    return found, False


def _load():
    paths, explicit = _candidates()
    errors = []
    for path in paths:
        try:
            return ctypes.CDLL(path), path
        except OSError as e:
            errors.append("%s: %s" % (path, e))
            if explicit:
                break
    raise ImportError("ordo: cannot load libordo (set ORDO_LIBRARY to the path of "
                      "libordo.so): " + "; ".join(errors))


lib, path = _load()

_u64 = ctypes.c_uint64
_i64p = ctypes.POINTER(ctypes.c_int64)
_tp = ctypes.POINTER(Tensor)
_cp = ctypes.c_void_p   # ordo_client_t *


def _proto(name, restype, *argtypes):
    f = getattr(lib, name)
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


strerror = _proto("ordo_strerror", ctypes.c_char_p, ctypes.c_int)
last_error = _proto("ordo_last_error", ctypes.c_char_p)
dtype_size = _proto("ordo_dtype_size", ctypes.c_size_t, ctypes.c_int)
dtype_name = _proto("ordo_dtype_name", ctypes.c_char_p, ctypes.c_int)

client_new = _proto("ordo_client_new", ctypes.c_int, ctypes.POINTER(_cp), ctypes.c_char_p,
                    ctypes.POINTER(ClientOpts))
client_destroy = _proto("ordo_client_destroy", None, ctypes.POINTER(_cp))
TOKEN_BYTES = 16    # ORDO_TOKEN_BYTES
client_token = _proto("ordo_client_token", ctypes.c_int, _cp, ctypes.c_char_p)
client_resume = _proto("ordo_client_resume", ctypes.c_int, ctypes.POINTER(_cp), ctypes.c_char_p,
                       ctypes.POINTER(ClientOpts), ctypes.c_uint32, ctypes.c_char_p)
client_detach = _proto("ordo_client_detach", ctypes.c_int, ctypes.POINTER(_cp))
client_session = _proto("ordo_client_session", ctypes.c_uint32, _cp)
client_credits = _proto("ordo_client_credits", ctypes.c_uint32, _cp)
client_unfinished = _proto("ordo_client_unfinished", ctypes.c_uint64, _cp)
client_endpoint = _proto("ordo_client_endpoint", ctypes.c_char_p, _cp)
client_fd = _proto("ordo_client_fd", ctypes.c_int, _cp)

buffer_create = _proto("ordo_buffer_create", ctypes.c_int, _cp, _u64, ctypes.c_char_p,
                       ctypes.POINTER(_u64))
buffer_open = _proto("ordo_buffer_open", ctypes.c_int, _cp, ctypes.c_char_p,
                     ctypes.POINTER(_u64), ctypes.POINTER(_u64))
buffer_release = _proto("ordo_buffer_release", ctypes.c_int, _cp, _u64)

tensor_init = _proto("ordo_tensor_init", ctypes.c_int, _tp, _u64, ctypes.c_int,
                     ctypes.c_int64, ctypes.c_int, _i64p, _i64p)
tensor_slice = _proto("ordo_tensor_slice", ctypes.c_int, _tp, _tp, ctypes.c_int,
                      ctypes.c_int64, ctypes.c_int64, ctypes.c_int64)
tensor_index = _proto("ordo_tensor_index", ctypes.c_int, _tp, _tp, ctypes.c_int,
                      ctypes.c_int64)
tensor_reshape = _proto("ordo_tensor_reshape", ctypes.c_int, _tp, _tp, ctypes.c_int, _i64p)
tensor_permute = _proto("ordo_tensor_permute", ctypes.c_int, _tp, _tp,
                        ctypes.POINTER(ctypes.c_int))
tensor_unsqueeze = _proto("ordo_tensor_unsqueeze", ctypes.c_int, _tp, _tp, ctypes.c_int)
tensor_broadcast = _proto("ordo_tensor_broadcast", ctypes.c_int, _tp, _tp, ctypes.c_int,
                          _i64p)
tensor_is_contiguous = _proto("ordo_tensor_is_contiguous", ctypes.c_int, _tp)

submit = _proto("ordo_submit", ctypes.c_int, _cp, ctypes.POINTER(Submit),
                ctypes.POINTER(_u64))
flush = _proto("ordo_flush", ctypes.c_int, _cp)
sync = _proto("ordo_sync", ctypes.c_int, _cp, ctypes.c_int)
wait = _proto("ordo_wait", ctypes.c_int, _cp, _u64, ctypes.c_int, ctypes.POINTER(Event))
wait_idle = _proto("ordo_wait_idle", ctypes.c_int, _cp, ctypes.c_int)
watch = _proto("ordo_watch", ctypes.c_int, _cp, ctypes.POINTER(_u64), ctypes.c_int)
poll = _proto("ordo_poll", ctypes.c_int, _cp, ctypes.POINTER(Event), ctypes.c_int,
              ctypes.c_int)
write = _proto("ordo_write", ctypes.c_int, _cp, _tp, ctypes.c_void_p, ctypes.c_size_t,
               ctypes.POINTER(_u64))
read = _proto("ordo_read", ctypes.c_int, _cp, _tp, ctypes.c_void_p, ctypes.c_size_t,
              ctypes.POINTER(_u64))
status_query = _proto("ordo_status_query", ctypes.c_int, ctypes.c_char_p, ctypes.c_char_p,
                      ctypes.POINTER(ctypes.c_char_p), ctypes.c_int, ctypes.c_int,
                      ctypes.c_int, ctypes.POINTER(ctypes.c_void_p))
free = _proto("ordo_free", None, ctypes.c_void_p)


def int64s(values):
    """A C array of int64 (at least one element, so never a NULL pointer)."""
    values = list(values)
    return (ctypes.c_int64 * max(1, len(values)))(*values)


def last_error_text():
    return last_error().decode("utf-8", "replace")
