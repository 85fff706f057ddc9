"""Tensor types of the IR: a dtype and a static shape.

The IR depends on neither torch nor onnx; the materializers map these names to
each framework's own dtypes.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np


class DType(str, enum.Enum):
    float16 = "float16"
    bfloat16 = "bfloat16"
    float32 = "float32"
    float64 = "float64"
    int8 = "int8"
    uint8 = "uint8"
    int16 = "int16"
    int32 = "int32"
    int64 = "int64"
    bool = "bool"

    @property
    def is_float(self) -> bool:
        return self in FLOATS

    @property
    def is_int(self) -> bool:
        return self in INTS

    @property
    def numpy(self) -> np.dtype:
        if self is DType.bfloat16:
            import ml_dtypes

            return np.dtype(ml_dtypes.bfloat16)
        return np.dtype(self.value)

    def __str__(self) -> str:  # so f-strings and JSON show "float32", not "DType.float32"
        return self.value


def read_npz(data) -> dict[str, np.ndarray]:
    """The arrays of an .npz file (its bytes, or its path), bfloat16 ones as bfloat16: np.savez
    keeps them as raw 2-byte records, the only such records onnxfuzz writes, which torch,
    TensorFlow and a repro's literals cannot take (a bfloat16 case could not be triaged: campaign
    seed 33; nor localized: review 15)."""
    import io

    out = dict(np.load(io.BytesIO(data) if isinstance(data, (bytes, bytearray)) else data))
    for name, a in out.items():
        if a.dtype.type is np.void and a.dtype.itemsize == 2:
            out[name] = a.view(DType.bfloat16.numpy)
    return out


def numpy_of(tensor) -> np.ndarray:
    """A torch tensor as a numpy array of its own element type, bfloat16 as ml_dtypes' bfloat16
    (torch's .numpy() refuses bfloat16)."""
    import torch

    if tensor.dtype == torch.bfloat16:
        return tensor.detach().float().numpy().astype(DType.bfloat16.numpy)  # exact: every bfloat16 is a float32
    return tensor.detach().numpy()


FLOATS = frozenset({DType.float16, DType.bfloat16, DType.float32, DType.float64})
INTS = frozenset({DType.int8, DType.uint8, DType.int16, DType.int32, DType.int64})
SIGNED = frozenset(FLOATS | {DType.int8, DType.int16, DType.int32, DType.int64})


@dataclass(frozen=True)
class TensorType:
    dtype: DType
    shape: tuple[int, ...]

    def __post_init__(self):
        object.__setattr__(self, "dtype", DType(self.dtype))
        object.__setattr__(self, "shape", tuple(int(d) for d in self.shape))

    @property
    def rank(self) -> int:
        return len(self.shape)

    @property
    def numel(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    def with_shape(self, shape) -> "TensorType":
        return TensorType(self.dtype, tuple(shape))

    def with_dtype(self, dtype) -> "TensorType":
        return TensorType(DType(dtype), self.shape)

    def to_json(self) -> dict:
        return {"dtype": self.dtype.value, "shape": list(self.shape)}

    @classmethod
    def from_json(cls, data: dict) -> "TensorType":
        return cls(DType(data["dtype"]), tuple(data["shape"]))

    def __str__(self) -> str:
        return f"{self.dtype.value}[{','.join(map(str, self.shape))}]"


def broadcast_shapes(*shapes: tuple[int, ...]) -> tuple[int, ...]:
    """numpy broadcasting; raises ValueError when the shapes do not broadcast."""
    return tuple(np.broadcast_shapes(*shapes))
