"""Golden fixtures for the Torch module's foundation tests (Tests/Fixtures/foundation/).

Every file here is written by the Python `safetensors` package from tensors PyTorch computed, so
the Swift tests check CAMKit's own safetensors reader and its libtorch-backed ops against an
independent reference.

Regenerate (from the repository root):

    python3 -m venv tools/.venv && tools/.venv/bin/pip install torch safetensors numpy && \
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


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    torch.use_deterministic_algorithms(True)
    python_dtypes()
    for p in sorted(OUT.iterdir()):
        print(f"{p.stat().st_size:>8}  {p.relative_to(OUT.parent.parent.parent)}")


if __name__ == "__main__":
    main()
