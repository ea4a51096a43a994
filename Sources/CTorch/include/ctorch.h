/*
 * ctorch.h — the pure-C face of libtorch for Swift.
 *
 * Every function catches every C++ exception. On failure it stores the
 * message in a thread-local (read with ct_last_error) and returns a sentinel:
 * NULL for handles, -1 for status codes. Handles are owned by the caller and
 * released with ct_free. Functions with several out-handles are all-or-nothing:
 * on failure every out-pointer is NULL and nothing is left allocated.
 */
#ifndef CTORCH_H
#define CTORCH_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------- errors ---------- */

/** Message of the last failure on this thread ("" when none). */
const char *ct_last_error(void);
void ct_clear_error(void);

/* ---------- enumerations (explicit values: they cross the C boundary) ---------- */

typedef enum {
    CT_FLOAT32 = 0,
    CT_FLOAT64 = 1,
    CT_INT64 = 2,
    CT_UINT8 = 3,
    CT_BOOL = 4,
    CT_INT32 = 5,
    CT_INT16 = 6,
    CT_INT8 = 7,
    CT_FLOAT16 = 8,
    CT_BFLOAT16 = 9,
} ct_dtype;

typedef enum { CT_ZEROS = 0, CT_ONES = 1, CT_EMPTY = 2, CT_RAND = 3, CT_RANDN = 4 } ct_factory_kind;

typedef enum { CT_CONTIGUOUS_FORMAT = 0, CT_CHANNELS_LAST = 1 } ct_memory_format;

typedef enum {
    CT_NEG = 0, CT_EXP = 1, CT_LOG = 2, CT_SQRT = 3, CT_ABS = 4, CT_RELU = 5, CT_SIGMOID = 6, CT_TANH = 7,
    CT_SIGN = 8, CT_FLOOR = 9, CT_CEIL = 10, CT_ROUND = 11, CT_RSQRT = 12, CT_LOGICAL_NOT = 13, CT_SQUARE = 14,
    CT_ERF = 15, CT_GELU = 16, CT_GELU_TANH = 17, CT_SILU = 18, CT_HARDSWISH = 19, CT_HARDSIGMOID = 20,
    CT_SELU = 21, CT_ELU = 22,
} ct_unary_op;

typedef enum {
    CT_ADD = 0, CT_SUB = 1, CT_MUL = 2, CT_DIV = 3, CT_POW = 4, CT_MAXIMUM = 5, CT_MINIMUM = 6,
    CT_EQ = 7, CT_NE = 8, CT_LT = 9, CT_LE = 10, CT_GT = 11, CT_GE = 12, CT_MATMUL = 13,
    CT_LOGICAL_AND = 14, CT_LOGICAL_OR = 15, CT_REMAINDER = 16,
} ct_binary_op;

typedef enum { CT_SUM = 0, CT_MEAN = 1, CT_AMAX = 2, CT_AMIN = 3, CT_PROD = 4, CT_VAR = 5, CT_STD = 6 } ct_reduce_op;

/** Loss reductions over the batch. */
typedef enum { CT_REDUCTION_NONE = 0, CT_REDUCTION_MEAN = 1, CT_REDUCTION_SUM = 2 } ct_reduction;

typedef enum { CT_NEAREST = 0, CT_BILINEAR = 1, CT_BICUBIC = 2, CT_AREA = 3 } ct_interp_mode;

typedef enum { CT_PAD_CONSTANT = 0, CT_PAD_REFLECT = 1, CT_PAD_REPLICATE = 2 } ct_pad_mode;

typedef enum {
    CT_IP_ADD = 0,      /* a += alpha * b */
    CT_IP_MUL = 1,      /* a *= b */
    CT_IP_COPY = 2,     /* a = b */
    CT_IP_ADDCMUL = 3,  /* a += alpha * b * c */
    CT_IP_ADDCDIV = 4,  /* a += alpha * b / c */
    CT_IP_LERP = 5,     /* a += alpha * (b - a) */
} ct_inplace_op;

typedef enum {
    CT_IP_SCALE = 0,  /* a *= s */
    CT_IP_FILL = 1,   /* a = s everywhere */
} ct_inplace_scalar_op;

typedef enum {
    CT_INIT_UNIFORM = 0,  /* uniform in [a, b) */
    CT_INIT_NORMAL = 1,   /* normal, mean a, std b */
} ct_init_kind;

/** Size in bytes of one element of `dtype`, or -1. */
int ct_dtype_size(ct_dtype dtype);

/* ---------- tensors ---------- */

typedef struct ct_tensor ct_tensor;

/** Releases a handle (NULL is ignored). */
void ct_free(ct_tensor *t);

/** A new contiguous tensor holding a copy of `nbytes` bytes at `data`; NULL on failure. */
ct_tensor *ct_from_bytes(const void *data, size_t nbytes, ct_dtype dtype, const int64_t *shape, int ndim);
/** zeros, ones, empty, rand (uniform [0,1)) or randn; NULL on failure. */
ct_tensor *ct_factory(ct_factory_kind kind, ct_dtype dtype, const int64_t *shape, int ndim);
ct_tensor *ct_full(double value, ct_dtype dtype, const int64_t *shape, int ndim);
ct_tensor *ct_arange(double start, double end, double step, ct_dtype dtype);
ct_tensor *ct_randint(int64_t low, int64_t high, const int64_t *shape, int ndim);
ct_tensor *ct_randperm(int64_t n);

int ct_ndim(const ct_tensor *t);
/** Writes ndim sizes into `out` (which has room for `cap`); returns ndim or -1. */
int ct_shape(const ct_tensor *t, int64_t *out, int cap);
int ct_strides(const ct_tensor *t, int64_t *out, int cap);
/** Stores the element type in *out; 0, or -1 for a type the shim does not map. */
int ct_get_dtype(const ct_tensor *t, ct_dtype *out);
int64_t ct_numel(const ct_tensor *t);
/** The tensor's version counter: bumped by every in-place change (-1 for inference tensors). */
int64_t ct_version(const ct_tensor *t);
/** 1 when contiguous in `memory_format`, 0 when not, -1 on failure. */
int ct_is_contiguous(const ct_tensor *t, ct_memory_format memory_format);
/** Copies the elements (row-major, the tensor's own dtype) into dst; nbytes must match. */
int ct_copy_out(const ct_tensor *t, void *dst, size_t nbytes);
/** The value of a one-element tensor. */
int ct_item(const ct_tensor *t, double *out);

ct_tensor *ct_to_dtype(const ct_tensor *t, ct_dtype dtype);
ct_tensor *ct_contiguous(const ct_tensor *t, ct_memory_format memory_format);
ct_tensor *ct_clone(const ct_tensor *t);
ct_tensor *ct_detach(const ct_tensor *t);
/** A new handle to the same tensor (shares storage and autograd identity). */
ct_tensor *ct_share(const ct_tensor *t);

/* ---------- shape (each returns a new handle, or NULL on failure) ---------- */

ct_tensor *ct_reshape(const ct_tensor *t, const int64_t *shape, int ndim);
ct_tensor *ct_permute(const ct_tensor *t, const int64_t *dims, int ndim);
ct_tensor *ct_transpose(const ct_tensor *t, int64_t d0, int64_t d1);
ct_tensor *ct_expand(const ct_tensor *t, const int64_t *shape, int ndim);
ct_tensor *ct_slice(const ct_tensor *t, int64_t dim, int64_t start, int64_t end, int64_t step);
ct_tensor *ct_select(const ct_tensor *t, int64_t dim, int64_t index);
ct_tensor *ct_squeeze(const ct_tensor *t, int64_t dim);
ct_tensor *ct_unsqueeze(const ct_tensor *t, int64_t dim);
ct_tensor *ct_flatten(const ct_tensor *t, int64_t start, int64_t end);
ct_tensor *ct_flip(const ct_tensor *t, const int64_t *dims, int ndim);
ct_tensor *ct_cat(ct_tensor *const *ts, int n, int64_t dim);
ct_tensor *ct_stack(ct_tensor *const *ts, int n, int64_t dim);
ct_tensor *ct_index_select(const ct_tensor *t, int64_t dim, const ct_tensor *index);
ct_tensor *ct_gather(const ct_tensor *t, int64_t dim, const ct_tensor *index);
/** torch.where(cond, a, b). */
ct_tensor *ct_where(const ct_tensor *cond, const ct_tensor *a, const ct_tensor *b);
/** Rows of `t` selected by a boolean mask (torch.masked_select). */
ct_tensor *ct_masked_select(const ct_tensor *t, const ct_tensor *mask);

/* ---------- elementwise (new handle, or NULL on failure) ---------- */

ct_tensor *ct_unary(ct_unary_op op, const ct_tensor *a);
ct_tensor *ct_binary(ct_binary_op op, const ct_tensor *a, const ct_tensor *b);
/** `a op s` with a scalar on the right; `reverse` computes `s op a`. */
ct_tensor *ct_scalar(ct_binary_op op, const ct_tensor *a, double s, bool reverse);
/** clamp; a bound is ignored when its has_ flag is false. */
ct_tensor *ct_clamp(const ct_tensor *a, bool has_min, double min, bool has_max, double max);

/* ---------- reductions and sorting ---------- */

/** Reduces over `dims` (all dims when ndims == 0); new handle or NULL. VAR/STD are unbiased=false. */
ct_tensor *ct_reduce(ct_reduce_op op, const ct_tensor *a, const int64_t *dims, int ndims, bool keepdim);
/** argmax (is_max) or argmin over `dim`; dim < -64 means over the flattened tensor. New handle or NULL. */
ct_tensor *ct_argext(const ct_tensor *a, int64_t dim, bool keepdim, bool is_max);
/** torch.topk: 0 with two new handles, or -1 with both NULL. */
int ct_topk(const ct_tensor *a, int64_t k, int64_t dim, bool largest, bool sorted,
            ct_tensor **values, ct_tensor **indices);
/** torch.sort: 0 with two new handles, or -1 with both NULL. */
int ct_sort(const ct_tensor *a, int64_t dim, bool descending, ct_tensor **values, ct_tensor **indices);
/** Reduced SVD a = U diag(S) Vh of a matrix (or batch): 0 with three new handles, or -1 with all NULL. */
int ct_svd(const ct_tensor *a, ct_tensor **u, ct_tensor **s, ct_tensor **vh);

/* ---------- neural-network functions (new handle, or NULL on failure) ---------- */

/** 2-D convolution; bias may be NULL. stride, padding, dilation: 2 values each. */
ct_tensor *ct_conv2d(const ct_tensor *x, const ct_tensor *w, const ct_tensor *b,
                     const int64_t *stride, const int64_t *padding, const int64_t *dilation, int64_t groups);
/** Batch norm; weight, bias, running stats may be NULL. In training mode the running stats are updated in place. */
ct_tensor *ct_batch_norm(const ct_tensor *x, const ct_tensor *weight, const ct_tensor *bias,
                         ct_tensor *running_mean, ct_tensor *running_var,
                         bool training, double momentum, double eps);
ct_tensor *ct_max_pool2d(const ct_tensor *x, const int64_t *kernel, const int64_t *stride,
                         const int64_t *padding, bool ceil_mode);
ct_tensor *ct_adaptive_avg_pool2d(const ct_tensor *x, int64_t out_h, int64_t out_w);
/** Average pooling; `count_include_pad` false divides by the number of input values under each window. */
ct_tensor *ct_avg_pool2d(const ct_tensor *x, const int64_t *kernel, const int64_t *stride,
                         const int64_t *padding, bool ceil_mode, bool count_include_pad);
ct_tensor *ct_linear(const ct_tensor *x, const ct_tensor *w, const ct_tensor *b);
/** softmax, or log_softmax when `log`. */
ct_tensor *ct_softmax(const ct_tensor *x, int64_t dim, bool log);
/** Cross entropy of logits [N, C] against class indices [N]. */
ct_tensor *ct_cross_entropy(const ct_tensor *logits, const ct_tensor *target, double label_smoothing,
                            ct_reduction reduction);
/** Resize NCHW to (out_h, out_w); align_corners applies only when has_align_corners. */
ct_tensor *ct_interpolate(const ct_tensor *x, int64_t out_h, int64_t out_w, ct_interp_mode mode,
                          bool has_align_corners, bool align_corners);
/** F.pad with `n` pad values (last dim first); `value` is used by CT_PAD_CONSTANT. */
ct_tensor *ct_pad(const ct_tensor *x, const int64_t *pads, int n, ct_pad_mode mode, double value);

/* ---------- in-place updates (used by optimizers, under no-grad; 0 or -1) ---------- */

/** In-place update of `a` with tensors b (and c) and a scalar alpha. */
int ct_inplace(ct_inplace_op op, ct_tensor *a, const ct_tensor *b, const ct_tensor *c, double alpha);
/** a *= s, or a.fill_(s). */
int ct_inplace_scalar(ct_tensor *a, double s, ct_inplace_scalar_op op);
/** Fills `a` from a distribution with parameters a_param, b_param (without recording). */
int ct_init(ct_tensor *a, ct_init_kind kind, double a_param, double b_param);

/* ---------- autograd ---------- */

int ct_set_requires_grad(ct_tensor *t, bool requires_grad);
/** 1 or 0, or -1 on failure. */
int ct_requires_grad(const ct_tensor *t);
/** The accumulated .grad as a new handle in *out: 0 (with *out NULL when there is none), or -1 with *out NULL. */
int ct_grad(const ct_tensor *t, ct_tensor **out);
int ct_zero_grad(ct_tensor *t);
/** t.backward(grad) — grad may be NULL for a scalar. 0 or -1. */
int ct_backward(const ct_tensor *t, const ct_tensor *grad, bool retain_graph);
/**
 * torch.autograd.grad(outputs, inputs, grad_outputs): gradients only into
 * `inputs`, as n_in new handles in `out`. grad_outputs may be NULL.
 * An input the outputs do not depend on gets a zeros tensor.
 * 0, or -1 with all of out[0..n_in) NULL.
 */
int ct_autograd_grad(ct_tensor *const *outputs, int n_out, ct_tensor *const *grad_outputs,
                     ct_tensor *const *inputs, int n_in, bool retain_graph, bool create_graph,
                     ct_tensor **out);

/** Sets whether autograd records on this thread; returns the previous state (0/1), or -1. */
int ct_set_grad_enabled(bool enabled);
/** 1 or 0, or -1 on failure. */
int ct_is_grad_enabled(void);
/** Enters an inference-mode scope on this thread (enabled false: leaves one for the scope);
 *  returns a guard to pass to ct_inference_mode_exit, or NULL on failure. */
void *ct_inference_mode_enter(bool enabled);
void ct_inference_mode_exit(void *guard);

/* ---------- runtime ---------- */

/** Seeds the global CPU generator; 0 or -1. */
int ct_manual_seed(uint64_t seed);
/** Sets the intra-op thread count (n >= 1); 0 or -1. */
int ct_set_num_threads(int n);
/** The intra-op thread count, or -1 on failure. */
int ct_get_num_threads(void);
/** Keeps freed memory in the process (glibc: no mmap for large blocks, no trimming), so that
 *  the large activations of each forward do not page-fault afresh. Returns 0, or -1 if refused. */
int ct_retain_freed_memory(void);
/** Random-generator state as bytes (cap bytes available at out); returns the length needed, or -1. */
int64_t ct_rng_state(uint8_t *out, int64_t cap);
/** Restores a state from ct_rng_state; 0 or -1. */
int ct_set_rng_state(const uint8_t *state, int64_t len);

#ifdef __cplusplus
}
#endif

#endif /* CTORCH_H */
