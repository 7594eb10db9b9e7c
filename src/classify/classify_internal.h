/* classify_internal.h - what classify.c shares with classify_risk.c (nDPI 4.2 adapter internals). */
#ifndef TLSAUDIT_CLASSIFY_INTERNAL_H
#define TLSAUDIT_CLASSIFY_INTERNAL_H

#include "tlsaudit/classify.h"

struct ndpi_detection_module_struct;

/* The detection module of c (borrowed; owned by c). Only for read-only lookups in nDPI's static tables
 * (protocol names, default ports, host-name automaton); never for a flow. */
struct ndpi_detection_module_struct *classify_module(struct classify *c);

#endif
