// Shared exception guard for every C entry point of the shim (torch and OpenCV).
#pragma once
#include <exception>
#include <string>

namespace ctorch {
/// Message of the last failure on this thread.
std::string &last_error();
/// Stores `what` (NULL: ""); never throws, so a guard's handler cannot itself leak an exception.
void set_error(const char *what) noexcept;
}  // namespace ctorch

/// Runs `body`; any C++ exception becomes a stored message and `sentinel` is returned.
#define CT_GUARD(sentinel, ...)                                            \
    try {                                                                  \
        __VA_ARGS__                                                        \
    } catch (const std::exception &e) {                                    \
        ctorch::set_error(ctorch_describe(e));                             \
        return sentinel;                                                   \
    } catch (...) {                                                        \
        ctorch::set_error("unknown C++ exception");                        \
        return sentinel;                                                   \
    }

/// The message of `e`, without libtorch's C++ backtrace.
const char *ctorch_describe(const std::exception &e) noexcept;
