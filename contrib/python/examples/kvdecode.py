#!/usr/bin/env python3
"""A small KV-cache decode driven from Python with ordo's built-in kernels.

The cache holds NSEQ sequences of a ring of W slots of D floats, one buffer
seen two ways: `rows`, a [NSEQ*W, D] reshape, and `seqs`, a [NSEQ, W, D]
reshape.  Each decode step

  1. writes the step's new K/V row of every sequence (host data) and the
     row indices of every window (oldest slot first) to the daemon;
  2. gathers the windows from the cache through `rows` (gather_rows);
  3. computes a toy "attention": out[t] = (1/W) * sum_k w[k] * window[:, k]
     (fill, W axpy, scale);
  4. writes the new rows into the cache in place, over each sequence's
     oldest slot, through `seqs[:, slot, :]` (copy).

Step 4 overwrites bytes that step 2 of the same step reads, through another
view object, and nothing else connects the two tasks: the new rows come from
the host, not from the gather.  That write-after-read hazard is the one
runtimes that key dependencies on view identity miss (the write races ahead
and the gather returns the new token in place of the oldest one).  This
script never waits between steps and adds no explicit dependency: ordod
orders the copy after the gather because their footprints share bytes, and
every next gather after the copy (read-after-write).  At the end the outputs
of all steps are read back and compared, bit for bit, with the same steps
done sequentially in numpy.

usage: kvdecode.py [--steps N] [--endpoint URL]    (exit 0 when all match)
"""

import argparse
import sys

import numpy as np

import ordo

NSEQ, W, D = 4, 8, 16


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--endpoint", default=None)
    opts = ap.parse_args()
    steps = opts.steps
    rng = np.random.default_rng(2026)
    init = rng.standard_normal((NSEQ, W, D)).astype(np.float32)
    news = rng.standard_normal((steps, NSEQ, D)).astype(np.float32)
    w = rng.uniform(0.5, 1.5, W)                          # toy attention weights

    with ordo.Client(opts.endpoint) as c:
        cache = c.tensor((NSEQ * W * D,), "f32")
        rows = cache.reshape(NSEQ * W, D)                 # what the gather sees
        seqs = cache.reshape(NSEQ, W, D)                  # what the write-back sees
        idx = c.tensor((NSEQ * W,), "i32")
        new = c.tensor((NSEQ, D), "f32")
        win = c.tensor((NSEQ * W, D), "f32")
        out = c.tensor((steps, NSEQ, D), "f32")
        win3 = win.reshape(NSEQ, W, D)

        c.write(seqs, init)
        for t in range(steps):
            slot = t % W                                  # the oldest slot of each ring
            order = (slot + np.arange(W)) % W             # oldest first
            c.write(idx, (np.arange(NSEQ)[:, None] * W + order).reshape(-1).astype(np.int32))
            c.write(new, news[t])
            c.gather_rows(win, rows, idx)
            c.fill(out[t], 0.0)
            for k in range(W):
                c.axpy(out[t], w[k], win3[:, k, :])
            c.scale(out[t], 1.0 / W)
            c.copy(seqs[:, slot, :], new)                 # in place: WAR on the gather
        got = c.read(out)
        final = c.read(cache)
        got, final = got.result(timeout=60), final.result(timeout=60)

    # The same steps in numpy, one after the other, in f32 like the kernels.
    ref = init.copy()
    want = np.zeros((steps, NSEQ, D), np.float32)
    for t in range(steps):
        slot = t % W
        window = ref[:, (slot + np.arange(W)) % W, :]
        for k in range(W):
            want[t] += np.float32(w[k]) * window[:, k, :]
        want[t] *= np.float32(1.0 / W)
        ref[:, slot, :] = news[t]

    bad = [t for t in range(steps) if not np.array_equal(got[t], want[t])]
    ok = not bad and np.array_equal(final.reshape(NSEQ, W, D), ref)
    print("kvdecode: %d steps of %d sequences, window %d x %d: %s"
          % (steps, NSEQ, W, D, "all outputs match numpy" if ok
             else "%d steps differ from numpy (first: %s)" % (len(bad), bad[:5])))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
