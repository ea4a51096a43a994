// Exception guard for every C entry point of the OpenCV shim.
#pragma once
#include <exception>
#include <string>

namespace ctcv {
/// Message of the last failure on this thread.
std::string &last_error();
void set_error(const char *what);
}  // namespace ctcv

/// Runs `body`; any C++ exception becomes a stored message and `sentinel` is returned.
#define CTCV_GUARD(sentinel, ...)                                          \
    try {                                                                  \
        __VA_ARGS__                                                        \
    } catch (const std::exception &e) {                                    \
        ctcv::set_error(e.what());                                         \
        return sentinel;                                                   \
    } catch (...) {                                                        \
        ctcv::set_error("unknown C++ exception");                          \
        return sentinel;                                                   \
    }
