// Exception guard for every C entry point of the imputation solver shim.
#pragma once
#include <exception>
#include <string>

namespace cimpute {
/// Message of the last failure on this thread.
std::string &last_error();
void set_error(const char *what);
}  // namespace cimpute

/// Runs `body`; any C++ exception becomes a stored message and `sentinel` is returned.
#define CIMPUTE_GUARD(sentinel, ...)                                       \
    try {                                                                  \
        __VA_ARGS__                                                        \
    } catch (const std::exception &e) {                                    \
        cimpute::set_error(e.what());                                      \
        return sentinel;                                                   \
    } catch (...) {                                                        \
        cimpute::set_error("unknown C++ exception");                       \
        return sentinel;                                                   \
    }
