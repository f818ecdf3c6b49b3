/* jxta.h - the public interface of libjxta, a C implementation of the JXTA
 * 2.x protocols that is wire-compatible with JXSE 2.5 (Java JXTA).
 *
 * Include this one header.  It pulls in the per-layer headers under jxta/,
 * from the bottom of the stack up:
 *   error, log, buf, sha1   basic utilities (negative error codes, logging)
 *   id, wellknown           identifiers and the well-known group/module IDs
 *   msg, frame              binary messages, TCP frames, welcome lines
 *   xml, adv                XML documents and advertisements
 *   loop                    the per-peer event loop (I/O, timers, posts)
 *   addr                    endpoint addresses and group mangling
 *   tcp                     the JXSE-compatible TCP message transport
 *   endpoint                demultiplexing, group mangling, the endpoint router
 *   rdv                     rendezvous leases (edge and rendezvous roles)
 *   config                  PlatformConfig (peer identity and settings) */
#ifndef JXTA_H
#define JXTA_H

#include <jxta/error.h>
#include <jxta/log.h>
#include <jxta/buf.h>
#include <jxta/sha1.h>
#include <jxta/id.h>
#include <jxta/wellknown.h>
#include <jxta/msg.h>
#include <jxta/frame.h>
#include <jxta/xml.h>
#include <jxta/adv.h>
#include <jxta/loop.h>
#include <jxta/addr.h>
#include <jxta/tcp.h>
#include <jxta/endpoint.h>
#include <jxta/rdv.h>
#include <jxta/config.h>
#include <jxta/discovery.h>
#include <jxta/cm.h>
#include <jxta/srdi.h>
#include <jxta/resolver.h>
#include <jxta/propagate.h>
#include <jxta/peerview.h>
#include <jxta/discovery_service.h>
#include <jxta/pipe_doc.h>
#include <jxta/pipe.h>
#include <jxta/membership.h>
#include <jxta/group.h>
#include <jxta/peer.h>

#define JXTA_VERSION_STRING "0.1.0"

#endif
