"""Tensor views: (buffer, dtype, offset, shape, strides), built locally.

A View is an immutable value around libordo's ordo_tensor_t.  Slicing,
integer indexing, reshape, transpose and broadcasting go through libordo's
ordo_tensor_* helpers, so Python and C derive exactly the same views.
Offsets and strides count elements, as everywhere in ordo.
"""

import ctypes
import operator

import numpy as np

from . import _lib
from .errors import InvalidArgument, RangeError, check

# ordo dtype name -> (ordo_dtype_t value, numpy dtype used for host data).
# numpy has no bfloat16: bf16 data travels as its raw bits in uint16.
DTYPES = {
    "f16": (1, np.dtype("<f2")), "bf16": (2, np.dtype("<u2")),
    "f32": (3, np.dtype("<f4")), "f64": (4, np.dtype("<f8")),
    "i8": (5, np.dtype("i1")), "i16": (6, np.dtype("<i2")),
    "i32": (7, np.dtype("<i4")), "i64": (8, np.dtype("<i8")),
    "u8": (9, np.dtype("u1")), "u16": (10, np.dtype("<u2")),
    "u32": (11, np.dtype("<u4")), "u64": (12, np.dtype("<u8")),
}
_BY_VALUE = {value: name for name, (value, _) in DTYPES.items()}
_BY_NUMPY = {np_dt: name for name, (_, np_dt) in DTYPES.items() if name != "bf16"}

IN, OUT, INOUT = 1, 2, 3


def dtype_name(dtype):
    """The ordo name ("f32") of a dtype given as an ordo name, an
    ordo_dtype_t value or anything numpy.dtype() accepts."""
    if isinstance(dtype, str) and dtype in DTYPES:
        return dtype
    if isinstance(dtype, int) and not isinstance(dtype, bool):
        if dtype in _BY_VALUE:
            return _BY_VALUE[dtype]
        raise InvalidArgument(-1, "unknown ordo dtype value %d" % dtype)
    try:
        np_dt = np.dtype(dtype).newbyteorder("<")
    except TypeError:
        raise InvalidArgument(-1, "unknown dtype %r" % (dtype,)) from None
    if np_dt not in _BY_NUMPY:
        raise InvalidArgument(-1, "dtype %s has no ordo equivalent" % np_dt)
    return _BY_NUMPY[np_dt]


class View:
    """A view of an ordo buffer.

    View(buffer, dtype, shape, strides=None, offset=0): buffer is an
    ordo.Buffer (the view is then checked against its size here) or a
    buffer id (checked by the daemon when a task uses it).  strides None
    means row-major contiguous.  Usually made by Buffer.view() or
    Client.tensor(), then derived with v[...], .reshape(), .T, ...
    """

    __slots__ = ("_t", "buffer")

    def __init__(self, buffer, dtype, shape, strides=None, offset=0):
        name = dtype_name(dtype)
        shape = _ints(shape, "shape")
        if len(shape) > _lib.MAX_NDIM:
            raise InvalidArgument(-1, "a view has at most %d dimensions, not %d"
                                  % (_lib.MAX_NDIM, len(shape)))
        if strides is not None:
            strides = _ints(strides, "strides")
            if len(strides) != len(shape):
                raise InvalidArgument(-1, "shape %s and strides %s differ in length"
                                      % (tuple(shape), tuple(strides)))
        if hasattr(buffer, "id"):
            bid = buffer.id
        else:
            bid = operator.index(buffer)
            buffer = None
        t = _lib.Tensor()
        check(_lib.tensor_init(ctypes.byref(t), bid, DTYPES[name][0], int(offset),
                               len(shape), _lib.int64s(shape),
                               None if strides is None else _lib.int64s(strides)))
        self._t = t
        self.buffer = buffer
        if buffer is not None:
            self._check_bounds(self.buffer.size)

    @classmethod
    def _wrap(cls, t, buffer):
        v = cls.__new__(cls)
        v._t = t
        v.buffer = buffer
        return v

    # ---- what it is --------------------------------------------------

    @property
    def buffer_id(self):
        return self._t.buffer

    @property
    def dtype(self):
        """The ordo dtype name ("f32")."""
        return _BY_VALUE[self._t.dtype]

    @property
    def np_dtype(self):
        """The numpy dtype of its host data (uint16 bits for bf16)."""
        return DTYPES[self.dtype][1]

    @property
    def itemsize(self):
        return self.np_dtype.itemsize

    @property
    def ndim(self):
        return self._t.ndim

    @property
    def shape(self):
        return tuple(self._t.shape[:self._t.ndim])

    @property
    def strides(self):
        """Strides in elements (not bytes, unlike numpy)."""
        return tuple(self._t.strides[:self._t.ndim])

    @property
    def offset(self):
        return self._t.offset

    @property
    def size(self):
        n = 1
        for e in self.shape:
            n *= e
        return n

    @property
    def nbytes(self):
        return self.size * self.itemsize

    @property
    def is_contiguous(self):
        return bool(_lib.tensor_is_contiguous(ctypes.byref(self._t)))

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d view")
        return self.shape[0]

    def __repr__(self):
        return ("View(buffer=%d, dtype=%s, shape=%s, strides=%s, offset=%d)"
                % (self.buffer_id, self.dtype, self.shape, self.strides, self.offset))

    def __eq__(self, other):
        return (isinstance(other, View) and self.buffer_id == other.buffer_id
                and self.dtype == other.dtype and self.offset == other.offset
                and self.shape == other.shape and self.strides == other.strides)

    def __hash__(self):
        return hash((self.buffer_id, self.dtype, self.offset, self.shape, self.strides))

    def element_range(self):
        """(lo, hi): the lowest and highest element index the view touches,
        or None when it is empty."""
        if self.size == 0:
            return None
        lo = hi = self.offset
        for n, s in zip(self.shape, self.strides):
            if s < 0:
                lo += (n - 1) * s
            else:
                hi += (n - 1) * s
        return lo, hi

    def _check_bounds(self, nbytes):
        r = self.element_range()
        if r is None:
            return
        lo, hi = r
        if lo < 0 or (hi + 1) * self.itemsize > nbytes:
            raise RangeError(-4, "view leaves its buffer: elements [%d, %d] of %s, buffer %d "
                                 "holds %d bytes (%d elements); shape %s, strides %s, offset %d"
                             % (lo, hi, self.dtype, self.buffer_id, nbytes,
                                nbytes // self.itemsize, self.shape, self.strides,
                                self.offset))

    # ---- deriving views ------------------------------------------------

    def _derive(self, fn, *args):
        t = _lib.Tensor()
        check(fn(ctypes.byref(t), ctypes.byref(self._t), *args))
        return View._wrap(t, self.buffer)

    def __getitem__(self, key):
        """numpy basic indexing: ints, slices (with steps), None (a new axis)
        and one Ellipsis.  The result is a view, never a copy."""
        if not isinstance(key, tuple):
            key = (key,)
        if sum(1 for k in key if k is Ellipsis) > 1:
            raise IndexError("an index can only have a single ellipsis ('...')")
        used = sum(1 for k in key if k is not None and k is not Ellipsis)
        if used > self.ndim:
            raise IndexError("too many indices for a view: the view is %d-dimensional, "
                             "but %d were indexed" % (self.ndim, used))
        if any(k is Ellipsis for k in key):
            i = next(j for j, k in enumerate(key) if k is Ellipsis)
            key = key[:i] + (slice(None),) * (self.ndim - used) + key[i + 1:]
        v = self
        dim = 0
        for k in key:
            if k is None:
                v = v._derive(_lib.tensor_unsqueeze, dim)
                dim += 1
            elif isinstance(k, slice):
                start, stop, step = k.indices(v.shape[dim])
                v = v._derive(_lib.tensor_slice, dim, start, stop, step)
                dim += 1
            else:
                try:
                    i = operator.index(k)
                except TypeError:
                    raise IndexError("ordo views take integers, slices, None and '...' "
                                     "(a view cannot be indexed by %s)"
                                     % type(k).__name__) from None
                n = v.shape[dim]
                if not -n <= i < n:
                    raise IndexError("index %d is out of bounds for axis %d with size %d"
                                     % (i, dim, n))
                v = v._derive(_lib.tensor_index, dim, i + n if i < 0 else i)
        return v

    def reshape(self, *shape):
        """The same elements in another shape (one -1 is inferred).  Like
        ordo_tensor_reshape, only for a contiguous view (size-1 dims aside):
        InvalidArgument otherwise."""
        if len(shape) == 1 and not isinstance(shape[0], int):
            shape = tuple(shape[0])
        shape = _ints(shape, "shape")
        if shape.count(-1) > 1:
            raise InvalidArgument(-1, "reshape: only one dimension can be -1")
        if -1 in shape:
            rest = 1
            for e in shape:
                rest *= e if e != -1 else 1
            if rest == 0 or self.size % rest:
                raise InvalidArgument(-1, "cannot reshape a view of %d elements into %s"
                                      % (self.size, tuple(shape)))
            shape[shape.index(-1)] = self.size // rest
        if len(shape) > _lib.MAX_NDIM:
            raise InvalidArgument(-1, "a view has at most %d dimensions" % _lib.MAX_NDIM)
        return self._derive(_lib.tensor_reshape, len(shape), _lib.int64s(shape))

    def transpose(self, *axes):
        """Dimensions permuted: no argument reverses them (like .T);
        otherwise axes[k] is the old dimension that becomes dimension k."""
        if len(axes) == 1 and not isinstance(axes[0], int):
            axes = tuple(axes[0])
        if not axes:
            axes = tuple(range(self.ndim))[::-1]
        axes = [a + self.ndim if a < 0 else a for a in _ints(axes, "axes")]
        if sorted(axes) != list(range(self.ndim)):
            raise InvalidArgument(-1, "transpose: axes %s are not a permutation of the "
                                      "%d dimensions" % (tuple(axes), self.ndim))
        return self._derive(_lib.tensor_permute, (ctypes.c_int * max(1, self.ndim))(*axes))

    @property
    def T(self):
        return self.transpose()

    def broadcast_to(self, shape):
        """numpy.broadcast_to: trailing dimensions align; extent-1 dims grow
        with stride 0.  A broadcast view may be read, and written only when
        the kernel's order makes repeated writes to one element harmless."""
        shape = tuple(_ints(shape, "shape"))
        try:
            ok = np.broadcast_shapes(self.shape, shape) == shape
        except ValueError:
            ok = False
        if not ok:
            raise InvalidArgument(-1, "cannot broadcast a view of shape %s to %s"
                                  % (self.shape, shape))
        return self._derive(_lib.tensor_broadcast, len(shape), _lib.int64s(shape))

    def expand_dims(self, axis):
        """A new dimension of extent 1 at position axis."""
        return self._derive(_lib.tensor_unsqueeze, axis + self.ndim + 1 if axis < 0 else axis)


def broadcast(*views):
    """The views broadcast to their common shape (numpy.broadcast_arrays)."""
    try:
        shape = np.broadcast_shapes(*(v.shape for v in views))
    except ValueError as e:
        raise InvalidArgument(-1, "views do not broadcast together: %s" % e) from None
    return tuple(v.broadcast_to(shape) for v in views)


def _ints(values, what):
    try:
        return [operator.index(x) for x in values]
    except TypeError:
        raise InvalidArgument(-1, "%s must be a sequence of integers, not %r"
                              % (what, values)) from None


class Arg:
    """A task argument: a view and how the task accesses it."""

    __slots__ = ("view", "mode")

    def __init__(self, view, mode):
        if not isinstance(view, View):
            raise InvalidArgument(-1, "a task argument needs an ordo.View, not %s"
                                  % type(view).__name__)
        self.view = view
        self.mode = mode

    def __repr__(self):
        return "%s(%r)" % (type(self).__name__, self.view)


class In(Arg):
    """The task reads the view."""

    def __init__(self, view):
        super().__init__(view, IN)


class Out(Arg):
    """The task writes the view (old contents need not be read)."""

    def __init__(self, view):
        super().__init__(view, OUT)


class InOut(Arg):
    """The task reads and writes the view."""

    def __init__(self, view):
        super().__init__(view, INOUT)
