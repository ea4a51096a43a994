// Thread-local error storage of the imputation solver shim.
#include "guard.hpp"
#include "include/cimpute.h"

namespace cimpute {
std::string &last_error() {
    thread_local std::string message;
    return message;
}
void set_error(const char *what) { last_error() = what ? what : ""; }
}  // namespace cimpute

extern "C" const char *cimpute_last_error(void) { return cimpute::last_error().c_str(); }
extern "C" void cimpute_clear_error(void) { cimpute::last_error().clear(); }
