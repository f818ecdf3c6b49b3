/* juxmem.c - libjuxmem entry points (see juxmem.h). */
#include <jxta.h>

#include "juxmem.h"

const char *juxmem_version(void)
{
    return "juxmem-c " JUXMEM_VERSION_STRING " (libjxta " JXTA_VERSION_STRING ")";
}
