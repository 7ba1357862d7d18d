#include "config.h"
#include "net.h"
void net_run(void) { pr("probe: net none\n"); }
