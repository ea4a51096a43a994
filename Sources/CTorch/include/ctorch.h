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

#include <stdint.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------- errors ---------- */

/** Message of the last failure on this thread ("" when none). */
const char *ct_last_error(void);
void ct_clear_error(void);

/* ---------- dtypes ---------- */

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

/** Size in bytes of one element of `dtype`, or -1. */
int ct_dtype_size(int dtype);

/* ---------- tensors ---------- */

typedef struct ct_tensor ct_tensor;

void ct_free(ct_tensor *t);

/** A new contiguous tensor holding a copy of `nbytes` bytes at `data`. */
ct_tensor *ct_from_bytes(const void *data, size_t nbytes, int dtype, const int64_t *shape, int ndim);
/** Factories. kind: 0 zeros, 1 ones, 2 empty, 3 rand (uniform [0,1)), 4 randn. */
ct_tensor *ct_factory(int kind, int dtype, const int64_t *shape, int ndim);
ct_tensor *ct_full(double value, int dtype, const int64_t *shape, int ndim);
ct_tensor *ct_arange(double start, double end, double step, int dtype);
ct_tensor *ct_randint(int64_t low, int64_t high, const int64_t *shape, int ndim);
ct_tensor *ct_randperm(int64_t n);

int ct_ndim(const ct_tensor *t);
/** Writes ndim sizes into `out` (which has room for `cap`); returns ndim or -1. */
int ct_shape(const ct_tensor *t, int64_t *out, int cap);
int ct_strides(const ct_tensor *t, int64_t *out, int cap);
int ct_get_dtype(const ct_tensor *t);
int64_t ct_numel(const ct_tensor *t);
/** The tensor's version counter: bumped by every in-place change (-1 for inference tensors). */
int64_t ct_version(const ct_tensor *t);
/** 1 when contiguous in `memory_format` (0 = contiguous, 1 = channels-last). */
int ct_is_contiguous(const ct_tensor *t, int memory_format);
/** Copies the elements (row-major, the tensor's own dtype) into dst; nbytes must match. */
int ct_copy_out(const ct_tensor *t, void *dst, size_t nbytes);
/** The value of a one-element tensor. */
int ct_item(const ct_tensor *t, double *out);

ct_tensor *ct_to_dtype(const ct_tensor *t, int dtype);
/** memory_format: 0 contiguous, 1 channels-last. */
ct_tensor *ct_contiguous(const ct_tensor *t, int memory_format);
ct_tensor *ct_clone(const ct_tensor *t);
ct_tensor *ct_detach(const ct_tensor *t);
/** A new handle to the same tensor (shares storage and autograd identity). */
ct_tensor *ct_share(const ct_tensor *t);

/* ---------- shape ---------- */

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

/* ---------- elementwise ---------- */

typedef enum {
    CT_NEG, CT_EXP, CT_LOG, CT_SQRT, CT_ABS, CT_RELU, CT_SIGMOID, CT_TANH,
    CT_SIGN, CT_FLOOR, CT_CEIL, CT_ROUND, CT_RSQRT, CT_LOGICAL_NOT, CT_SQUARE,
} ct_unary_op;

typedef enum {
    CT_ADD, CT_SUB, CT_MUL, CT_DIV, CT_POW, CT_MAXIMUM, CT_MINIMUM,
    CT_EQ, CT_NE, CT_LT, CT_LE, CT_GT, CT_GE, CT_MATMUL,
    CT_LOGICAL_AND, CT_LOGICAL_OR, CT_REMAINDER,
} ct_binary_op;

ct_tensor *ct_unary(int op, const ct_tensor *a);
ct_tensor *ct_binary(int op, const ct_tensor *a, const ct_tensor *b);
/** `a op s` with a scalar on the right; `reverse` computes `s op a`. */
ct_tensor *ct_scalar(int op, const ct_tensor *a, double s, int reverse);
/** clamp; a bound is ignored when its has_ flag is 0. */
ct_tensor *ct_clamp(const ct_tensor *a, int has_min, double min, int has_max, double max);

/* ---------- reductions and sorting ---------- */

typedef enum { CT_SUM, CT_MEAN, CT_AMAX, CT_AMIN, CT_PROD, CT_VAR, CT_STD } ct_reduce_op;

/** Reduces over `dims` (all dims when ndims == 0). VAR/STD are unbiased=false. */
ct_tensor *ct_reduce(int op, const ct_tensor *a, const int64_t *dims, int ndims, int keepdim);
/** argmax (is_max=1) or argmin over `dim`; dim < -64 means over the flattened tensor. */
ct_tensor *ct_argext(const ct_tensor *a, int64_t dim, int keepdim, int is_max);
/** torch.topk: 0 with two new handles, or -1 with both NULL. */
int ct_topk(const ct_tensor *a, int64_t k, int64_t dim, int largest, int sorted,
            ct_tensor **values, ct_tensor **indices);
/** torch.sort: 0 with two new handles, or -1 with both NULL. */
int ct_sort(const ct_tensor *a, int64_t dim, int descending, ct_tensor **values, ct_tensor **indices);

/** Reduced SVD a = U diag(S) Vh of a matrix (or batch): 0 with three new handles, or -1 with all NULL. */
int ct_svd(const ct_tensor *a, ct_tensor **u, ct_tensor **s, ct_tensor **vh);

/* ---------- neural-network functions ---------- */

/** 2-D convolution; bias may be NULL. stride, padding, dilation: 2 values each. */
ct_tensor *ct_conv2d(const ct_tensor *x, const ct_tensor *w, const ct_tensor *b,
                     const int64_t *stride, const int64_t *padding, const int64_t *dilation, int64_t groups);
/** Batch norm; weight, bias, running stats may be NULL. In training mode the running stats are updated in place. */
ct_tensor *ct_batch_norm(const ct_tensor *x, const ct_tensor *weight, const ct_tensor *bias,
                         ct_tensor *running_mean, ct_tensor *running_var,
                         int training, double momentum, double eps);
ct_tensor *ct_max_pool2d(const ct_tensor *x, const int64_t *kernel, const int64_t *stride,
                         const int64_t *padding, int ceil_mode);
ct_tensor *ct_adaptive_avg_pool2d(const ct_tensor *x, int64_t out_h, int64_t out_w);
ct_tensor *ct_linear(const ct_tensor *x, const ct_tensor *w, const ct_tensor *b);
ct_tensor *ct_softmax(const ct_tensor *x, int64_t dim, int log);
/** Cross entropy of logits [N, C] against class indices [N]; reduction 0 none, 1 mean, 2 sum. */
ct_tensor *ct_cross_entropy(const ct_tensor *logits, const ct_tensor *target, double label_smoothing, int reduction);

typedef enum { CT_NEAREST = 0, CT_BILINEAR = 1, CT_BICUBIC = 2, CT_AREA = 3 } ct_interp_mode;
/** Resize NCHW to (out_h, out_w); align_corners: -1 unset (nearest/area), 0 false, 1 true. */
ct_tensor *ct_interpolate(const ct_tensor *x, int64_t out_h, int64_t out_w, int mode, int align_corners);
/** F.pad with `n` pad values (last dim first); mode 0 constant, 1 reflect, 2 replicate. */
ct_tensor *ct_pad(const ct_tensor *x, const int64_t *pads, int n, int mode, double value);

/* ---------- in-place updates (used by optimizers, under no-grad) ---------- */

typedef enum {
    CT_IP_ADD,      /* a += alpha * b */
    CT_IP_MUL,      /* a *= b */
    CT_IP_COPY,     /* a = b */
    CT_IP_ADDCMUL,  /* a += alpha * b * c */
    CT_IP_ADDCDIV,  /* a += alpha * b / c */
    CT_IP_LERP,     /* a += alpha * (b - a) */
} ct_inplace_op;

/** In-place update of `a` with tensors b (and c) and a scalar alpha. */
int ct_inplace(int op, ct_tensor *a, const ct_tensor *b, const ct_tensor *c, double alpha);
/** a *= s (s scalar) / a.fill_(s) (fill=1) / zero. */
int ct_inplace_scalar(ct_tensor *a, double s, int fill);
/** Initialisers in place: kind 0 uniform(a, b), 1 normal(mean a, std b). */
int ct_init(ct_tensor *a, int kind, double a_param, double b_param);

/* ---------- autograd ---------- */

int ct_set_requires_grad(ct_tensor *t, int requires_grad);
int ct_requires_grad(const ct_tensor *t);
/** The accumulated .grad as a new handle in *out: 0 (with *out NULL when there is none), or -1 with *out NULL. */
int ct_grad(const ct_tensor *t, ct_tensor **out);
int ct_zero_grad(ct_tensor *t);
/** t.backward(grad) — grad may be NULL for a scalar. */
int ct_backward(const ct_tensor *t, const ct_tensor *grad, int retain_graph);
/**
 * torch.autograd.grad(outputs, inputs, grad_outputs): gradients only into
 * `inputs`, as n_in new handles in `out`. grad_outputs may be NULL.
 * An input the outputs do not depend on gets a zeros tensor.
 * 0, or -1 with all of out[0..n_in) NULL.
 */
int ct_autograd_grad(ct_tensor *const *outputs, int n_out, ct_tensor *const *grad_outputs,
                     ct_tensor *const *inputs, int n_in, int retain_graph, int create_graph,
                     ct_tensor **out);

/** Sets whether autograd records; returns the previous state (0/1). */
int ct_set_grad_enabled(int enabled);
/** 1 or 0, or -1 on failure. */
int ct_is_grad_enabled(void);
/** Enters an inference-mode scope on this thread (enabled 0: leaves one for the scope);
 *  leave it with ct_inference_mode_exit. */
void *ct_inference_mode_enter(int enabled);
void ct_inference_mode_exit(void *guard);

/* ---------- runtime ---------- */

/** Seeds the global CPU generator; 0 or -1. */
int ct_manual_seed(uint64_t seed);
int ct_set_num_threads(int n);
/** The intra-op thread count, or -1 on failure. */
int ct_get_num_threads(void);
/** Keeps freed memory in the process (glibc: no mmap for large blocks, no trimming), so that
 *  the large activations of each forward do not page-fault afresh. Returns 0, or -1 if refused. */
int ct_retain_freed_memory(void);
/** Random-generator state as bytes (cap bytes available at out); returns the length needed. */
int64_t ct_rng_state(uint8_t *out, int64_t cap);
int ct_set_rng_state(const uint8_t *state, int64_t len);

#ifdef __cplusplus
}
#endif

#endif /* CTORCH_H */
