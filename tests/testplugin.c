/*
 * testplugin.c - a plugin kernel for the daemon tests (check_ordod): shows
 * the ABI of daemon/ordo_kernel.h end to end.
 *
 * test_add1 (x inout, f32): x[i] += 1, with a submission check.
 */
#include <string.h>

#include "ordo_kernel.h"

static int s_check(const ordo_kernel_call_t *c)
{
    if (c->nargs != 1 || c->args[0].dtype != ORDO_F32)
        return ordo_kernel_fail(c, ORDO_EINVAL, "test_add1 takes one f32 view");
    if (c->args[0].mode != ORDO_INOUT)
        return ordo_kernel_fail(c, ORDO_EINVAL, "test_add1 needs an inout view");
    return 0;
}

static int s_run(const ordo_kernel_call_t *c)
{
    ordo_kiter_t it;
    ordo_kiter_init(&it, &c->args[0]);
    for (char *p; (p = ordo_kiter_next(&it));) {
        float v;
        memcpy(&v, p, 4);
        v += 1.0f;
        memcpy(p, &v, 4);
    }
    return 0;
}

int ordo_plugin_init(ordo_kernel_registry_t *reg);

int ordo_plugin_init(ordo_kernel_registry_t *reg)
{
    if (reg->abi_version != ORDO_KERNEL_ABI_VERSION)
        return ORDO_EVERSION;
    ordo_kernel_def_t def = { "test_add1", s_run, s_check, 0 };
    return ordo_kernel_register_def(reg, &def);
}
