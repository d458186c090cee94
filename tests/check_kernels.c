/*
 * check_kernels.c - the built-in kernels and the registry, called directly
 * on local memory: element order over arbitrary strides, bit-exact
 * arithmetic, index checks, and the submission checks; and which plugin
 * files the loader trusts (test_plugin_trust, with tests/testplugin.c).
 */
#include <check.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kernels.h"

static ordo_kernels_t *s_k;

static void s_setup(void)
{
    s_k = ordo_kernels_new();
    ck_assert_ptr_nonnull(s_k);
}

static void s_teardown(void)
{
    ordo_kernels_destroy(&s_k);
}

/* A view of mem: ndim, then shape..., then strides... (int64_t). */
static ordo_karg_t s_arg(void *mem, uint64_t bytes, int dtype, int64_t offset, int mode,
                         int ndim, ...)
{
    ordo_karg_t a;
    memset(&a, 0, sizeof a);
    a.base = mem;
    a.buffer_bytes = bytes;
    a.dtype = dtype;
    a.ndim = ndim;
    a.offset = offset;
    a.mode = mode;
    va_list ap;
    va_start(ap, ndim);
    for (int k = 0; k < ndim; k++)
        a.shape[k] = va_arg(ap, int64_t);
    for (int k = 0; k < ndim; k++)
        a.strides[k] = va_arg(ap, int64_t);
    va_end(ap);
    return a;
}

#define I64(x) ((int64_t)(x))

static char s_err[256];

/* Runs kernel name: check (with base NULL), then run unless check fails.
 * Returns the first non-zero code. */
static int s_call(const char *name, ordo_karg_t *args, uint32_t nargs, const void *params,
                  size_t nparams, const void *data, size_t ndata, void *out, size_t nout)
{
    const ordo_kernel_t *k = ordo_kernels_find(s_k, name);
    ck_assert_ptr_nonnull(k);
    ordo_karg_t nobase[8];
    for (uint32_t j = 0; j < nargs; j++) {
        nobase[j] = args[j];
        nobase[j].base = NULL;
    }
    s_err[0] = '\0';
    ordo_kernel_call_t c = { 1, nobase, nargs, params, nparams, data, ndata, NULL, 0,
                             s_err, sizeof s_err };
    if (k->check) {
        int rc = k->check(&c);
        if (rc)
            return rc;
    }
    c.args = args;
    c.out = out;
    c.nout = nout;
    return k->run(&c);
}

static void s_f64(uint8_t p[8], double d)
{
    uint64_t v;
    memcpy(&v, &d, 8);
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

START_TEST(test_kiter_order)
{
    /* A 3-d view with negative, zero and positive strides: the iterator
     * must visit offsets in row-major order of the shape. */
    ordo_karg_t a;
    char dummy[1];
    a = s_arg(dummy, 1 << 20, ORDO_F32, 1000, ORDO_IN, 3, I64(3), I64(2), I64(4), I64(-7),
              I64(0), I64(3));
    ordo_kiter_t it;
    ordo_kiter_init(&it, &a);
    int n = 0;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 2; j++)
            for (int k = 0; k < 4; k++) {
                char *p = ordo_kiter_next(&it);
                ck_assert_ptr_eq(p, dummy + 4 * (1000 - 7 * i + 3 * k));
                n++;
            }
    ck_assert_ptr_null(ordo_kiter_next(&it));
    ck_assert_int_eq(n, 24);
    /* Scalars and empty views. */
    a = s_arg(dummy, 64, ORDO_F64, 3, ORDO_IN, 0);
    ordo_kiter_init(&it, &a);
    ck_assert_ptr_eq(ordo_kiter_next(&it), dummy + 24);
    ck_assert_ptr_null(ordo_kiter_next(&it));
    a = s_arg(dummy, 64, ORDO_F64, 0, ORDO_IN, 2, I64(3), I64(0), I64(1), I64(1));
    ordo_kiter_init(&it, &a);
    ck_assert_ptr_null(ordo_kiter_next(&it));
}
END_TEST

START_TEST(test_copy)
{
    float m[32];
    for (int i = 0; i < 32; i++)
        m[i] = (float)i;
    /* dst m[16:24] = src m[7::-1] (reversed) */
    ordo_karg_t a[2] = {
        s_arg(m, sizeof m, ORDO_F32, 16, ORDO_OUT, 1, I64(8), I64(1)),
        s_arg(m, sizeof m, ORDO_F32, 7, ORDO_IN, 1, I64(8), I64(-1)),
    };
    ck_assert_int_eq(s_call("copy", a, 2, NULL, 0, NULL, 0, NULL, 0), 0);
    for (int i = 0; i < 8; i++)
        ck_assert(m[16 + i] == (float)(7 - i));
    /* Overlapping arguments follow the sequential element order:
     * m[1:9] = m[0:8] smears m[0]. */
    a[0] = s_arg(m, sizeof m, ORDO_F32, 1, ORDO_OUT, 1, I64(8), I64(1));
    a[1] = s_arg(m, sizeof m, ORDO_F32, 0, ORDO_IN, 1, I64(8), I64(1));
    ck_assert_int_eq(s_call("copy", a, 2, NULL, 0, NULL, 0, NULL, 0), 0);
    for (int i = 0; i < 9; i++)
        ck_assert(m[i] == 0.0f);
    /* Broadcast source (stride 0). */
    m[31] = 5.0f;
    a[0] = s_arg(m, sizeof m, ORDO_F32, 20, ORDO_INOUT, 2, I64(2), I64(3), I64(3), I64(1));
    a[1] = s_arg(m, sizeof m, ORDO_F32, 31, ORDO_IN, 2, I64(2), I64(3), I64(0), I64(0));
    ck_assert_int_eq(s_call("copy", a, 2, NULL, 0, NULL, 0, NULL, 0), 0);
    for (int i = 20; i < 26; i++)
        ck_assert(m[i] == 5.0f);
    /* Checks. */
    a[1].dtype = ORDO_F64;
    ck_assert_int_eq(s_call("copy", a, 2, NULL, 0, NULL, 0, NULL, 0), ORDO_EINVAL);
    ck_assert_ptr_nonnull(strstr(s_err, "dtypes differ"));
    a[1].dtype = ORDO_F32;
    a[0].mode = ORDO_IN;
    ck_assert_int_eq(s_call("copy", a, 2, NULL, 0, NULL, 0, NULL, 0), ORDO_EINVAL);
    ck_assert_ptr_nonnull(strstr(s_err, "must be out"));
    a[0].mode = ORDO_OUT;
    ck_assert_int_eq(s_call("copy", a, 1, NULL, 0, NULL, 0, NULL, 0), ORDO_EINVAL);
    ck_assert_ptr_nonnull(strstr(s_err, "takes 2 arguments"));
    ck_assert_int_eq(s_call("copy", a, 2, "x", 1, NULL, 0, NULL, 0), ORDO_EINVAL);
    ck_assert_int_eq(s_call("copy", a, 2, NULL, 0, "x", 1, NULL, 0), ORDO_EINVAL);
}
END_TEST

START_TEST(test_fill)
{
    uint8_t p[8];
    int32_t m[8] = { 0 };
    ordo_karg_t a = s_arg(m, sizeof m, ORDO_I32, 1, ORDO_OUT, 1, I64(3), I64(2));
    s_f64(p, -42.0);
    ck_assert_int_eq(s_call("fill", &a, 1, p, 8, NULL, 0, NULL, 0), 0);
    ck_assert_int_eq(m[1], -42);
    ck_assert_int_eq(m[3], -42);
    ck_assert_int_eq(m[5], -42);
    ck_assert_int_eq(m[2], 0);
    s_f64(p, 1.5);
    ck_assert_int_eq(s_call("fill", &a, 1, p, 8, NULL, 0, NULL, 0), ORDO_EINVAL);
    s_f64(p, 3e9);
    ck_assert_int_eq(s_call("fill", &a, 1, p, 8, NULL, 0, NULL, 0), ORDO_EINVAL);
    a.dtype = ORDO_U64;
    a.ndim = 1;
    a.shape[0] = 2;
    s_f64(p, 18446744073709551616.0);   /* 2^64: out of range */
    ck_assert_int_eq(s_call("fill", &a, 1, p, 8, NULL, 0, NULL, 0), ORDO_EINVAL);
    s_f64(p, -1.0);
    ck_assert_int_eq(s_call("fill", &a, 1, p, 8, NULL, 0, NULL, 0), ORDO_EINVAL);
    /* f16 and bf16: (float)value, then rounded to nearest even. */
    uint16_t h[2];
    a = s_arg(h, sizeof h, ORDO_F16, 0, ORDO_OUT, 1, I64(2), I64(1));
    struct { int dtype; double v; uint16_t want; } hc[] = {
        { ORDO_F16, 1.0, 0x3c00 }, { ORDO_F16, -2.0, 0xc000 }, { ORDO_F16, 65504.0, 0x7bff },
        { ORDO_F16, 65520.0, 0x7c00 }, { ORDO_F16, 1e6, 0x7c00 }, { ORDO_F16, -0.0, 0x8000 },
        { ORDO_F16, 0x1p-24, 0x0001 }, { ORDO_F16, 0x1p-25, 0x0000 }, { ORDO_F16, 0x3p-25, 0x0002 },
        { ORDO_F16, 0.1, 0x2e66 }, { ORDO_F16, 1.0 + 0x1p-11, 0x3c00 },
        { ORDO_F16, 1.0 + 0x3p-11, 0x3c02 }, { ORDO_BF16, 1.0, 0x3f80 },
        { ORDO_BF16, 0.1, 0x3dcd }, { ORDO_BF16, -3.0, 0xc040 }, { ORDO_BF16, 1e39, 0x7f80 },
    };
    for (size_t i = 0; i < sizeof hc / sizeof hc[0]; i++) {
        a.dtype = hc[i].dtype;
        s_f64(p, hc[i].v);
        ck_assert_int_eq(s_call("fill", &a, 1, p, 8, NULL, 0, NULL, 0), 0);
        ck_assert_msg(h[0] == hc[i].want && h[1] == hc[i].want, "case %zu: 0x%04x, want 0x%04x",
                      i, h[0], hc[i].want);
    }
    a.dtype = ORDO_F16;
    s_f64(p, __builtin_nan(""));
    ck_assert_int_eq(s_call("fill", &a, 1, p, 8, NULL, 0, NULL, 0), 0);
    ck_assert((h[0] & 0x7c00) == 0x7c00 && (h[0] & 0x3ff));
    float f[4] = { 0 };
    a = s_arg(f, sizeof f, ORDO_F32, 0, ORDO_OUT, 1, I64(4), I64(1));
    s_f64(p, 0.1);
    ck_assert_int_eq(s_call("fill", &a, 1, p, 8, NULL, 0, NULL, 0), 0);
    ck_assert(f[3] == (float)0.1);
    ck_assert_int_eq(s_call("fill", &a, 1, p, 4, NULL, 0, NULL, 0), ORDO_EINVAL);
}
END_TEST

START_TEST(test_axpy_scale_bit_exact)
{
    enum { N = 257 };
    float x[N], y[N], want[N];
    for (int i = 0; i < N; i++) {
        x[i] = (float)i / 3.0f - 40.0f;
        y[i] = 1.0f / (float)(i + 1);
    }
    double alpha = 0.7071067811865476;
    for (int i = 0; i < N; i++)
        want[i] = (float)alpha * x[i] + y[i];
    uint8_t p[8];
    s_f64(p, alpha);
    ordo_karg_t a[2] = {
        s_arg(y, sizeof y, ORDO_F32, 0, ORDO_INOUT, 1, I64(N), I64(1)),
        s_arg(x, sizeof x, ORDO_F32, 0, ORDO_IN, 1, I64(N), I64(1)),
    };
    ck_assert_int_eq(s_call("axpy", a, 2, p, 8, NULL, 0, NULL, 0), 0);
    ck_assert(memcmp(y, want, sizeof y) == 0);
    for (int i = 0; i < N; i++)
        want[i] = (float)alpha * y[i];
    ck_assert_int_eq(s_call("scale", a, 1, p, 8, NULL, 0, NULL, 0), 0);
    ck_assert(memcmp(y, want, sizeof y) == 0);
    double d[4] = { 1, 2, 3, 4 };
    ordo_karg_t b = s_arg(d, sizeof d, ORDO_F64, 3, ORDO_INOUT, 1, I64(2), I64(-2));
    s_f64(p, -0.5);
    ck_assert_int_eq(s_call("scale", &b, 1, p, 8, NULL, 0, NULL, 0), 0);
    ck_assert(d[3] == -2.0 && d[1] == -1.0 && d[0] == 1.0 && d[2] == 3.0);
    /* Checks: integer dtype, mode, shapes. */
    int32_t iv[4];
    b = s_arg(iv, sizeof iv, ORDO_I32, 0, ORDO_INOUT, 1, I64(4), I64(1));
    ck_assert_int_eq(s_call("scale", &b, 1, p, 8, NULL, 0, NULL, 0), ORDO_EINVAL);
    a[0].mode = ORDO_OUT;
    ck_assert_int_eq(s_call("axpy", a, 2, p, 8, NULL, 0, NULL, 0), ORDO_EINVAL);
    ck_assert_ptr_nonnull(strstr(s_err, "must be inout"));
    a[0].mode = ORDO_INOUT;
    a[1].shape[0] = N - 1;
    ck_assert_int_eq(s_call("axpy", a, 2, p, 8, NULL, 0, NULL, 0), ORDO_EINVAL);
    ck_assert_ptr_nonnull(strstr(s_err, "shapes differ"));
}
END_TEST

START_TEST(test_gather_scatter)
{
    /* src: 5 rows of 3 floats; idx i64. */
    float src[15], dst[12];
    for (int i = 0; i < 15; i++)
        src[i] = (float)i;
    int64_t idx[4] = { 4, 0, 2, 4 };
    memset(dst, 0, sizeof dst);
    ordo_karg_t a[3] = {
        s_arg(dst, sizeof dst, ORDO_F32, 0, ORDO_OUT, 2, I64(4), I64(3), I64(3), I64(1)),
        s_arg(src, sizeof src, ORDO_F32, 0, ORDO_IN, 2, I64(5), I64(3), I64(3), I64(1)),
        s_arg(idx, sizeof idx, ORDO_I64, 0, ORDO_IN, 1, I64(4), I64(1)),
    };
    ck_assert_int_eq(s_call("gather_rows", a, 3, NULL, 0, NULL, 0, NULL, 0), 0);
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 3; j++)
            ck_assert(dst[i * 3 + j] == src[idx[i] * 3 + j]);
    /* Out of range: fails, writes nothing. */
    idx[2] = 5;
    memset(dst, 0, sizeof dst);
    ck_assert_int_eq(s_call("gather_rows", a, 3, NULL, 0, NULL, 0, NULL, 0), ORDO_ERANGE);
    ck_assert_ptr_nonnull(strstr(s_err, "idx[2] = 5"));
    for (int i = 0; i < 12; i++)
        ck_assert(dst[i] == 0.0f);
    /* Scatter: dst[idx[i],:] = rows[i,:], the last duplicate wins. */
    idx[2] = 1;
    float rows[12];
    for (int i = 0; i < 12; i++)
        rows[i] = 100.0f + (float)i;
    float table[15] = { 0 };
    ordo_karg_t s[3] = {
        s_arg(table, sizeof table, ORDO_F32, 0, ORDO_INOUT, 2, I64(5), I64(3), I64(3), I64(1)),
        s_arg(rows, sizeof rows, ORDO_F32, 0, ORDO_IN, 2, I64(4), I64(3), I64(3), I64(1)),
        s_arg(idx, sizeof idx, ORDO_I64, 0, ORDO_IN, 1, I64(4), I64(1)),
    };
    ck_assert_int_eq(s_call("scatter_rows", s, 3, NULL, 0, NULL, 0, NULL, 0), 0);
    ck_assert(table[4 * 3] == 109.0f);      /* rows[3] (last) over rows[0] */
    ck_assert(table[0] == 103.0f);
    ck_assert(table[1 * 3 + 2] == 108.0f);
    ck_assert(table[3 * 3] == 0.0f);
    /* Checks. */
    s[2].dtype = ORDO_F32;
    ck_assert_int_eq(s_call("scatter_rows", s, 3, NULL, 0, NULL, 0, NULL, 0), ORDO_EINVAL);
    ck_assert_ptr_nonnull(strstr(s_err, "i32 or i64"));
    a[2].shape[0] = 3;
    ck_assert_int_eq(s_call("gather_rows", a, 3, NULL, 0, NULL, 0, NULL, 0), ORDO_EINVAL);
    ck_assert_ptr_nonnull(strstr(s_err, "4 rows but 3 indices"));
}
END_TEST

START_TEST(test_host_transfers)
{
    int16_t m[24] = { 0 };
    int16_t in[6] = { 1, 2, 3, 4, 5, 6 };
    /* A [2,3] view with row stride 8 and column stride -1, offset 10. */
    ordo_karg_t a = s_arg(m, sizeof m, ORDO_I16, 10, ORDO_OUT, 2, I64(2), I64(3), I64(8),
                          I64(-1));
    ck_assert_int_eq(s_call("host_write", &a, 1, NULL, 0, in, sizeof in, NULL, 0), 0);
    ck_assert_int_eq(m[10], 1);
    ck_assert_int_eq(m[9], 2);
    ck_assert_int_eq(m[8], 3);
    ck_assert_int_eq(m[18], 4);
    ck_assert_int_eq(m[16], 6);
    ck_assert_int_eq(s_call("host_write", &a, 1, NULL, 0, in, 10, NULL, 0), ORDO_EINVAL);
    ck_assert_ptr_nonnull(strstr(s_err, "10 data bytes for a view of 12 bytes"));
    int16_t out[6];
    a.mode = ORDO_IN;
    ck_assert_int_eq(s_call("host_read", &a, 1, NULL, 0, NULL, 0, out, sizeof out), 0);
    ck_assert(memcmp(in, out, sizeof in) == 0);
    ck_assert(ordo_kernels_find(s_k, "host_read")->flags & ORDO_KERNEL_HOST_OUT);
}
END_TEST

START_TEST(test_noop_sleep_fail)
{
    ck_assert_int_eq(s_call("noop", NULL, 0, "anything", 8, NULL, 0, NULL, 0), 0);
    uint8_t p[8] = { 0xe8, 0x03 };          /* 1000 us */
    ck_assert_int_eq(s_call("sleep", NULL, 0, p, 8, NULL, 0, NULL, 0), 0);
    ck_assert_int_eq(s_call("sleep", NULL, 0, p, 4, NULL, 0, NULL, 0), ORDO_EINVAL);
    ck_assert_int_eq(s_call("fail", NULL, 0, "bad luck", 8, NULL, 0, NULL, 0), ORDO_EFAILED);
    ck_assert_str_eq(s_err, "bad luck");
}
END_TEST

static int s_dummy(const ordo_kernel_call_t *c)
{
    return 0;
}

START_TEST(test_registry)
{
    ck_assert_uint_eq(ordo_kernels_count(s_k), 11);
    ck_assert_ptr_null(ordo_kernels_find(s_k, "nope"));
    ordo_kernel_def_t def = { "copy", s_dummy, NULL, 0 };
    ck_assert_int_eq(ordo_kernels_add(s_k, &def, "test"), ORDO_EEXIST);
    def.name = "bad name";
    ck_assert_int_eq(ordo_kernels_add(s_k, &def, "test"), ORDO_EINVAL);
    def.name = "";
    ck_assert_int_eq(ordo_kernels_add(s_k, &def, "test"), ORDO_EINVAL);
    def.name = "ns:mine.v2";
    def.run = NULL;
    ck_assert_int_eq(ordo_kernels_add(s_k, &def, "test"), ORDO_EINVAL);
    def.run = s_dummy;
    ck_assert_int_eq(ordo_kernels_add(s_k, &def, "test"), 0);
    ck_assert_str_eq(ordo_kernels_find(s_k, "ns:mine.v2")->origin, "test");
    /* ORDO_KERNEL_ARGLESS is the daemon's own: built-ins that read no
     * argument have it, a plugin never gets it (its kernel would run
     * without its arguments). */
    ck_assert(ordo_kernels_find(s_k, "noop")->flags & ORDO_KERNEL_ARGLESS);
    ck_assert(!(ordo_kernels_find(s_k, "copy")->flags & ORDO_KERNEL_ARGLESS));
    def.name = "ns:argless";
    def.flags = ORDO_KERNEL_INLINE | ORDO_KERNEL_ARGLESS;
    ck_assert_int_eq(ordo_kernels_add(s_k, &def, "test"), 0);
    ck_assert_uint_eq(ordo_kernels_find(s_k, "ns:argless")->flags, ORDO_KERNEL_INLINE);
    char err[256];
    ck_assert_int_eq(ordo_kernels_load_dir(s_k, "/nonexistent-dir", err, sizeof err),
                     ORDO_ENOENT);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent-dir"));
}
END_TEST

/* ------------------------------------------------------------------ */
/* Plugin trust: what ordo_kernels_load_dir refuses.                    */

static void s_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void s_sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int rc = system(cmd);
    ck_assert_msg(rc == 0, "'%s' failed (%d)", cmd, rc);
}

/* Loads dir into a fresh registry; returns the code, the reason in err,
 * and whether the test plugin's kernel got registered. */
static int s_load(const char *dir, char *err, size_t errlen, bool *loaded)
{
    ordo_kernels_t *k = ordo_kernels_new();
    ck_assert_ptr_nonnull(k);
    err[0] = '\0';
    int rc = ordo_kernels_load_dir(k, dir, err, errlen);
    *loaded = ordo_kernels_find(k, "test_add1") != NULL;
    ordo_kernels_destroy(&k);
    return rc;
}

#define EXPECT_LOAD(dir)                                                      \
    do {                                                                      \
        char err_[1024];                                                      \
        bool loaded_;                                                         \
        int rc_ = s_load(dir, err_, sizeof err_, &loaded_);                   \
        ck_assert_msg(rc_ == 0 && loaded_, "%s: rc %d: %s", dir, rc_, err_);  \
    } while (0)

#define EXPECT_REFUSED(dir, why)                                              \
    do {                                                                      \
        char err_[1024];                                                      \
        bool loaded_;                                                         \
        int rc_ = s_load(dir, err_, sizeof err_, &loaded_);                   \
        ck_assert_msg(rc_ == ORDO_EPERM && !loaded_, "%s: rc %d (%s)", dir, rc_, err_); \
        ck_assert_msg(strstr(err_, why), "%s: no '%s' in: %s", dir, why, err_); \
    } while (0)

START_TEST(test_plugin_trust)
{
    const char *so = getenv("ORDO_TEST_PLUGIN");
    ck_assert_ptr_nonnull(so);
    char base[] = "/tmp/ordo-ktrust-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(base));
    char dir[256], out[256], link[256];
    snprintf(dir, sizeof dir, "%s/kernels", base);
    snprintf(out, sizeof out, "%s/outside", base);
    snprintf(link, sizeof link, "%s/link", base);
    s_sh("mkdir -m 0755 '%s' '%s' && cp '%s' '%s/p.so' && chmod 0755 '%s/p.so'", dir, out, so,
         dir, dir);
    EXPECT_LOAD(dir);
    /* The file writable by group or by others. */
    s_sh("chmod 0775 '%s/p.so'", dir);
    EXPECT_REFUSED(dir, "writable by group or others");
    s_sh("chmod 0757 '%s/p.so'", dir);
    EXPECT_REFUSED(dir, "writable by group or others");
    s_sh("chmod 0755 '%s/p.so'", dir);
    /* The directory writable by group or by others. */
    s_sh("chmod 0775 '%s'", dir);
    EXPECT_REFUSED(dir, "kernel directory");
    s_sh("chmod 1777 '%s'", dir);
    EXPECT_REFUSED(dir, "writable by group or others");
    s_sh("chmod 0755 '%s'", dir);
    EXPECT_LOAD(dir);
    /* A link that leads outside, even to a file that passes the checks. */
    s_sh("mv '%s/p.so' '%s/p.so' && ln -s '%s/p.so' '%s/p.so'", dir, out, out, dir);
    EXPECT_REFUSED(dir, "outside the kernel directory");
    /* ...also through a relative link and "..". */
    s_sh("rm '%s/p.so' && ln -s ../outside/p.so '%s/p.so'", dir, dir);
    EXPECT_REFUSED(dir, "outside the kernel directory");
    /* A link inside the directory is fine (libtool's versioned names), and
     * so is a kernel directory named through a link. */
    s_sh("rm '%s/p.so' && mkdir -m 0755 '%s/impl' && mv '%s/p.so' '%s/impl/p.so.1' && "
         "ln -s impl/p.so.1 '%s/p.so' && ln -s '%s' '%s'", dir, dir, out, dir, dir, dir, link);
    EXPECT_LOAD(dir);
    EXPECT_LOAD(link);
    /* Owned by another user than root or us (only root can make one). */
    if (geteuid() == 0) {
        s_sh("chown 65534 '%s/impl/p.so.1'", dir);
        EXPECT_REFUSED(dir, "owned by uid 65534");
        s_sh("chown 0 '%s/impl/p.so.1' && chown 65534 '%s'", dir, dir);
        EXPECT_REFUSED(dir, "owned by uid 65534");
        s_sh("chown 0 '%s'", dir);
        EXPECT_LOAD(dir);
    }
    s_sh("rm -rf '%s'", base);
}
END_TEST

static Suite *s_suite(void)
{
    Suite *s = suite_create("kernels");
    TCase *tc = tcase_create("builtin");
    tcase_add_checked_fixture(tc, s_setup, s_teardown);
    tcase_add_test(tc, test_kiter_order);
    tcase_add_test(tc, test_copy);
    tcase_add_test(tc, test_fill);
    tcase_add_test(tc, test_axpy_scale_bit_exact);
    tcase_add_test(tc, test_gather_scatter);
    tcase_add_test(tc, test_host_transfers);
    tcase_add_test(tc, test_noop_sleep_fail);
    tcase_add_test(tc, test_registry);
    tcase_add_test(tc, test_plugin_trust);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(s_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
