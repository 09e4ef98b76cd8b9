#ifndef KEYCLUSTER_CLMDB_SHIM_H
#define KEYCLUSTER_CLMDB_SHIM_H
#include <lmdb.h>
#endif
