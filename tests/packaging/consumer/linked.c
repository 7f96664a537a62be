/* A host that links the plugin (goalkeeper::plugin, or pkg-config's -lgoalkeeper). */
#define _POSIX_C_SOURCE 200809L
#include "drive.h"

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  if (gk_abi_version() >> 16 != GK_ABI_VERSION_MAJOR) return 3;
  const struct gk_api gk = {gk_open,  gk_close, gk_last_error, gk_free,  gk_load,
                            gk_start, gk_step,  gk_job_event,  gk_signal};
  return drive(&gk, argv[1]);
}
