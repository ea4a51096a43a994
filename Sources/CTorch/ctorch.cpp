// libtorch behind the C header. The only translation unit that includes <torch/torch.h>.
#include "include/ctorch.h"
#include "guard.hpp"

#include <torch/torch.h>
#include <ATen/Parallel.h>

#include <cstring>
#include <initializer_list>
#include <memory>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <vector>

struct ct_tensor {
    at::Tensor t;
};

namespace {

ct_tensor *wrap(at::Tensor t) { return new ct_tensor{std::move(t)}; }

/// Sets each out-pointer of a multi-output call to NULL, so that every failure leaves them so;
/// throws when one is missing.
void reset_outs(std::initializer_list<ct_tensor **> outs) {
    bool missing = false;
    for (auto o : outs) {
        if (o) *o = nullptr;
        else missing = true;
    }
    if (missing) throw std::invalid_argument("an out-pointer is NULL");
}

/// Handles for all of `ts`, owned until the caller releases them: a multi-output call builds
/// every handle before it publishes any, so a failure part-way frees those already built.
std::vector<std::unique_ptr<ct_tensor>> hold(std::vector<at::Tensor> ts) {
    std::vector<std::unique_ptr<ct_tensor>> held;
    held.reserve(ts.size());
    for (auto &t : ts) held.emplace_back(new ct_tensor{std::move(t)});
    return held;
}

at::ScalarType scalar_type(ct_dtype dtype) {
    switch (dtype) {
    case CT_FLOAT32: return at::kFloat;
    case CT_FLOAT64: return at::kDouble;
    case CT_INT64: return at::kLong;
    case CT_UINT8: return at::kByte;
    case CT_BOOL: return at::kBool;
    case CT_INT32: return at::kInt;
    case CT_INT16: return at::kShort;
    case CT_INT8: return at::kChar;
    case CT_FLOAT16: return at::kHalf;
    case CT_BFLOAT16: return at::kBFloat16;
    }
    throw std::invalid_argument("unknown dtype code " + std::to_string(static_cast<int>(dtype)));
}

ct_dtype dtype_code(at::ScalarType s) {
    switch (s) {
    case at::kFloat: return CT_FLOAT32;
    case at::kDouble: return CT_FLOAT64;
    case at::kLong: return CT_INT64;
    case at::kByte: return CT_UINT8;
    case at::kBool: return CT_BOOL;
    case at::kInt: return CT_INT32;
    case at::kShort: return CT_INT16;
    case at::kChar: return CT_INT8;
    case at::kHalf: return CT_FLOAT16;
    case at::kBFloat16: return CT_BFLOAT16;
    default: throw std::invalid_argument(std::string("unsupported scalar type ") + c10::toString(s));
    }
}

at::IntArrayRef dims(const int64_t *p, int n) { return at::IntArrayRef(p, static_cast<size_t>(n)); }

std::vector<at::Tensor> tensors(ct_tensor *const *ts, int n) {
    std::vector<at::Tensor> v;
    if (n < 0 || (n > 0 && !ts)) throw std::invalid_argument("bad tensor list");
    v.reserve(n);
    for (int i = 0; i < n; ++i) {
        if (!ts[i]) throw std::invalid_argument("tensor " + std::to_string(i) + " of the list is NULL");
        v.push_back(ts[i]->t);
    }
    return v;
}

c10::optional<at::Tensor> opt(const ct_tensor *t) {
    if (!t) return c10::nullopt;
    return t->t;
}

at::MemoryFormat memory_format(ct_memory_format code) {
    switch (code) {
    case CT_CONTIGUOUS_FORMAT: return at::MemoryFormat::Contiguous;
    case CT_CHANNELS_LAST: return at::MemoryFormat::ChannelsLast;
    }
    throw std::invalid_argument("unknown memory format " + std::to_string(static_cast<int>(code)));
}

at::Reduction::Reduction reduction(ct_reduction r) {
    switch (r) {
    case CT_REDUCTION_NONE: return at::Reduction::None;
    case CT_REDUCTION_MEAN: return at::Reduction::Mean;
    case CT_REDUCTION_SUM: return at::Reduction::Sum;
    }
    throw std::invalid_argument("unknown reduction " + std::to_string(static_cast<int>(r)));
}

}  // namespace

namespace {
at::Tensor binary(ct_binary_op op, const at::Tensor &x, const at::Tensor &y) {
    switch (op) {
    case CT_ADD: return x + y;
    case CT_SUB: return x - y;
    case CT_MUL: return x * y;
    case CT_DIV: return x / y;
    case CT_POW: return x.pow(y);
    case CT_MAXIMUM: return at::maximum(x, y);
    case CT_MINIMUM: return at::minimum(x, y);
    case CT_EQ: return x.eq(y);
    case CT_NE: return x.ne(y);
    case CT_LT: return x.lt(y);
    case CT_LE: return x.le(y);
    case CT_GT: return x.gt(y);
    case CT_GE: return x.ge(y);
    case CT_MATMUL: return x.matmul(y);
    case CT_LOGICAL_AND: return x.logical_and(y);
    case CT_LOGICAL_OR: return x.logical_or(y);
    case CT_REMAINDER: return x.remainder(y);
    }
    throw std::invalid_argument("unknown binary op " + std::to_string(static_cast<int>(op)));
}
}  // namespace

extern "C" {

int ct_dtype_size(ct_dtype dtype) {
    CT_GUARD(-1, return static_cast<int>(c10::elementSize(scalar_type(dtype)));)
}

void ct_free(ct_tensor *t) { delete t; }

ct_tensor *ct_from_bytes(const void *data, size_t nbytes, ct_dtype dtype, const int64_t *shape, int ndim) {
    CT_GUARD(nullptr, {
        auto st = scalar_type(dtype);
        auto t = at::empty(dims(shape, ndim), at::TensorOptions().dtype(st));
        size_t want = static_cast<size_t>(t.numel()) * c10::elementSize(st);
        if (want != nbytes)
            throw std::invalid_argument("byte count " + std::to_string(nbytes) + " does not match shape " +
                                        c10::str(t.sizes()) + " of " + c10::toString(st) + " (" +
                                        std::to_string(want) + " bytes)");
        if (nbytes) std::memcpy(t.data_ptr(), data, nbytes);
        return wrap(t);
    })
}

/// The value a caller passed for a C enum, read as its bytes: Swift can pass any raw value, and
/// loading one outside the enum's range as the enum type is undefined behaviour (UBSan, make test-asan).
static int raw_value(const ct_factory_kind &e) {
    static_assert(sizeof(e) == sizeof(int), "C enums are int-sized");
    int v;
    std::memcpy(&v, &e, sizeof v);
    return v;
}

ct_tensor *ct_factory(ct_factory_kind kind, ct_dtype dtype, const int64_t *shape, int ndim) {
    CT_GUARD(nullptr, {
        auto o = at::TensorOptions().dtype(scalar_type(dtype));
        auto s = dims(shape, ndim);
        switch (raw_value(kind)) {
        case CT_ZEROS: return wrap(at::zeros(s, o));
        case CT_ONES: return wrap(at::ones(s, o));
        case CT_EMPTY: return wrap(at::empty(s, o));
        case CT_RAND: return wrap(at::rand(s, o));
        case CT_RANDN: return wrap(at::randn(s, o));
        }
        throw std::invalid_argument("unknown factory kind " + std::to_string(raw_value(kind)));
    })
}

ct_tensor *ct_full(double value, ct_dtype dtype, const int64_t *shape, int ndim) {
    CT_GUARD(nullptr, return wrap(at::full(dims(shape, ndim), value, at::TensorOptions().dtype(scalar_type(dtype))));)
}

ct_tensor *ct_arange(double start, double end, double step, ct_dtype dtype) {
    CT_GUARD(nullptr, return wrap(at::arange(start, end, step, at::TensorOptions().dtype(scalar_type(dtype))));)
}

ct_tensor *ct_randint(int64_t low, int64_t high, const int64_t *shape, int ndim) {
    CT_GUARD(nullptr, return wrap(at::randint(low, high, dims(shape, ndim), at::TensorOptions().dtype(at::kLong)));)
}

ct_tensor *ct_randperm(int64_t n) { CT_GUARD(nullptr, return wrap(at::randperm(n));) }

int ct_ndim(const ct_tensor *t) { CT_GUARD(-1, return static_cast<int>(t->t.dim());) }

int ct_shape(const ct_tensor *t, int64_t *out, int cap) {
    CT_GUARD(-1, {
        int n = static_cast<int>(t->t.dim());
        for (int i = 0; i < n && i < cap; ++i) out[i] = t->t.size(i);
        return n;
    })
}

int ct_strides(const ct_tensor *t, int64_t *out, int cap) {
    CT_GUARD(-1, {
        int n = static_cast<int>(t->t.dim());
        for (int i = 0; i < n && i < cap; ++i) out[i] = t->t.stride(i);
        return n;
    })
}

int ct_get_dtype(const ct_tensor *t, ct_dtype *out) {
    CT_GUARD(-1, {
        *out = dtype_code(t->t.scalar_type());
        return 0;
    })
}

int64_t ct_numel(const ct_tensor *t) { CT_GUARD(-1, return t->t.numel();) }
int64_t ct_version(const ct_tensor *t) { CT_GUARD(-1, return t->t.is_inference() ? -1 : static_cast<int64_t>(t->t._version());) }

int ct_is_contiguous(const ct_tensor *t, ct_memory_format mf) { CT_GUARD(-1, return t->t.is_contiguous(memory_format(mf)) ? 1 : 0;) }

int ct_copy_out(const ct_tensor *t, void *dst, size_t nbytes) {
    CT_GUARD(-1, {
        auto c = t->t.detach().contiguous();
        size_t have = static_cast<size_t>(c.numel()) * c.element_size();
        if (have != nbytes)
            throw std::invalid_argument("destination holds " + std::to_string(nbytes) + " bytes, tensor has " +
                                        std::to_string(have));
        if (nbytes) std::memcpy(dst, c.data_ptr(), nbytes);
        return 0;
    })
}

int ct_item(const ct_tensor *t, double *out) {
    CT_GUARD(-1, {
        *out = t->t.item().toDouble();
        return 0;
    })
}

ct_tensor *ct_to_dtype(const ct_tensor *t, ct_dtype dtype) { CT_GUARD(nullptr, return wrap(t->t.to(scalar_type(dtype)));) }
ct_tensor *ct_contiguous(const ct_tensor *t, ct_memory_format mf) { CT_GUARD(nullptr, return wrap(t->t.contiguous(memory_format(mf)));) }
ct_tensor *ct_clone(const ct_tensor *t) { CT_GUARD(nullptr, return wrap(t->t.clone());) }
ct_tensor *ct_detach(const ct_tensor *t) { CT_GUARD(nullptr, return wrap(t->t.detach());) }
ct_tensor *ct_share(const ct_tensor *t) { CT_GUARD(nullptr, return wrap(t->t);) }

// ---------- shape ----------

ct_tensor *ct_reshape(const ct_tensor *t, const int64_t *s, int n) { CT_GUARD(nullptr, return wrap(t->t.reshape(dims(s, n)));) }
ct_tensor *ct_permute(const ct_tensor *t, const int64_t *d, int n) { CT_GUARD(nullptr, return wrap(t->t.permute(dims(d, n)));) }
ct_tensor *ct_transpose(const ct_tensor *t, int64_t a, int64_t b) { CT_GUARD(nullptr, return wrap(t->t.transpose(a, b));) }
ct_tensor *ct_expand(const ct_tensor *t, const int64_t *s, int n) { CT_GUARD(nullptr, return wrap(t->t.expand(dims(s, n)));) }
ct_tensor *ct_slice(const ct_tensor *t, int64_t dim, int64_t start, int64_t end, int64_t step) {
    CT_GUARD(nullptr, return wrap(t->t.slice(dim, start, end, step));)
}
ct_tensor *ct_select(const ct_tensor *t, int64_t dim, int64_t index) { CT_GUARD(nullptr, return wrap(t->t.select(dim, index));) }
ct_tensor *ct_squeeze(const ct_tensor *t, int64_t dim) { CT_GUARD(nullptr, return wrap(t->t.squeeze(dim));) }
ct_tensor *ct_unsqueeze(const ct_tensor *t, int64_t dim) { CT_GUARD(nullptr, return wrap(t->t.unsqueeze(dim));) }
ct_tensor *ct_flatten(const ct_tensor *t, int64_t s, int64_t e) { CT_GUARD(nullptr, return wrap(t->t.flatten(s, e));) }
ct_tensor *ct_flip(const ct_tensor *t, const int64_t *d, int n) { CT_GUARD(nullptr, return wrap(t->t.flip(dims(d, n)));) }
ct_tensor *ct_cat(ct_tensor *const *ts, int n, int64_t dim) { CT_GUARD(nullptr, return wrap(at::cat(tensors(ts, n), dim));) }
ct_tensor *ct_stack(ct_tensor *const *ts, int n, int64_t dim) { CT_GUARD(nullptr, return wrap(at::stack(tensors(ts, n), dim));) }
ct_tensor *ct_index_select(const ct_tensor *t, int64_t dim, const ct_tensor *i) {
    CT_GUARD(nullptr, return wrap(t->t.index_select(dim, i->t));)
}
ct_tensor *ct_gather(const ct_tensor *t, int64_t dim, const ct_tensor *i) { CT_GUARD(nullptr, return wrap(t->t.gather(dim, i->t));) }
ct_tensor *ct_where(const ct_tensor *c, const ct_tensor *a, const ct_tensor *b) {
    CT_GUARD(nullptr, return wrap(at::where(c->t, a->t, b->t));)
}
ct_tensor *ct_masked_select(const ct_tensor *t, const ct_tensor *m) { CT_GUARD(nullptr, return wrap(t->t.masked_select(m->t));) }

// ---------- elementwise ----------

ct_tensor *ct_unary(ct_unary_op op, const ct_tensor *a) {
    CT_GUARD(nullptr, {
        const at::Tensor &x = a->t;
        switch (op) {
        case CT_NEG: return wrap(x.neg());
        case CT_EXP: return wrap(x.exp());
        case CT_LOG: return wrap(x.log());
        case CT_SQRT: return wrap(x.sqrt());
        case CT_ABS: return wrap(x.abs());
        case CT_RELU: return wrap(x.relu());
        case CT_SIGMOID: return wrap(x.sigmoid());
        case CT_TANH: return wrap(x.tanh());
        case CT_SIGN: return wrap(x.sign());
        case CT_FLOOR: return wrap(x.floor());
        case CT_CEIL: return wrap(x.ceil());
        case CT_ROUND: return wrap(x.round());
        case CT_RSQRT: return wrap(x.rsqrt());
        case CT_LOGICAL_NOT: return wrap(x.logical_not());
        case CT_SQUARE: return wrap(x.square());
        case CT_ERF: return wrap(x.erf());
        case CT_GELU: return wrap(at::gelu(x));
        case CT_GELU_TANH: return wrap(at::gelu(x, "tanh"));
        case CT_SILU: return wrap(at::silu(x));
        case CT_HARDSWISH: return wrap(at::hardswish(x));
        case CT_HARDSIGMOID: return wrap(at::hardsigmoid(x));
        case CT_SELU: return wrap(at::selu(x));
        case CT_ELU: return wrap(at::elu(x));
        }
        throw std::invalid_argument("unknown unary op " + std::to_string(static_cast<int>(op)));
    })
}


ct_tensor *ct_binary(ct_binary_op op, const ct_tensor *a, const ct_tensor *b) { CT_GUARD(nullptr, return wrap(binary(op, a->t, b->t));) }

ct_tensor *ct_scalar(ct_binary_op op, const ct_tensor *a, double s, bool reverse) {
    CT_GUARD(nullptr, {
        // A 0-dim tensor takes part in type promotion like a Python scalar.
        at::Tensor st = at::scalar_tensor(s, at::TensorOptions().dtype(at::kDouble));
        if (!a->t.is_floating_point() && s == static_cast<double>(static_cast<int64_t>(s)))
            st = at::scalar_tensor(static_cast<int64_t>(s), at::TensorOptions().dtype(at::kLong));
        return wrap(reverse ? binary(op, st, a->t) : binary(op, a->t, st));
    })
}

ct_tensor *ct_clamp(const ct_tensor *a, bool has_min, double mn, bool has_max, double mx) {
    CT_GUARD(nullptr, {
        c10::optional<at::Scalar> lo = has_min ? c10::optional<at::Scalar>(mn) : c10::nullopt;
        c10::optional<at::Scalar> hi = has_max ? c10::optional<at::Scalar>(mx) : c10::nullopt;
        return wrap(at::clamp(a->t, lo, hi));
    })
}

// ---------- reductions ----------

ct_tensor *ct_reduce(ct_reduce_op op, const ct_tensor *a, const int64_t *d, int nd, bool keepdim) {
    CT_GUARD(nullptr, {
        const at::Tensor &x = a->t;
        std::vector<int64_t> all;
        if (nd == 0) {
            for (int64_t i = 0; i < x.dim(); ++i) all.push_back(i);
            d = all.data();
            nd = static_cast<int>(all.size());
        }
        auto ds = dims(d, nd);
        const bool k = keepdim;
        switch (op) {
        case CT_SUM: return wrap(x.sum(ds, k));
        case CT_MEAN: return wrap(x.mean(ds, k));
        case CT_AMAX: return wrap(x.amax(ds, k));
        case CT_AMIN: return wrap(x.amin(ds, k));
        case CT_PROD: {
            at::Tensor r = x;
            std::vector<int64_t> sorted(ds.begin(), ds.end());
            for (auto &v : sorted) if (v < 0) v += x.dim();
            std::sort(sorted.rbegin(), sorted.rend());
            for (auto v : sorted) r = r.prod(v, k);
            return wrap(r);
        }
        case CT_VAR: return wrap(x.var(ds, false, k));
        case CT_STD: return wrap(x.std(ds, false, k));
        }
        throw std::invalid_argument("unknown reduction " + std::to_string(static_cast<int>(op)));
    })
}

ct_tensor *ct_argext(const ct_tensor *a, int64_t dim, bool keepdim, bool is_max) {
    CT_GUARD(nullptr, {
        c10::optional<int64_t> d = dim < -64 ? c10::nullopt : c10::optional<int64_t>(dim);
        return wrap(is_max ? a->t.argmax(d, keepdim) : a->t.argmin(d, keepdim));
    })
}

int ct_topk(const ct_tensor *a, int64_t k, int64_t dim, bool largest, bool sorted, ct_tensor **v, ct_tensor **i) {
    CT_GUARD(-1, {
        reset_outs({v, i});
        auto r = a->t.topk(k, dim, largest, sorted);
        auto h = hold({std::get<0>(r), std::get<1>(r)});
        *v = h[0].release();
        *i = h[1].release();
        return 0;
    })
}

int ct_sort(const ct_tensor *a, int64_t dim, bool descending, ct_tensor **v, ct_tensor **i) {
    CT_GUARD(-1, {
        reset_outs({v, i});
        auto r = a->t.sort(dim, descending);
        auto h = hold({std::get<0>(r), std::get<1>(r)});
        *v = h[0].release();
        *i = h[1].release();
        return 0;
    })
}

int ct_svd(const ct_tensor *a, ct_tensor **u, ct_tensor **s, ct_tensor **vh) {
    CT_GUARD(-1, {
        reset_outs({u, s, vh});
        auto r = at::linalg_svd(a->t, /*full_matrices=*/false);
        auto h = hold({std::get<0>(r), std::get<1>(r), std::get<2>(r)});
        *u = h[0].release();
        *s = h[1].release();
        *vh = h[2].release();
        return 0;
    })
}

// ---------- nn ----------

ct_tensor *ct_conv2d(const ct_tensor *x, const ct_tensor *w, const ct_tensor *b, const int64_t *stride,
                     const int64_t *padding, const int64_t *dilation, int64_t groups) {
    CT_GUARD(nullptr, {
        return wrap(at::conv2d(x->t, w->t, opt(b), dims(stride, 2), dims(padding, 2), dims(dilation, 2), groups));
    })
}

ct_tensor *ct_batch_norm(const ct_tensor *x, const ct_tensor *w, const ct_tensor *b, ct_tensor *rm, ct_tensor *rv,
                         bool training, double momentum, double eps) {
    CT_GUARD(nullptr, {
        return wrap(at::batch_norm(x->t, opt(w), opt(b), opt(rm), opt(rv), training, momentum, eps,
                                   at::globalContext().userEnabledCuDNN()));
    })
}

ct_tensor *ct_max_pool2d(const ct_tensor *x, const int64_t *k, const int64_t *s, const int64_t *p, bool ceil_mode) {
    CT_GUARD(nullptr, return wrap(at::max_pool2d(x->t, dims(k, 2), dims(s, 2), dims(p, 2), {1, 1}, ceil_mode));)
}

ct_tensor *ct_avg_pool2d(const ct_tensor *x, const int64_t *k, const int64_t *s, const int64_t *p, bool ceil_mode,
                         bool count_include_pad) {
    CT_GUARD(nullptr, return wrap(at::avg_pool2d(x->t, dims(k, 2), dims(s, 2), dims(p, 2), ceil_mode, count_include_pad));)
}

ct_tensor *ct_adaptive_avg_pool2d(const ct_tensor *x, int64_t oh, int64_t ow) {
    CT_GUARD(nullptr, return wrap(at::adaptive_avg_pool2d(x->t, {oh, ow}));)
}

ct_tensor *ct_linear(const ct_tensor *x, const ct_tensor *w, const ct_tensor *b) {
    CT_GUARD(nullptr, return wrap(at::linear(x->t, w->t, opt(b)));)
}

ct_tensor *ct_softmax(const ct_tensor *x, int64_t dim, bool log) {
    CT_GUARD(nullptr, return wrap(log ? at::log_softmax(x->t, dim) : at::softmax(x->t, dim));)
}

ct_tensor *ct_cross_entropy(const ct_tensor *logits, const ct_tensor *target, double smoothing, ct_reduction r) {
    CT_GUARD(nullptr, return wrap(at::cross_entropy_loss(logits->t, target->t, {}, reduction(r), -100, smoothing));)
}

ct_tensor *ct_interpolate(const ct_tensor *x, int64_t oh, int64_t ow, ct_interp_mode mode, bool has_align_corners,
                          bool align_corners) {
    CT_GUARD(nullptr, {
        namespace F = torch::nn::functional;
        auto o = F::InterpolateFuncOptions().size(std::vector<int64_t>{oh, ow});
        switch (mode) {
        case CT_NEAREST: o.mode(torch::kNearest); break;
        case CT_BILINEAR: o.mode(torch::kBilinear); break;
        case CT_BICUBIC: o.mode(torch::kBicubic); break;
        case CT_AREA: o.mode(torch::kArea); break;
        default: throw std::invalid_argument("unknown interpolation mode " + std::to_string(static_cast<int>(mode)));
        }
        if (has_align_corners) o.align_corners(align_corners);
        return wrap(F::interpolate(x->t, o));
    })
}

ct_tensor *ct_pad(const ct_tensor *x, const int64_t *pads, int n, ct_pad_mode mode, double value) {
    CT_GUARD(nullptr, {
        namespace F = torch::nn::functional;
        if (n < 0) throw std::invalid_argument("negative pad count");
        auto o = F::PadFuncOptions(std::vector<int64_t>(pads, pads + n));
        switch (mode) {
        case CT_PAD_CONSTANT: o.mode(torch::kConstant).value(value); break;
        case CT_PAD_REFLECT: o.mode(torch::kReflect); break;
        case CT_PAD_REPLICATE: o.mode(torch::kReplicate); break;
        default: throw std::invalid_argument("unknown pad mode " + std::to_string(static_cast<int>(mode)));
        }
        return wrap(F::pad(x->t, o));
    })
}

// ---------- in place ----------

int ct_inplace(ct_inplace_op op, ct_tensor *a, const ct_tensor *b, const ct_tensor *c, double alpha_value) {
    CT_GUARD(-1, {
        at::Tensor &x = a->t;
        // Integral tensors take an integral alpha.
        at::Scalar alpha = x.is_floating_point() ? at::Scalar(alpha_value) : at::Scalar(static_cast<int64_t>(alpha_value));
        switch (op) {
        case CT_IP_ADD: x.add_(b->t, alpha); return 0;
        case CT_IP_MUL: x.mul_(b->t); return 0;
        case CT_IP_COPY: x.copy_(b->t); return 0;
        case CT_IP_ADDCMUL: x.addcmul_(b->t, c->t, alpha); return 0;
        case CT_IP_ADDCDIV: x.addcdiv_(b->t, c->t, alpha); return 0;
        case CT_IP_LERP: x.lerp_(b->t, alpha_value); return 0;
        }
        throw std::invalid_argument("unknown in-place op " + std::to_string(static_cast<int>(op)));
    })
}

int ct_inplace_scalar(ct_tensor *a, double s, ct_inplace_scalar_op op) {
    CT_GUARD(-1, {
        switch (op) {
        case CT_IP_SCALE: a->t.mul_(s); return 0;
        case CT_IP_FILL: a->t.fill_(s); return 0;
        }
        throw std::invalid_argument("unknown scalar in-place op " + std::to_string(static_cast<int>(op)));
    })
}

int ct_init(ct_tensor *a, ct_init_kind kind, double p, double q) {
    CT_GUARD(-1, {
        at::NoGradGuard g;
        switch (kind) {
        case CT_INIT_UNIFORM: a->t.uniform_(p, q); return 0;
        case CT_INIT_NORMAL: a->t.normal_(p, q); return 0;
        }
        throw std::invalid_argument("unknown initialiser " + std::to_string(static_cast<int>(kind)));
    })
}

// ---------- autograd ----------

int ct_set_requires_grad(ct_tensor *t, bool r) { CT_GUARD(-1, { t->t.set_requires_grad(r); return 0; }) }
int ct_requires_grad(const ct_tensor *t) { CT_GUARD(-1, return t->t.requires_grad() ? 1 : 0;) }

int ct_grad(const ct_tensor *t, ct_tensor **out) {
    CT_GUARD(-1, {
        reset_outs({out});
        const at::Tensor &g = t->t.grad();
        if (g.defined()) *out = wrap(g);
        return 0;
    })
}

int ct_zero_grad(ct_tensor *t) {
    CT_GUARD(-1, {
        auto &g = t->t.mutable_grad();
        if (g.defined()) g = at::Tensor();
        return 0;
    })
}

int ct_backward(const ct_tensor *t, const ct_tensor *grad, bool retain) {
    CT_GUARD(-1, {
        t->t.backward(grad ? grad->t : at::Tensor(), retain ? c10::optional<bool>(true) : c10::nullopt);
        return 0;
    })
}

int ct_autograd_grad(ct_tensor *const *outputs, int n_out, ct_tensor *const *grad_outputs, ct_tensor *const *inputs,
                     int n_in, bool retain, bool create, ct_tensor **out) {
    CT_GUARD(-1, {
        if (n_in < 0 || (n_in > 0 && !out)) throw std::invalid_argument("bad out array");
        for (int i = 0; i < n_in; ++i) out[i] = nullptr;
        auto outs = tensors(outputs, n_out);
        auto ins = tensors(inputs, n_in);
        std::vector<at::Tensor> gouts;
        if (grad_outputs) gouts = tensors(grad_outputs, n_out);
        auto gs = torch::autograd::grad(outs, ins, gouts, retain ? c10::optional<bool>(true) : c10::nullopt, create,
                                        /*allow_unused=*/true);
        if (gs.size() != ins.size()) throw std::logic_error("autograd returned the wrong number of gradients");
        for (size_t i = 0; i < gs.size(); ++i)
            if (!gs[i].defined()) gs[i] = at::zeros_like(ins[i]);
        auto h = hold(std::move(gs));
        for (int i = 0; i < n_in; ++i) out[i] = h[i].release();
        return 0;
    })
}

int ct_set_grad_enabled(bool enabled) {
    CT_GUARD(-1, {
        bool prev = at::GradMode::is_enabled();
        at::GradMode::set_enabled(enabled);
        return prev ? 1 : 0;
    })
}

int ct_is_grad_enabled(void) { CT_GUARD(-1, return at::GradMode::is_enabled() ? 1 : 0;) }

void *ct_inference_mode_enter(bool enabled) { CT_GUARD(nullptr, return new c10::InferenceMode(enabled);) }
void ct_inference_mode_exit(void *guard) { delete static_cast<c10::InferenceMode *>(guard); }

// ---------- runtime ----------

int ct_manual_seed(uint64_t seed) {
    CT_GUARD(-1, {
        torch::manual_seed(seed);
        return 0;
    })
}

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CT_ADDRESS_SANITIZER 1
#endif
#endif

int ct_retain_freed_memory(void) {
    CT_GUARD(-1, {
#if defined(CT_ADDRESS_SANITIZER) || defined(__SANITIZE_ADDRESS__)
        // Under AddressSanitizer (make test-asan) malloc is ASan's: glibc's settings do not apply
        // and its mallopt refuses them, which would fail every command.
        return 0;
#elif defined(__GLIBC__)
        // M_MMAP_MAX 0: large blocks come from the heap and are reused; the trim threshold keeps
        // the heap's top instead of returning it to the kernel after every forward.
        if (mallopt(M_MMAP_MAX, 0) != 1 || mallopt(M_TRIM_THRESHOLD, 0x7fffffff) != 1)
            throw std::runtime_error("glibc refused the allocator settings (mallopt)");
        return 0;
#else
        throw std::runtime_error("allocator tuning needs glibc");
#endif
    })
}

int ct_set_num_threads(int n) {
    CT_GUARD(-1, {
        if (n < 1) throw std::invalid_argument("thread count must be at least 1");
        at::set_num_threads(n);
        return 0;
    })
}

int ct_get_num_threads(void) { CT_GUARD(-1, return at::get_num_threads();) }

int64_t ct_rng_state(uint8_t *out, int64_t cap) {
    CT_GUARD(-1, {
        auto gen = at::detail::getDefaultCPUGenerator();
        std::lock_guard<std::mutex> lock(gen.mutex());
        auto st = gen.get_state();
        int64_t n = st.numel();
        if (out && cap >= n) std::memcpy(out, st.data_ptr(), static_cast<size_t>(n));
        return n;
    })
}

int ct_set_rng_state(const uint8_t *state, int64_t len) {
    CT_GUARD(-1, {
        auto gen = at::detail::getDefaultCPUGenerator();
        auto st = at::empty({len}, at::TensorOptions().dtype(at::kByte));
        std::memcpy(st.data_ptr(), state, static_cast<size_t>(len));
        std::lock_guard<std::mutex> lock(gen.mutex());
        gen.set_state(st);
        return 0;
    })
}

}  // extern "C"
