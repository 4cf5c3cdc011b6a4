#include "wrapper.h"

int dpvpn_rte_errno(void) { return rte_errno; }
