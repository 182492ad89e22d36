// toml++ compiled into practice_core, once, instead of loaded from
// libtomlplusplus.so at every start: one shared library fewer to map
// (about half a millisecond here). Every other file includes the headers
// with TOML_HEADER_ONLY=0 (set in src/CMakeLists.txt).
#define TOML_IMPLEMENTATION
#include <toml++/toml.h>
