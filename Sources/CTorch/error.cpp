// Thread-local error storage shared by all shim entry points.
#include "guard.hpp"
#include "include/ctorch.h"
#include <c10/util/Exception.h>

namespace ctorch {
std::string &last_error() {
    thread_local std::string message;
    return message;
}
void set_error(const char *what) noexcept {
    try {
        last_error() = what ? what : "";
    } catch (...) {
        // Copying the message failed (out of memory); 13 characters fit any string's own buffer.
        last_error().assign("out of memory");
    }
}
}  // namespace ctorch

const char *ctorch_describe(const std::exception &e) noexcept {
    if (auto *c10e = dynamic_cast<const c10::Error *>(&e)) return c10e->what_without_backtrace();
    return e.what();
}

extern "C" const char *ct_last_error(void) { return ctorch::last_error().c_str(); }
extern "C" void ct_clear_error(void) { ctorch::last_error().clear(); }
