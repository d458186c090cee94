"""The client: a session with ordod, its buffers, tasks and events.

Client wraps one ordo_client_t.  Every submitting call returns the task id
at once (an int; the task is batched, and sent when its batch is flushed).
Each of the session's tasks produces exactly one event, consumed either by
wait(id) or by the events() iterator; a read's result lands in its numpy
array when the daemon's completion arrives.
"""

import ctypes
import operator
import os
import struct
import time

import numpy as np

from . import _lib
from .errors import (CODES, Cancelled, Error, InvalidArgument, NotFound, TaskFailed,
                     Timeout, check, error_for)
from .view import DTYPES, Arg, In, InOut, Out, View, dtype_name

# Long blocking calls are cut into slices so that Ctrl-C reaches Python.
_SLICE_MS = 200

STATES = {
    _lib.TASK_UNKNOWN: "unknown", _lib.TASK_WAITING: "waiting", _lib.TASK_READY: "ready",
    _lib.TASK_RUNNING: "running", _lib.TASK_DONE: "done", _lib.TASK_FAILED: "failed",
    _lib.TASK_CANCELLED: "cancelled",
}


def session_of(task_id):
    """The session id in a task id's high bits."""
    return task_id >> _lib.SEQ_BITS


def _ms(timeout):
    """Seconds (None: forever) to libordo's milliseconds (< 0: forever)."""
    if timeout is None:
        return -1
    return max(0, int(round(timeout * 1000)))


class Event:
    """What the daemon reported about one task: .id, .state ("done",
    "failed", "cancelled"; "unknown" for a watched id never accepted),
    .code (0 or the ORDO_E* reason), .error (text), .cause (for a cancelled
    task, the failed task at the root), .accepted_ns/.started_ns/
    .finished_ns (daemon monotonic clock) and, for a read, .data (the
    array)."""

    __slots__ = ("id", "state", "code", "error", "cause", "accepted_ns", "started_ns",
                 "finished_ns", "data")

    def __init__(self, ev, data=None):
        self.id = ev.id
        self.state = STATES.get(ev.state, "unknown")
        self.code = ev.code
        self.error = ev.error.decode("utf-8", "replace")
        self.cause = ev.cause
        self.accepted_ns = ev.accepted_ns
        self.started_ns = ev.started_ns
        self.finished_ns = ev.finished_ns
        self.data = data

    @property
    def ok(self):
        return self.state == "done" and self.code == 0

    def exception(self):
        """The ordo.Error this outcome stands for, or None when it is done."""
        if self.ok:
            return None
        if self.state == "cancelled":
            return Cancelled(CODES["ECANCELED"], self.error or "task %#x cancelled" % self.id,
                             task=self.id, event=self)
        if self.state == "unknown":
            return NotFound(self.code or CODES["ENOENT"],
                            self.error or "task %#x was never accepted" % self.id,
                            task=self.id, event=self)
        return TaskFailed(self.code or CODES["EFAILED"],
                          self.error or "task %#x failed" % self.id, task=self.id, event=self)

    def check(self):
        """Raises exception() when there is one; returns self otherwise."""
        e = self.exception()
        if e is not None:
            raise e
        return self

    def __repr__(self):
        extra = " code=%d error=%r" % (self.code, self.error) if not self.ok else ""
        return "Event(id=%#x, %s%s)" % (self.id, self.state, extra)


class ReadFuture:
    """The pending result of Client.read(): .id is the task id (usable in
    deps), .result(timeout) the numpy array once the read has completed."""

    def __init__(self, client, task_id, view, array):
        self._client = client
        self.id = task_id
        self.view = view
        self._array = array
        self._event = None

    def done(self):
        return self._event is not None

    def result(self, timeout=None):
        """The array read; raises TaskFailed, Cancelled or Timeout."""
        if self._event is None:
            self._client.wait(self.id, timeout)
        return self._event.check().data

    def exception(self, timeout=None):
        if self._event is None:
            try:
                self._client.wait(self.id, timeout)
            except (TaskFailed, Cancelled):
                pass
        return self._event.exception()

    def __array__(self, dtype=None):
        a = self.result()
        return a if dtype is None else a.astype(dtype)

    def _resolve(self, raw):
        self._event = Event(raw, self._array)

    def __repr__(self):
        return "ReadFuture(id=%#x, %s)" % (self.id, self._event.state if self._event
                                            else "pending")


class Buffer:
    """Device memory owned by ordod: .id, .size (bytes), .name (None when
    private).  view() describes views of it."""

    def __init__(self, client, buffer_id, size, name):
        self.client = client
        self.id = buffer_id
        self.size = size
        self.name = name

    def view(self, dtype="u8", shape=None, strides=None, offset=0):
        """A view of the buffer; shape None: all of it as one dimension.
        Checked against the buffer's size here (RangeError)."""
        if shape is None:
            size = _np_of(dtype).itemsize
            shape = ((self.size - offset * size) // size,)
        elif isinstance(shape, int):
            shape = (shape,)
        return View(self, dtype, shape, strides, offset)

    def release(self):
        """Drops this session's hold (the daemon frees the memory once no
        session holds it and every task touching it has finished)."""
        self.client._check_open()
        check(_lib.buffer_release(self.client._c, self.id))

    def __repr__(self):
        return "Buffer(id=%d, size=%d%s)" % (self.id, self.size,
                                             ", name=%r" % self.name if self.name else "")


def _np_of(dtype):
    return DTYPES[dtype_name(dtype)][1]


def _dep_ids(deps):
    ids = []
    for d in deps or ():
        try:
            i = operator.index(getattr(d, "id", d))
        except TypeError:
            i = 0
        if isinstance(d, bool) or not 0 < i < 1 << 64:
            raise InvalidArgument(-1, "deps must be task ids (or read futures), not %r" % (d,))
        ids.append(i)
    return ids


class Client:
    """A session with ordod.

    Client(endpoint=None, *, name=None, connect_timeout=None,
    request_timeout=None, batch_max_tasks=0, batch_delay_us=0,
    quiet_success=False, resume=None): endpoint None is libordo's default
    ($ORDO_ENDPOINT, then the per-user socket).  Timeouts in seconds.
    resume=(session, token) continues a session that another client left
    with detach() (see detach).  Use as a context manager, or call close().
    """

    def __init__(self, endpoint=None, *, name=None, connect_timeout=None,
                 request_timeout=None, batch_max_tasks=0, batch_delay_us=0,
                 quiet_success=False, resume=None):
        self._c = None
        self._reads = {}
        self._watched = set()
        opts = _lib.ClientOpts()
        opts.connect_timeout_ms = _ms(connect_timeout) if connect_timeout else 0
        opts.request_timeout_ms = _ms(request_timeout) if request_timeout else 0
        opts.batch_max_tasks = batch_max_tasks
        opts.batch_delay_us = batch_delay_us
        opts.name = (name or "python[%d]" % os.getpid()).encode()
        opts.quiet_success = 1 if quiet_success else 0
        c = ctypes.c_void_p()
        ep = endpoint.encode() if endpoint else None
        if resume is None:
            check(_lib.client_new(ctypes.byref(c), ep, ctypes.byref(opts)))
        else:
            session, token = resume
            token = bytes(token)
            if len(token) != _lib.TOKEN_BYTES:
                raise InvalidArgument(CODES["EINVAL"], "a resume token is %d bytes, not %d"
                                      % (_lib.TOKEN_BYTES, len(token)))
            check(_lib.client_resume(ctypes.byref(c), ep, ctypes.byref(opts), session, token))
        self._c = c

    # ---- session ---------------------------------------------------------

    def close(self):
        """Sends what is batched, says Bye and disconnects.  Accepted tasks
        keep running in the daemon; their events are discarded."""
        if self._c is not None:
            _lib.client_destroy(ctypes.byref(self._c))
            self._c = None
            # libordo no longer writes into the read arrays: let them go.
            self._reads.clear()

    def detach(self):
        """Sends what is batched, waits until ordod has accepted it, and
        disconnects without ending the session: its tasks go on, and for
        ordod's --session-grace seconds (default 30) the daemon keeps their
        completions for Client(resume=(session, token)), in this process
        or another.  There, waiting on an id submitted before the detach
        gives its outcome (without timings or read data); a read() still
        pending here never completes.  Read session and token before."""
        c = self._check_open()
        rc = _lib.client_detach(ctypes.byref(c))  # frees the client, even on error
        self._c = None
        self._reads.clear()
        check(rc)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def _check_open(self):
        if self._c is None:
            raise Error(CODES["EINVAL"], "the client is closed")
        return self._c

    @property
    def session(self):
        return _lib.client_session(self._check_open())

    @property
    def token(self):
        """The session's resume token (bytes; a secret): with session, what
        Client(resume=...) needs to continue the session after detach()."""
        buf = ctypes.create_string_buffer(_lib.TOKEN_BYTES)
        check(_lib.client_token(self._check_open(), buf))
        return buf.raw

    @property
    def credits(self):
        return _lib.client_credits(self._check_open())

    @property
    def unfinished(self):
        """Own tasks whose completion has not arrived yet."""
        return _lib.client_unfinished(self._check_open())

    @property
    def endpoint(self):
        return _lib.client_endpoint(self._check_open()).decode()

    def fileno(self):
        """Readable while events are queued (for select/poll/selectors)."""
        return _lib.client_fd(self._check_open())

    # ---- buffers and views ---------------------------------------------

    def create_buffer(self, nbytes, name=None):
        """A new zero-filled buffer of nbytes; name None: private to this
        session, else shared under that name."""
        bid = ctypes.c_uint64()
        check(_lib.buffer_create(self._check_open(), int(nbytes),
                                 name.encode() if name else None, ctypes.byref(bid)))
        return Buffer(self, bid.value, int(nbytes), name)

    def open_buffer(self, name):
        """Opens a buffer another session created with a name."""
        bid, size = ctypes.c_uint64(), ctypes.c_uint64()
        check(_lib.buffer_open(self._check_open(), name.encode(), ctypes.byref(bid),
                               ctypes.byref(size)))
        return Buffer(self, bid.value, size.value, name)

    def tensor(self, shape, dtype="f32", name=None):
        """A new buffer just large enough for shape, and its contiguous view."""
        if isinstance(shape, int):
            shape = (shape,)
        n = int(np.prod(shape, dtype=np.int64)) if len(shape) else 1
        buf = self.create_buffer(max(1, n) * _np_of(dtype).itemsize, name)
        return buf.view(dtype, tuple(shape))

    # ---- tasks -------------------------------------------------------------

    def submit(self, kernel, *args, params=None, deps=(), data=None, flush=False,
               block=True, _read=None):
        """Submits kernel on args (ordo.In/Out/InOut of views) and returns
        the task id at once.  params: the kernel's parameter bytes (bytes,
        a numpy array or scalar, or str as UTF-8); deps: task ids to wait
        for besides those the bytes imply; data: bytes carried to the
        kernel; flush: send the batch now; block False: WouldBlock instead
        of waiting when the session is out of credits."""
        c = self._check_open()
        for a in args:
            if not isinstance(a, Arg):
                raise InvalidArgument(-1, "task arguments are ordo.In(view), ordo.Out(view) "
                                          "or ordo.InOut(view), not %s" % type(a).__name__)
        acc = (_lib.Access * max(1, len(args)))()
        for i, a in enumerate(args):
            acc[i].view = ctypes.pointer(a.view._t)
            acc[i].mode = a.mode
        t = _lib.Submit()
        t.kernel = kernel.encode()
        t.args = acc
        t.nargs = len(args)
        keep = []
        if params is not None:
            p, t.params, t.params_len = _bytes(params)
            keep.append(p)
        ids = _dep_ids(deps)
        if ids:
            d = (ctypes.c_uint64 * len(ids))(*ids)
            keep.append(d)
            t.deps = d
            t.ndeps = len(ids)
        if data is not None:
            b, t.data, t.data_len = _bytes(data)
            keep.append(b)
        if _read is not None:
            t.read_dst = _read.ctypes.data
            t.read_len = _read.nbytes
        t.flags = (_lib.SUBMIT_FLUSH if flush else 0) | (0 if block else _lib.SUBMIT_NONBLOCK)
        tid = ctypes.c_uint64()
        check(_lib.submit(c, ctypes.byref(t), ctypes.byref(tid)))
        return tid.value

    def write(self, view, array, deps=(), flush=False):
        """Writes host data into view (a host_write task); array is
        converted to the view's dtype (same kind only) and broadcast to
        its shape.  The data is copied at once.  Returns the task id."""
        a = _host_data(view, array)
        if not deps:
            tid = ctypes.c_uint64()
            check(_lib.write(self._check_open(), ctypes.byref(view._t), a.ctypes.data,
                             a.nbytes, ctypes.byref(tid)))
            if flush:
                self.flush()
            return tid.value
        return self.submit("host_write", Out(view), data=a, deps=deps, flush=flush)

    def read(self, view, deps=()):
        """Reads view back (a host_read task, ordered after every earlier
        write of its bytes).  Returns a ReadFuture: .id, .result(timeout)."""
        out = np.empty(view.shape, view.np_dtype)
        if not deps:
            tid = ctypes.c_uint64()
            check(_lib.read(self._check_open(), ctypes.byref(view._t),
                            out.ctypes.data if out.nbytes else None, out.nbytes,
                            ctypes.byref(tid)))
            tid = tid.value
        else:
            tid = self.submit("host_read", In(view), deps=deps,
                              _read=out if out.nbytes else None)
        fut = ReadFuture(self, tid, view, out)
        self._reads[tid] = fut
        return fut

    def fill(self, view, value, deps=()):
        """view = value (converted to its dtype by the daemon)."""
        return self.submit("fill", Out(view), params=struct.pack("<d", value), deps=deps)

    def copy(self, dst, src, deps=()):
        """dst = src (same shape and dtype)."""
        return self.submit("copy", Out(dst), In(src), deps=deps)

    def axpy(self, y, alpha, x, deps=()):
        """y = alpha * x + y (f32 or f64)."""
        return self.submit("axpy", InOut(y), In(x), params=struct.pack("<d", alpha),
                           deps=deps)

    def scale(self, x, alpha, deps=()):
        """x = alpha * x (f32 or f64)."""
        return self.submit("scale", InOut(x), params=struct.pack("<d", alpha), deps=deps)

    def gather_rows(self, dst, src, idx, deps=()):
        """dst[i, :] = src[idx[i], :]; idx an i32 or i64 view."""
        return self.submit("gather_rows", Out(dst), In(src), In(idx), deps=deps)

    def scatter_rows(self, dst, src, idx, deps=()):
        """dst[idx[i], :] = src[i, :], in order of i.  dst is declared
        inout: the rows not named keep their contents."""
        return self.submit("scatter_rows", InOut(dst), In(src), In(idx), deps=deps)

    def noop(self, *args, deps=()):
        """Does nothing; orders like any task with these arguments."""
        return self.submit("noop", *args, deps=deps)

    def sleep(self, seconds, *args, deps=()):
        """Sleeps in a worker (tests)."""
        return self.submit("sleep", *args, params=struct.pack("<Q", int(seconds * 1e6)),
                           deps=deps)

    def fail(self, message, *args, deps=()):
        """A task that fails with message (tests)."""
        return self.submit("fail", *args, params=message.encode(), deps=deps)

    def flush(self):
        """Sends the batched tasks now."""
        check(_lib.flush(self._check_open()))

    def sync(self, timeout=None):
        """Flushes, then waits (timeout in seconds, None: forever) until the
        daemon has accepted or refused every task sent so far, so that their
        ids can be given to other sessions as dependencies."""
        check(_lib.sync(self._check_open(), _ms(timeout)))

    # ---- completion --------------------------------------------------------

    def wait(self, task_id, timeout=None):
        """Waits until the task has finished (timeout in seconds, None:
        forever) and consumes its event.  Returns the Event when it is done;
        raises TaskFailed, Cancelled, Timeout, or NotFound when its event
        was already consumed (by events() or an earlier wait)."""
        c = self._check_open()
        task_id = getattr(task_id, "id", task_id)
        deadline = None if timeout is None else time.monotonic() + timeout
        raw = _lib.Event()
        while True:
            ms = _SLICE_MS
            if deadline is not None:
                ms = min(ms, max(0, int((deadline - time.monotonic()) * 1000)))
            rc = _lib.wait(c, task_id, ms, ctypes.byref(raw))
            if rc != CODES["ETIMEDOUT"]:
                break
            if deadline is not None and time.monotonic() >= deadline:
                raise Timeout(rc, "task %#x has not finished after %g s" % (task_id, timeout),
                              task=task_id)
        if rc < 0 and rc not in (CODES["EFAILED"], CODES["ECANCELED"]):
            check(rc)
        return self._deliver(raw).check()

    def wait_all(self, task_ids, timeout=None):
        """wait() on each id in turn (one timeout for all); returns the events."""
        deadline = None if timeout is None else time.monotonic() + timeout
        out = []
        for t in task_ids:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            out.append(self.wait(t, left))
        return out

    def wait_idle(self, timeout=None):
        """Waits until every own task submitted so far has completed; their
        events stay queued for events()."""
        c = self._check_open()
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            ms = _SLICE_MS
            if deadline is not None:
                ms = min(ms, max(0, int((deadline - time.monotonic()) * 1000)))
            rc = _lib.wait_idle(c, ms)
            if rc != CODES["ETIMEDOUT"]:
                check(rc)
                return
            if deadline is not None and time.monotonic() >= deadline:
                raise Timeout(rc, "%d tasks still unfinished after %g s"
                              % (self.unfinished, timeout))

    def watch(self, *task_ids):
        """Asks for the events of other sessions' tasks (then delivered by
        events() or wait())."""
        ids = _dep_ids(task_ids)
        arr = (ctypes.c_uint64 * max(1, len(ids)))(*ids)
        check(_lib.watch(self._check_open(), arr, len(ids)))
        me = self.session
        self._watched.update(i for i in ids if session_of(i) != me)

    def events(self, timeout=None):
        """Iterates over events in arrival order, consuming them.  Ends once
        the session is idle (no own task unfinished, no watched id pending,
        nothing queued), or when no event has come for timeout seconds.
        Failed tasks are yielded as events, not raised: see Event.check()."""
        c = self._check_open()
        raw = _lib.Event()
        last = time.monotonic()
        while True:
            n = check(_lib.poll(c, ctypes.byref(raw), 1, 0))
            if n == 0 and _lib.client_unfinished(c) == 0 and not self._watched:
                # A completion may have landed between the two calls.
                n = check(_lib.poll(c, ctypes.byref(raw), 1, 0))
                if n == 0:
                    return
            if n == 0:
                ms = _SLICE_MS
                if timeout is not None:
                    left = timeout - (time.monotonic() - last)
                    if left <= 0:
                        return
                    ms = min(ms, int(left * 1000) + 1)
                n = check(_lib.poll(c, ctypes.byref(raw), 1, ms))
            if n:
                last = time.monotonic()
                yield self._deliver(raw)

    def _deliver(self, raw):
        self._watched.discard(raw.id)
        fut = self._reads.pop(raw.id, None)
        if fut is not None:
            fut._resolve(raw)
            return fut._event
        return Event(raw)


def _bytes(x):
    """(object to keep alive, address, length) of parameter or data bytes:
    bytes, bytearray, memoryview, str (UTF-8) or numpy values."""
    if isinstance(x, str):
        x = x.encode()
    if isinstance(x, (bytes, bytearray, memoryview)):
        x = np.frombuffer(x, dtype=np.uint8) if len(x) else np.zeros(0, np.uint8)
    if not isinstance(x, (np.ndarray, np.generic)):
        raise InvalidArgument(-1, "params and data are bytes, str or numpy values, not %s"
                              % type(x).__name__)
    x = np.ascontiguousarray(x)
    return x, (x.ctypes.data if x.nbytes else None), x.nbytes


def _host_data(view, array):
    """array as contiguous host bytes of view's dtype and shape."""
    a = np.asarray(array)
    want = view.np_dtype
    if view.dtype == "bf16" and a.dtype != np.uint16:
        raise InvalidArgument(-1, "a bf16 view takes its raw bits as uint16 data, not %s"
                              % a.dtype)
    if a.dtype != want:
        if not np.can_cast(a.dtype, want, "same_kind"):
            raise InvalidArgument(-1, "cannot write %s data into a %s view without changing "
                                      "its kind; convert it first" % (a.dtype, view.dtype))
        a = a.astype(want)
    try:
        a = np.broadcast_to(a, view.shape)
    except ValueError:
        raise InvalidArgument(-1, "data of shape %s does not fit a view of shape %s"
                              % (a.shape, view.shape)) from None
    return np.ascontiguousarray(a)


def status(command="status", *args, json=False, endpoint=None, timeout=5.0):
    """Asks ordod's status socket (endpoint None: $ORDO_STATUS_ENDPOINT or
    the default) and returns its text; ordo.Error when it refuses."""
    text = ctypes.c_void_p()
    argv = (ctypes.c_char_p * max(1, len(args)))(*[a.encode() for a in args])
    rc = _lib.status_query(endpoint.encode() if endpoint else None, command.encode(), argv,
                           len(args), 1 if json else 0, _ms(timeout), ctypes.byref(text))
    body = ""
    if text.value:
        body = ctypes.string_at(text.value).decode("utf-8", "replace")
        _lib.free(text)
    if rc < 0:
        raise error_for(rc, body or _lib.last_error_text())
    return body
