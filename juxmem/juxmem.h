/* juxmem.h - the public interface of libjuxmem, the JuxMem data-sharing
 * service (juxmem, cluster and data groups; providers, managers, clients)
 * built on libjxta.
 *
 * The service itself arrives with the JuxMem issues; for now the library
 * only reports its version and the libjxta it is built on, so that
 * packaging (juxmem.pc, make install) is exercised from the start. */
#ifndef JUXMEM_H
#define JUXMEM_H

#ifdef __cplusplus
extern "C" {
#endif

#define JUXMEM_VERSION_STRING "0.1.0"

/* "juxmem-c 0.1.0 (libjxta 0.1.0)" */
const char *juxmem_version(void);

#ifdef __cplusplus
}
#endif
#endif
