"""Golden fixtures for the Torch module's foundation tests (Tests/Fixtures/foundation/).

Every file here is written by the Python `safetensors` package from tensors PyTorch computed, so
the Swift tests check CAMKit's own safetensors reader and its libtorch-backed ops against an
independent reference.

Regenerate (from the repository root; venv: tools/requirements-torch.txt):

    python3.11 -m venv tools/.venv && tools/.venv/bin/pip install -r tools/requirements-torch.txt && \
        tools/.venv/bin/python tools/make_foundation_fixtures.py

The outputs are deterministic for a given torch version (fixed seeds, CPU, float32/float64).

Files and the names inside them
-------------------------------

python_dtypes.safetensors + python_dtypes.json
    One tensor per safetensors dtype libtorch has (BOOL U8 I8 I16 I32 I64 F16 BF16 F32 F64),
    including extremes, infinities, NaN, -0.0 and subnormals, plus a 0-d and an empty tensor.
    Metadata: {"generator": "tools/make_foundation_fixtures.py"} (one key, so the file is
    byte-reproducible: the Python package writes metadata in hash order).
    The JSON sidecar holds, per tensor, dtype, shape and the little-endian bytes as hex, written
    with numpy independently of the safetensors package.

Op parity files (float32). Each holds tensors named "<case>.<role>" and one metadata key
(one, so files are byte-reproducible), "cases": a JSON object mapping every case name to its parameters, so the Swift tests read
what to call from the file itself. Roles are listed per file.

conv2d.safetensors        F.conv2d                     input, weight, [bias], output
                          params: stride, padding, dilation, groups, bias (bool)
batch_norm.safetensors    F.batch_norm                 input, [weight, bias], running_mean, running_var,
                                                       output, and in train mode running_mean_after,
                                                       running_var_after (momentum and eps in params)
pooling.safetensors       relu, F.max_pool2d, F.adaptive_avg_pool2d
                          params: op ("relu" | "max_pool2d" | "adaptive_avg_pool2d"), kernel, stride,
                          padding, ceil_mode, output_size; roles input, output
linear.safetensors        F.linear                     input, weight, [bias], output
softmax.safetensors       F.softmax / F.log_softmax    input, output; params: op, dim
cross_entropy.safetensors F.cross_entropy              logits, target (I64), output, and grad (d loss /
                                                       d logits) for mean/sum; params: label_smoothing,
                                                       reduction
interpolate.safetensors   F.interpolate(size=...)      input, output; params: mode, size, align_corners
                                                       (null when the mode takes none)
pad.safetensors           F.pad                        input, output; params: pads, mode, value
grad.safetensors          a small conv net, loss = cross entropy (mean):
                          conv(3->4, 3x3, pad 1) -> relu -> max_pool 2 -> conv(4->6, 3x3, pad 1) -> relu
                          -> global average pool -> linear(6->5)
                          tensors: input, target, conv1.weight, conv1.bias, conv2.weight, conv2.bias,
                          fc.weight, fc.bias, loss, grad_input (autograd.grad wrt input) and grad_act
                          (wrt the second conv's output, before its relu), both from one autograd.grad.

optim.safetensors         torch.optim steps on fixed weights and gradients (two steps each, so the
                          momentum / moment buffers are exercised):
                          sgd.<param>            initial values ("w" [4, 3], "b" [4])
                          sgd.grad1.<param>, sgd.grad2.<param>      gradients fed to step 1 and step 2
                          sgd_momentum.step1.<param>, .step2.<param>, .momentum_buffer.<param>
                              SGD(lr=0.1, momentum=0.9, weight_decay=1e-4)
                          sgd_nesterov.step1.<param>, .step2.<param>, .momentum_buffer.<param>
                              SGD(lr=0.1, momentum=0.9, dampening=0, weight_decay=1e-4, nesterov=True)
                          adamw.step1.<param>, .step2.<param>, .exp_avg.<param>, .exp_avg_sq.<param>
                              AdamW(lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
                          The hyper-parameters are also in the metadata key "cases".
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file

OUT = Path(__file__).resolve().parent.parent / "Tests" / "Fixtures" / "foundation"
GENERATOR = {"generator": "tools/make_foundation_fixtures.py"}


def le_bytes_hex(t: torch.Tensor) -> str:
    """Row-major little-endian bytes of `t`, via numpy (bfloat16 through its int16 bit pattern)."""
    t = t.contiguous()
    if t.dtype == torch.bfloat16:
        arr = t.view(torch.int16).numpy()
    else:
        arr = t.numpy()
    return arr.astype(arr.dtype.newbyteorder("<")).tobytes().hex()


# ---------------------------------------------------------------- safetensors dtypes


def python_dtypes() -> None:
    inf, nan = float("inf"), float("nan")
    tensors = {
        "bool": torch.tensor([[True, False, True], [False, False, True]]),
        "u8": torch.tensor([0, 1, 127, 128, 254, 255], dtype=torch.uint8),
        "i8": torch.tensor([-128, -1, 0, 1, 127, 5], dtype=torch.int8),
        "i16": torch.tensor([-32768, -1, 0, 1, 32767, 1234], dtype=torch.int16),
        "i32": torch.tensor([-(2**31), -1, 0, 1, 2**31 - 1, 123456789], dtype=torch.int32),
        "i64": torch.tensor([-(2**63), -1, 0, 1, 2**63 - 1, 1234567890123456789], dtype=torch.int64),
        "f16": torch.tensor([0.0, -0.0, 1.5, -2.25, 65504.0, inf, -inf, nan, 6e-8, 0.1], dtype=torch.float16),
        "bf16": torch.tensor([0.0, -0.0, 1.5, -2.25, 3.0e38, inf, -inf, nan, 1e-40, 0.1], dtype=torch.bfloat16),
        # f32 values are exact: k * 0.25 - 3 for k = 0..23, in shape [2, 3, 4]
        "f32": (torch.arange(24, dtype=torch.float32) * 0.25 - 3).reshape(2, 3, 4),
        "f32_special": torch.tensor([-0.0, inf, -inf, nan, 1e-45, 3.4028235e38, 0.1], dtype=torch.float32),
        "f64": torch.tensor([np.pi, -np.e, 1e-300, 1e300, -0.0, inf, nan, 5e-324], dtype=torch.float64),
        "scalar": torch.tensor(1.5, dtype=torch.float32),
        "empty": torch.zeros(0, 3, dtype=torch.float32),
    }
    save_file(tensors, OUT / "python_dtypes.safetensors", metadata=GENERATOR)
    sidecar = {
        name: {"dtype": str(t.dtype).removeprefix("torch."), "shape": list(t.shape), "hex": le_bytes_hex(t)}
        for name, t in tensors.items()
    }
    (OUT / "python_dtypes.json").write_text(json.dumps(sidecar, indent=1, sort_keys=True) + "\n")


# ---------------------------------------------------------------- op parity

F = torch.nn.functional


class Cases:
    """Collects "<case>.<role>" tensors and per-case parameters for one file."""

    def __init__(self, filename: str):
        self.filename = filename
        self.tensors: dict[str, torch.Tensor] = {}
        self.params: dict[str, dict] = {}

    def add(self, case: str, params: dict, **tensors: torch.Tensor | None) -> None:
        assert case not in self.params, case
        self.params[case] = params
        for role, t in tensors.items():
            if t is not None:
                self.tensors[f"{case}.{role}"] = t.detach().contiguous().clone()

    def save(self) -> None:
        # A single metadata key: the Python package writes several in hash order (not reproducible).
        save_file(self.tensors, OUT / self.filename, metadata={"cases": json.dumps(self.params, sort_keys=True)})


def randn(*shape: int, scale: float = 1.0, shift: float = 0.0) -> torch.Tensor:
    return torch.randn(*shape, dtype=torch.float32) * scale + shift


def conv2d() -> None:
    c = Cases("conv2d.safetensors")
    specs = [
        # name, input shape, weight shape, stride, padding, dilation, groups, bias
        ("basic", (2, 4, 9, 8), (6, 4, 3, 3), (1, 1), (0, 0), (1, 1), 1, True),
        ("stride2_pad1", (2, 4, 9, 8), (6, 4, 3, 3), (2, 2), (1, 1), (1, 1), 1, True),
        ("asymmetric_no_bias", (1, 3, 10, 7), (5, 3, 3, 2), (2, 1), (0, 2), (1, 1), 1, False),
        ("dilated", (1, 4, 11, 11), (4, 4, 3, 3), (1, 1), (2, 2), (2, 2), 1, True),
        ("grouped", (2, 4, 7, 7), (6, 2, 3, 3), (1, 1), (1, 1), (1, 1), 2, False),
        ("depthwise_stride2", (1, 4, 9, 9), (8, 1, 3, 3), (2, 2), (1, 1), (1, 1), 4, True),
        ("pointwise", (2, 16, 5, 5), (8, 16, 1, 1), (1, 1), (0, 0), (1, 1), 1, True),
        ("strided_dilated_grouped", (1, 6, 13, 12), (6, 3, 3, 3), (2, 3), (1, 2), (2, 1), 2, True),
    ]
    for name, xs, ws, stride, padding, dilation, groups, has_bias in specs:
        x, w = randn(*xs), randn(*ws, scale=0.3)
        b = randn(ws[0]) if has_bias else None
        y = F.conv2d(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups)
        c.add(name, {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups, "bias": has_bias},
              input=x, weight=w, bias=b, output=y)
    c.save()


def batch_norm() -> None:
    c = Cases("batch_norm.safetensors")
    for name, training, affine, eps, momentum in [
        ("train", True, True, 1e-5, 0.1),
        ("train_no_affine", True, False, 1e-5, 0.1),
        ("eval", False, True, 1e-5, 0.1),
        ("eval_keras_eps", False, True, 1.001e-5, 0.1),
    ]:
        x = randn(4, 3, 5, 5, scale=2.0, shift=0.7)
        w, b = (randn(3, scale=0.5, shift=1.0), randn(3)) if affine else (None, None)
        rm, rv = randn(3, scale=0.2), torch.rand(3) + 0.5
        rm_after, rv_after = rm.clone(), rv.clone()
        y = F.batch_norm(x, rm_after, rv_after, w, b, training=training, momentum=momentum, eps=eps)
        roles = dict(input=x, weight=w, bias=b, running_mean=rm, running_var=rv, output=y)
        if training:
            roles.update(running_mean_after=rm_after, running_var_after=rv_after)
        c.add(name, {"training": training, "affine": affine, "eps": eps, "momentum": momentum}, **roles)
    c.save()


def pooling() -> None:
    c = Cases("pooling.safetensors")
    x = randn(2, 3, 6, 7)
    c.add("relu", {"op": "relu"}, input=x, output=F.relu(x))
    for name, shape, kernel, stride, padding, ceil in [
        ("max_k2", (2, 3, 8, 8), (2, 2), (2, 2), (0, 0), False),
        ("max_k3_s2_p1", (2, 3, 9, 9), (3, 3), (2, 2), (1, 1), False),
        ("max_k3_s2_ceil", (1, 2, 8, 8), (3, 3), (2, 2), (0, 0), True),
        ("max_k2_s2_ceil_odd", (1, 2, 7, 5), (2, 2), (2, 2), (0, 0), True),
        ("max_asymmetric_ceil", (1, 2, 7, 9), (3, 2), (2, 1), (1, 0), True),
    ]:
        x = randn(*shape)
        y = F.max_pool2d(x, kernel, stride, padding, ceil_mode=ceil)
        c.add(name, {"op": "max_pool2d", "kernel": kernel, "stride": stride, "padding": padding, "ceil_mode": ceil},
              input=x, output=y)
    for name, shape, out in [
        ("adaptive_global", (2, 3, 7, 7), (1, 1)),
        ("adaptive_overlapping", (2, 3, 7, 7), (3, 3)),
        ("adaptive_uneven", (1, 2, 5, 6), (2, 4)),
        ("adaptive_upsampling", (1, 2, 3, 4), (5, 7)),
    ]:
        x = randn(*shape)
        c.add(name, {"op": "adaptive_avg_pool2d", "output_size": out}, input=x, output=F.adaptive_avg_pool2d(x, out))
    c.save()


def linear() -> None:
    c = Cases("linear.safetensors")
    for name, xs, out, has_bias in [("bias", (5, 7), 3, True), ("no_bias", (5, 7), 3, False), ("batched_3d", (2, 4, 7), 6, True)]:
        x, w = randn(*xs), randn(out, xs[-1], scale=0.4)
        b = randn(out) if has_bias else None
        c.add(name, {"bias": has_bias}, input=x, weight=w, bias=b, output=F.linear(x, w, b))
    c.save()


def softmax() -> None:
    c = Cases("softmax.safetensors")
    for op, fn in [("softmax", F.softmax), ("log_softmax", F.log_softmax)]:
        for name, shape, dim, scale in [("rows", (4, 10), 1, 1.0), ("columns", (4, 10), 0, 1.0),
                                        ("last_3d", (2, 3, 5), -1, 1.0), ("large_logits", (3, 6), 1, 40.0)]:
            x = randn(*shape, scale=scale)
            c.add(f"{op}_{name}", {"op": op, "dim": dim}, input=x, output=fn(x, dim=dim))
    c.save()


def cross_entropy() -> None:
    c = Cases("cross_entropy.safetensors")
    logits = randn(6, 5, scale=2.0)
    target = torch.tensor([0, 4, 2, 2, 1, 3], dtype=torch.int64)
    for smoothing in (0.0, 0.1):
        for reduction in ("none", "mean", "sum"):
            x = logits.clone().requires_grad_(True)
            loss = F.cross_entropy(x, target, label_smoothing=smoothing, reduction=reduction)
            grad = None
            if reduction != "none":
                (grad,) = torch.autograd.grad(loss, x)
            name = f"ls{smoothing:g}_{reduction}".replace(".", "p")
            c.add(name, {"label_smoothing": smoothing, "reduction": reduction},
                  logits=logits, target=target, output=loss, grad=grad)
    c.save()


def interpolate() -> None:
    c = Cases("interpolate.safetensors")
    x = randn(1, 2, 5, 6)
    up, down = (9, 13), (3, 4)
    for mode in ("nearest", "bilinear", "bicubic", "area"):
        corners = [False, True] if mode in ("bilinear", "bicubic") else [None]
        for ac in corners:
            for direction, size in (("up", up), ("down", down)):
                name = f"{mode}_{direction}" + ("" if ac is None else f"_ac{int(ac)}")
                y = F.interpolate(x, size=size, mode=mode, align_corners=ac)
                c.add(name, {"mode": mode, "size": size, "align_corners": ac}, input=x, output=y)
    c.save()


def pad() -> None:
    c = Cases("pad.safetensors")
    # Reflect and replicate pad 1 dim of a 2-D/3-D input or 2 dims of a 3-D/4-D one.
    for name, shape, pads, mode, value in [
        ("constant_last_dim", (1, 2, 4, 5), (1, 2), "constant", 0.0),
        ("constant_value", (1, 2, 4, 5), (1, 2, 3, 0), "constant", -1.5),
        ("reflect_3d_last_dim", (2, 3, 5), (1, 3), "reflect", 0.0),
        ("reflect", (1, 2, 4, 5), (2, 1, 1, 3), "reflect", 0.0),
        ("replicate_3d_last_dim", (2, 3, 5), (3, 0), "replicate", 0.0),
        ("replicate", (1, 2, 4, 5), (2, 1, 1, 3), "replicate", 0.0),
    ]:
        x = randn(*shape)
        y = F.pad(x, pads, mode=mode, value=value) if mode == "constant" else F.pad(x, pads, mode=mode)
        c.add(name, {"pads": pads, "mode": mode, "value": value}, input=x, output=y)
    c.save()


def grad() -> None:
    p = {
        "conv1.weight": randn(4, 3, 3, 3, scale=0.4), "conv1.bias": randn(4, scale=0.1),
        "conv2.weight": randn(6, 4, 3, 3, scale=0.3), "conv2.bias": randn(6, scale=0.1),
        "fc.weight": randn(5, 6, scale=0.5), "fc.bias": randn(5, scale=0.1),
    }
    x = randn(2, 3, 8, 8).requires_grad_(True)
    target = torch.tensor([1, 3], dtype=torch.int64)
    h = F.max_pool2d(F.relu(F.conv2d(x, p["conv1.weight"], p["conv1.bias"], padding=1)), 2)
    act = F.conv2d(h, p["conv2.weight"], p["conv2.bias"], padding=1)
    logits = F.linear(F.relu(act).mean(dim=(2, 3)), p["fc.weight"], p["fc.bias"])
    loss = F.cross_entropy(logits, target)
    grad_input, grad_act = torch.autograd.grad(loss, [x, act])
    tensors = {**p, "input": x.detach(), "target": target, "loss": loss.detach(),
               "grad_input": grad_input, "grad_act": grad_act}
    save_file({k: v.contiguous() for k, v in tensors.items()}, OUT / "grad.safetensors", metadata=GENERATOR)


def optim() -> None:
    init = {"w": randn(4, 3), "b": randn(4)}
    grads = [{"w": randn(4, 3), "b": randn(4)}, {"w": randn(4, 3), "b": randn(4)}]
    tensors = {f"sgd.{k}": v for k, v in init.items()}
    for i, g in enumerate(grads, start=1):
        tensors.update({f"sgd.grad{i}.{k}": v for k, v in g.items()})
    cases = {
        "sgd_momentum": ("SGD", dict(lr=0.1, momentum=0.9, weight_decay=1e-4)),
        "sgd_nesterov": ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.0, weight_decay=1e-4, nesterov=True)),
        "adamw": ("AdamW", dict(lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)),
    }
    for name, (kind, hyper) in cases.items():
        params = {k: v.clone().requires_grad_(True) for k, v in init.items()}
        opt = getattr(torch.optim, kind)(list(params.values()), **hyper)
        for i, g in enumerate(grads, start=1):
            for k, prm in params.items():
                prm.grad = g[k].clone()
            opt.step()
            tensors.update({f"{name}.step{i}.{k}": prm.detach().clone() for k, prm in params.items()})
        for k, prm in params.items():
            for slot, value in opt.state[prm].items():
                if slot != "step":
                    tensors[f"{name}.{slot}.{k}"] = value.clone()
    meta = {"cases": json.dumps({k: {"optimizer": kind, **v} for k, (kind, v) in cases.items()}, sort_keys=True)}
    save_file(tensors, OUT / "optim.safetensors", metadata=meta)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    torch.use_deterministic_algorithms(True)
    python_dtypes()
    for i, make in enumerate([conv2d, batch_norm, pooling, linear, softmax, cross_entropy, interpolate, pad, grad, optim]):
        torch.manual_seed(1000 + i)  # one seed per file: regenerating one family leaves the others unchanged
        make()
    for p in sorted(OUT.iterdir()):
        print(f"{p.stat().st_size:>8}  {p.relative_to(OUT.parent.parent.parent)}")


if __name__ == "__main__":
    main()
