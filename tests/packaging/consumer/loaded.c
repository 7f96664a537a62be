/* A host that loads the plugin at run time (goalkeeper::headers only) by its SONAME. */
#define _POSIX_C_SOURCE 200809L
#include <dlfcn.h>

#include "drive.h"


int main(int argc, char **argv) {
  if (argc != 2) return 2;
  void *lib = dlopen("libgoalkeeper.so.1", RTLD_NOW);
  if (!lib) {
    fprintf(stderr, "consumer: %s\n", dlerror());
    return 1;
  }
  uint32_t (*abi)(void);
  *(void **)&abi = dlsym(lib, "gk_abi_version");
  if (!abi || abi() >> 16 != GK_ABI_VERSION_MAJOR) return 3;
  struct gk_api gk;
  *(void **)&gk.open = dlsym(lib, "gk_open");
  *(void **)&gk.close = dlsym(lib, "gk_close");
  *(void **)&gk.last_error = dlsym(lib, "gk_last_error");
  *(void **)&gk.free_ = dlsym(lib, "gk_free");
  *(void **)&gk.load = dlsym(lib, "gk_load");
  *(void **)&gk.start = dlsym(lib, "gk_start");
  *(void **)&gk.step = dlsym(lib, "gk_step");
  *(void **)&gk.job_event = dlsym(lib, "gk_job_event");
  *(void **)&gk.signal = dlsym(lib, "gk_signal");
  if (!gk.open || !gk.signal) return 4;
  return drive(&gk, argv[1]);
}
