// Thread-local error storage of the OpenCV shim.
#include "guard.hpp"
#include "include/ctcv.h"

namespace ctcv {
std::string &last_error() {
    thread_local std::string message;
    return message;
}
void set_error(const char *what) { last_error() = what ? what : ""; }
}  // namespace ctcv

extern "C" const char *ctcv_last_error(void) { return ctcv::last_error().c_str(); }
extern "C" void ctcv_clear_error(void) { ctcv::last_error().clear(); }
