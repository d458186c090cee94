#!/usr/bin/env python3
"""Tests of the ordo Python binding against a real ordod.

Run by test_ordo.sh (make check), which starts ordod with --chaos on a
temporary endpoint and sets ORDO_ENDPOINT and ORDO_LIBRARY.  Every numeric
result is compared with the same steps done by numpy here.  Exit 77 when
numpy is missing.
"""

import ctypes
import json
import os
import re
import struct
import subprocess
import sys
import time
import unittest

try:
    import numpy as np
except ImportError:
    print("test_ordo: SKIP: numpy is missing (apt-get install python3-numpy)")
    sys.exit(77)

import ordo

HERE = os.path.dirname(os.path.abspath(__file__))
HEADER = os.path.join(HERE, "..", "..", "client", "ordo.h")


def footprint(view):
    """The element indices a view touches, as an array of its shape."""
    idx = np.full(view.shape, view.offset, dtype=np.int64)
    for d, (n, s) in enumerate(zip(view.shape, view.strides)):
        shape = [1] * view.ndim
        shape[d] = n
        idx = idx + (np.arange(n, dtype=np.int64) * s).reshape(shape)
    return idx


def edges():
    """The daemon's edge counters by kind, from its status socket."""
    st = json.loads(ordo.status("status", json=True))
    return {k: st["edges"]["edges_" + k] for k in ("raw", "war", "waw", "explicit")}


class TestTables(unittest.TestCase):
    """The binding's copies of ordo.h's tables agree with the header."""

    def setUp(self):
        if not os.path.exists(HEADER):
            self.skipTest("client/ordo.h not found next to the binding")
        with open(HEADER) as f:
            self.header = f.read()

    def test_error_codes(self):
        found = dict((n, int(c)) for n, c in
                     re.findall(r"X\((E[A-Z]+), (-\d+), \"", self.header))
        self.assertTrue(found)
        self.assertEqual(found, ordo.CODES)
        for name, code in found.items():
            self.assertNotEqual(ordo.strerror(code), "unknown error", name)

    def test_token_bytes(self):
        from ordo import _lib
        n = re.search(r"#define ORDO_TOKEN_BYTES (\d+)", self.header)
        self.assertEqual(int(n.group(1)), _lib.TOKEN_BYTES)

    def test_dtypes(self):
        found = dict((t, int(v)) for _, v, _, t in
                     re.findall(r"X\(([A-Z0-9]+), (\d+), (\d+), \"(\w+)\"\)", self.header))
        self.assertEqual(found, {n: v for n, (v, _) in ordo.DTYPES.items()})
        for n, (v, np_dt) in ordo.DTYPES.items():
            size = int(re.search(r"X\([A-Z0-9]+, %d, (\d+)," % v, self.header).group(1))
            self.assertEqual(size, np_dt.itemsize, n)


    def test_struct_layout(self):
        """ctypes' structures have the sizes and offsets of the C ones
        (compiled here with $CC, when there is a compiler)."""
        import shutil
        import tempfile
        from ordo import _lib
        cc = os.environ.get("CC", "cc").split()
        if not shutil.which(cc[0]):
            self.skipTest("no C compiler")
        structs = {"ordo_tensor_t": _lib.Tensor, "ordo_access_t": _lib.Access,
                   "ordo_client_opts_t": _lib.ClientOpts, "ordo_submit_t": _lib.Submit,
                   "ordo_event_t": _lib.Event}
        lines = ['#include <stdio.h>', '#include <stddef.h>', '#include "ordo.h"',
                 'int main(void) {']
        want = []
        for cname, py in structs.items():
            lines.append('printf("%%zu\\n", sizeof(%s));' % cname)
            want.append(ctypes.sizeof(py))
            for fname, _ in py._fields_:
                lines.append('printf("%%zu\\n", offsetof(%s, %s));' % (cname, fname))
                want.append(getattr(py, fname).offset)
        lines.append("return 0; }")
        with tempfile.TemporaryDirectory() as d:
            src, exe = os.path.join(d, "layout.c"), os.path.join(d, "layout")
            with open(src, "w") as f:
                f.write("\n".join(lines) + "\n")
            subprocess.run(cc + ["-I", os.path.dirname(HEADER), "-o", exe, src], check=True)
            got = [int(x) for x in subprocess.run([exe], capture_output=True, text=True,
                                                  check=True).stdout.split()]
        self.assertEqual(got, want)


class TestViews(unittest.TestCase):
    """Views derive exactly what numpy derives from the same array (no
    daemon involved: the buffer is an id)."""

    def check_same(self, view, ref):
        self.assertEqual(view.shape, ref.shape)
        np.testing.assert_array_equal(footprint(view), ref)

    def test_slicing_like_numpy(self):
        base = np.arange(6 * 8 * 5).reshape(6, 8, 5)
        v = ordo.View(1, "f32", (6, 8, 5))
        keys = [
            (slice(2, 10, 2), slice(None, None, -1)),
            (1,), (-1, 3), (Ellipsis, 2), (0, Ellipsis), (slice(None), None, 3),
            (slice(5, 1, -2), slice(1, 7, 3), slice(None, None, -2)),
            (slice(7, 9),), (slice(None), slice(3, 3)), (2, 3, 4), (Ellipsis,),
            (None, Ellipsis, None), (np.int64(2), slice(-3, None)),
        ]
        for key in keys:
            with self.subTest(key=key):
                self.check_same(v[key], base[key])

    def test_reshape_transpose_broadcast(self):
        base = np.arange(4 * 6 * 8).reshape(4, 6, 8)
        v = ordo.View(1, "f32", (4, 6, 8))
        self.check_same(v.reshape(24, 8), base.reshape(24, 8))
        self.check_same(v.reshape(-1), base.reshape(-1))
        self.check_same(v.reshape((4, -1)), base.reshape((4, -1)))
        self.check_same(v.T, base.T)
        self.check_same(v.transpose(1, 0, 2), base.transpose(1, 0, 2))
        self.check_same(v.transpose((2, 0, 1))[1:3, ::2], base.transpose((2, 0, 1))[1:3, ::2])
        self.check_same(v[1].reshape(48)[::-1], base[1].reshape(48)[::-1])
        self.check_same(v[:, 2:3].broadcast_to((5, 4, 4, 8)),
                        np.broadcast_to(base[:, 2:3], (5, 4, 4, 8)))
        a, b = ordo.broadcast(v[0, :, :1], v[1, 0])
        ra, rb = np.broadcast_arrays(base[0, :, :1], base[1, 0])
        self.check_same(a, ra)
        self.check_same(b, rb)
        self.check_same(v.expand_dims(-1), np.expand_dims(base, -1))

    def test_view_errors(self):
        v = ordo.View(1, "f32", (4, 6))
        with self.assertRaises(IndexError) as cm:
            v[4]
        self.assertIn("out of bounds for axis 0 with size 4", str(cm.exception))
        with self.assertRaises(IndexError):
            v[1, 2, 3]
        with self.assertRaises(IndexError):
            v[[1, 2]]
        with self.assertRaises(ordo.InvalidArgument) as cm:
            v[:, ::2].reshape(12)           # not contiguous
        self.assertEqual(cm.exception.code, ordo.CODES["EINVAL"])
        with self.assertRaises(ordo.InvalidArgument):
            v.reshape(5, 5)
        with self.assertRaises(ordo.InvalidArgument):
            v.transpose(0, 0)
        with self.assertRaises(ordo.InvalidArgument):
            v.broadcast_to((3, 6))
        with self.assertRaises(ordo.InvalidArgument):
            ordo.View(1, "f32", (1,) * 9)
        with self.assertRaises(ordo.InvalidArgument):
            ordo.View(1, "complex64", (4,))


class DaemonCase(unittest.TestCase):
    # True: tasks leave only on a wait, flush or read result (one Submit
    # message), so the daemon accepts them all before any has finished.
    batched = False

    def setUp(self):
        if self.batched:
            self.c = ordo.Client(connect_timeout=10, batch_max_tasks=100000,
                                 batch_delay_us=10000000)
        else:
            self.c = ordo.Client(connect_timeout=10)

    def tearDown(self):
        self.c.close()


class TestTransfers(DaemonCase):
    def test_roundtrip_strided(self):
        c = self.c
        m = c.tensor((12, 10), "f32")
        ref = np.arange(120, dtype=np.float32).reshape(12, 10)
        c.write(m, ref)
        key = (slice(2, 10, 2), slice(None, None, -1))
        new = np.random.default_rng(1).standard_normal(ref[key].shape).astype(np.float32)
        c.write(m[key], new)
        ref[key] = new
        part = c.read(m[key])
        col = c.read(m.T[3, ::-3])
        whole = c.read(m)
        np.testing.assert_array_equal(part.result(timeout=10), new)
        np.testing.assert_array_equal(col.result(timeout=10), ref.T[3, ::-3])
        np.testing.assert_array_equal(whole.result(timeout=10), ref)
        # Scalars broadcast; ints go into f32; an element is a 0-d view.
        c.write(m[0], 7)
        self.assertEqual(c.read(m[0, 9]).result(timeout=10), 7.0)

    def test_dtypes_roundtrip(self):
        for name, (_, np_dt) in ordo.DTYPES.items():
            with self.subTest(dtype=name):
                v = self.c.tensor((3, 5), name)
                data = (np.arange(15).reshape(3, 5) * 3).astype(np_dt)
                self.c.write(v, data)
                got = self.c.read(v.T).result(timeout=10)
                self.assertEqual(got.dtype, np_dt)
                np.testing.assert_array_equal(got, data.T)

    def test_bad_host_data(self):
        v = self.c.tensor((4,), "i32")
        with self.assertRaises(ordo.InvalidArgument) as cm:
            self.c.write(v, np.ones(4))             # float64 into i32
        self.assertIn("convert it first", str(cm.exception))
        with self.assertRaises(ordo.InvalidArgument):
            self.c.write(v, np.ones(5, np.int32))   # wrong shape


class TestOrdering(DaemonCase):
    batched = True

    def test_raw_war_chain_through_reshapes(self):
        """Tasks on one buffer through a flat, a [24, 8], a [4, 6, 8] and a
        transposed view, submitted without waiting.  Every snapshot read
        along the way must equal numpy's state at that point: the reads
        need RAW edges, the writes after them WAR edges, and the writes
        WAW edges among themselves, all between different views."""
        c = self.c
        before = edges()
        flat = c.tensor((4 * 6 * 8,), "f32")
        rows = flat.reshape(24, 8)
        cube = flat.reshape(4, 6, 8)
        tr = rows.T                                 # [8, 24]
        tmp = c.tensor((8, 6), "f32")               # a second buffer
        ref = np.arange(192, dtype=np.float32)
        r_rows, r_cube = ref.reshape(24, 8), ref.reshape(4, 6, 8)
        snaps = []

        c.write(flat, ref)
        for step in range(24):
            k, j = step % 4, (step + 2) % 4
            c.scale(cube[k, 1::2], 1.5)             # 3 rows of block k
            r_cube[k, 1::2] *= np.float32(1.5)
            c.axpy(rows[k * 6:(k + 1) * 6, ::-1], 0.25, tr[:, j * 6:(j + 1) * 6].T)
            r_rows[k * 6:(k + 1) * 6, ::-1] += np.float32(0.25) * r_rows.T[:, j * 6:(j + 1) * 6].T
            snaps.append((c.read(cube[:, 2]), r_cube[:, 2].copy()))
            c.copy(tmp, cube[j, :, ::-1].T)         # reads block j ...
            c.fill(flat[j * 48 + 8:j * 48 + 20], float(step))   # ... which this overwrites
            snaps.append((c.read(tmp), r_cube[j, :, ::-1].T.copy()))
            ref[j * 48 + 8:j * 48 + 20] = step
            # The check can fail: had the fill overtaken the copy (a missed
            # WAR edge), tmp would differ from what numpy expects.
            self.assertFalse(np.array_equal(r_cube[j, :, ::-1].T, snaps[-1][1]))
        final = c.read(flat)
        bad = sum(not np.array_equal(fut.result(timeout=30), want) for fut, want in snaps)
        self.assertEqual(bad, 0, "%d of %d snapshots differ from numpy" % (bad, len(snaps)))
        np.testing.assert_array_equal(final.result(timeout=30), ref)
        # The daemon found the hazards from the bytes (the counters are
        # daemon-wide; other tests do not run meanwhile).
        after = edges()
        for kind in ("raw", "war", "waw"):
            self.assertGreaterEqual(after[kind] - before[kind], 24, kind)

    def test_explicit_deps(self):
        c = self.c
        a = c.tensor((16,), "f32")
        b = c.tensor((16,), "f32")                  # no byte in common with a
        t0 = c.sleep(0.2, ordo.InOut(a))
        t1 = c.fill(b, 3.0, deps=[t0])
        e1 = c.wait(t1, timeout=10)
        e0 = c.wait(t0, timeout=10)
        self.assertGreaterEqual(e1.started_ns, e0.finished_ns)
        # deps also take read futures, and work for host transfers.
        r = c.read(b, deps=[t1])
        t2 = c.write(a, np.arange(16), deps=[r])
        c.wait(t2, timeout=10)
        np.testing.assert_array_equal(r.result(timeout=10), np.full(16, 3, np.float32))
        # A dependency on an id the daemon never accepted fails the task.
        future = (c.session << 42) | 1000000
        t3 = c.noop(ordo.In(a), deps=[future])
        with self.assertRaises(ordo.TaskFailed) as cm:
            c.wait(t3, timeout=10)
        self.assertEqual(cm.exception.code, ordo.CODES["ENOENT"])

    def test_failure_cancels_dependents(self):
        c = self.c
        v = c.tensor((8, 8), "f32")
        other = c.tensor((4,), "f32")
        c.write(v, np.ones((8, 8)))
        bad = c.fail("boom at row 2", ordo.InOut(v[2]))
        r = c.read(v[2])                            # accepted before the failure is known
        dep = c.scale(v.T[:, 2], 2.0)               # column 2 meets row 2: derived edge
        exp = c.fill(other, 1.0, deps=[bad])        # explicit edge
        free = c.scale(v[5], 3.0)                   # other bytes: runs normally
        with self.assertRaises(ordo.TaskFailed) as cm:
            c.wait(bad, timeout=10)
        self.assertEqual(cm.exception.code, ordo.CODES["EFAILED"])
        self.assertEqual(cm.exception.task, bad)
        self.assertIn("boom at row 2", str(cm.exception))
        for t in (dep, exp):
            with self.assertRaises(ordo.Cancelled) as cm:
                c.wait(t, timeout=10)
            self.assertEqual(cm.exception.code, ordo.CODES["ECANCELED"])
            self.assertEqual(cm.exception.cause, bad)
        c.wait(free, timeout=10)
        np.testing.assert_array_equal(c.read(v[5]).result(timeout=10), np.full(8, 3.0))
        # A read that depends on the failure reports the cancellation.
        with self.assertRaises(ordo.Cancelled):
            r.result(timeout=10)

    def test_bad_view(self):
        c = self.c
        buf = c.create_buffer(64)
        with self.assertRaises(ordo.RangeError) as cm:
            buf.view("f32", (4, 4), offset=1)
        self.assertEqual(cm.exception.code, ordo.CODES["ERANGE"])
        self.assertIn("view leaves its buffer: elements [1, 16] of f32", str(cm.exception))
        with self.assertRaises(ordo.RangeError):
            buf.view("f32", (4,), strides=(-1,))
        # By id, the view is checked by the daemon: the task fails with
        # ERANGE and the daemon's reason.
        v = ordo.View(buf.id, "f32", (4, 4), strides=(5, 1))
        t = c.fill(v, 1.0)
        with self.assertRaises(ordo.TaskFailed) as cm:
            c.wait(t, timeout=10)
        self.assertEqual(cm.exception.code, ordo.CODES["ERANGE"])
        self.assertIn("leaves its buffer", cm.exception.message)
        # Unknown kernel and a buffer id that does not exist.
        with self.assertRaises(ordo.TaskFailed) as cm:
            c.wait(c.submit("no_such_kernel", ordo.In(buf.view("f32"))), timeout=10)
        self.assertEqual(cm.exception.code, ordo.CODES["ENOENT"])
        with self.assertRaises(ordo.TaskFailed) as cm:
            c.wait(c.fill(ordo.View(999999, "f32", (4,)), 0.0), timeout=10)
        self.assertEqual(cm.exception.code, ordo.CODES["ENOENT"])
        with self.assertRaises(ordo.InvalidArgument):
            c.submit("fill", buf.view("f32"))       # not wrapped in In/Out/InOut


class TestSessions(DaemonCase):
    def test_raw_submit_and_shared_buffer(self):
        """submit() with packed params, a named buffer opened by a second
        session, and an explicit dependency on the first session's task."""
        c = self.c
        name = "py-test-%d" % os.getpid()
        buf = c.create_buffer(8 * 10, name)
        v = buf.view("f64", (10,))
        t0 = c.sleep(0.2, ordo.InOut(v))
        t1 = c.submit("fill", ordo.Out(v[::2]), params=np.float64(2.5).tobytes())
        c.sync(timeout=10)                          # t0, t1 accepted: ids shareable
        with ordo.Client() as other:
            ob = other.open_buffer(name)
            self.assertEqual((ob.id, ob.size), (buf.id, buf.size))
            ov = ob.view("f64")
            t2 = other.submit("scale", ordo.InOut(ov[1::2]),
                              params=struct.pack("<d", 4.0), deps=[t1])
            got = other.read(ov).result(timeout=10)  # after t0 and t1: same bytes
            e2 = other.wait(t2, timeout=10)
            ob.release()
        e1 = c.wait(t1, timeout=10)
        self.assertGreaterEqual(e2.started_ns, e1.finished_ns)
        np.testing.assert_array_equal(got, np.tile([2.5, 0.0], 5))
        c.wait(t0, timeout=10)
        buf.release()
        with self.assertRaises(ordo.NotFound):
            c.open_buffer(name)


    def test_detach_and_resume(self):
        """A detached session goes on in a new client: the tasks submitted
        before the detach end there (their outcomes come to the new
        client), new ids follow the old ones, and the session's buffer is
        still its own.  A wrong token is refused while the session waits."""
        c = ordo.Client(connect_timeout=10)
        v = c.tensor((8,), "f32")
        t0 = c.sleep(0.3, ordo.InOut(v))
        t1 = c.fill(v, 7.0)                         # after t0: the same bytes
        session, token = c.session, c.token
        self.assertEqual(len(token), 16)
        c.detach()
        with self.assertRaises(ordo.Error):
            c.session                               # closed
        wrong = bytes(b ^ 0xff for b in token)
        with self.assertRaises(ordo.SessionLost) as cm:
            ordo.Client(connect_timeout=10, resume=(session, wrong))
        self.assertEqual(cm.exception.code, ordo.CODES["ESESSION"])
        with self.assertRaises(ordo.InvalidArgument):
            ordo.Client(connect_timeout=10, resume=(session, token[:8]))
        with ordo.Client(connect_timeout=10, resume=(session, token)) as r:
            self.assertEqual(r.session, session)
            self.assertTrue(r.wait(t1, timeout=10).ok)
            self.assertTrue(r.wait(t0, timeout=10).ok)
            t2 = r.scale(v, 2.0)
            self.assertGreater(t2, t1)
            np.testing.assert_array_equal(r.read(v).result(timeout=10), np.full(8, 14.0))


class TestEvents(DaemonCase):
    def test_events_iterator(self):
        c = self.c
        v = c.tensor((32,), "f64")
        ids = {c.write(v, np.arange(32.0))}
        ids.add(c.scale(v[::2], -1.0))
        r = c.read(v)
        ids.add(r.id)
        ids.add(c.fail("expected failure", ordo.In(v[:1])))
        seen = {}
        for ev in c.events(timeout=10):
            seen[ev.id] = ev
        self.assertEqual(set(seen), ids)
        self.assertEqual(sum(not ev.ok for ev in seen.values()), 1)
        self.assertTrue(r.done())
        want = np.arange(32.0)
        want[::2] *= -1
        np.testing.assert_array_equal(r.result(), want)
        np.testing.assert_array_equal(seen[r.id].data, want)
        # Each event is delivered once.
        with self.assertRaises(ordo.NotFound) as cm:
            c.wait(r.id, timeout=1)
        self.assertIn("already delivered", str(cm.exception))
        # Nothing left: the iterator ends at once.
        t = time.monotonic()
        self.assertEqual(list(c.events(timeout=5)), [])
        self.assertLess(time.monotonic() - t, 1.0)

    def test_timeout_and_watch(self):
        c = self.c
        v = c.tensor((4,), "f32")
        t = c.sleep(0.5, ordo.InOut(v))
        with self.assertRaises(ordo.Timeout):
            c.wait(t, timeout=0.05)
        with ordo.Client() as other:               # another session waits on it too
            other.watch(t)
            evs = list(other.events(timeout=10))
            self.assertEqual([e.id for e in evs], [t])
            self.assertEqual(evs[0].state, "done")
        self.assertTrue(c.wait(t, timeout=10).ok)


class TestExample(unittest.TestCase):
    def test_kvdecode(self):
        script = os.path.join(HERE, "examples", "kvdecode.py")
        p = subprocess.run([sys.executable, script, "--steps", "20"], capture_output=True,
                           text=True, timeout=120)
        sys.stderr.write(p.stdout + p.stderr)
        self.assertEqual(p.returncode, 0)


if __name__ == "__main__":
    unittest.main()
