/* libhdf5 (Debian's serial build) for Swift. Type-id macros that Swift cannot import are exposed as functions. */
#ifndef CHDF5_SHIM_H
#define CHDF5_SHIM_H
#include <hdf5/serial/hdf5.h>

static inline hid_t chdf5_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t chdf5_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t chdf5_native_int64(void) { return H5T_NATIVE_INT64; }
static inline hid_t chdf5_c_s1(void) { return H5T_C_S1; }
static inline hid_t chdf5_p_default(void) { return H5P_DEFAULT; }
static inline hid_t chdf5_s_all(void) { return H5S_ALL; }
#endif
