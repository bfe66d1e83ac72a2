/* Counters shared by every protocol parser (see zt_l7.h). */
#include "zt_l7.h"

struct zt_l7_stats zt_l7_stats;
