/*
 * cimpute.h — the pure-C face of the sparse solver behind ROAD's noisy linear imputation
 * (Eigen 3.4, Debian libeigen3-dev), for Swift.
 *
 * Conventions (the same as ctorch.h and ctcv.h):
 *  - Every function catches every C++ exception. On failure it stores the message in the
 *    thread-local read by cimpute_last_error() and returns -1. 0 means success.
 *  - Buffers are caller-owned; the shim keeps no pointer to them after returning.
 *  - Functions are reentrant: separate images may be imputed on separate threads at once.
 */
#ifndef CIMPUTE_H
#define CIMPUTE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The message of the last failure on this thread ("" if none). */
const char *cimpute_last_error(void);
/** Clears the last failure's message. */
void cimpute_clear_error(void);

/**
 * Linear imputation of the pixels of `image` (channels x height x width float32, planar) where
 * `known` (height x width, row-major) is 0, as ROAD's NoisyLinearImputer does before its noise:
 * each imputed pixel equals the weighted mean of its in-bounds 8 neighbours (weights 1/6 for the
 * 4 edge neighbours, 1/12 for the 4 diagonal ones), known neighbours with their values, imputed
 * ones as unknowns; one sparse linear system per image (all channels at once), solved in double
 * precision by a sparse Cholesky factorisation. Writes the whole image to `out` (same layout;
 * known pixels copied). With no pixel known the system is singular (its right-hand side is 0):
 * the result is then 0 everywhere, as SuperLU gives (what pytorch-grad-cam calls).
 */
int32_t cimpute_linear(const float *image, int32_t channels, int32_t height, int32_t width, const uint8_t *known, float *out);

#ifdef __cplusplus
}
#endif

#endif
