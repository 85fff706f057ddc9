"""The dtype sets op specs accept, in one place, each named for what it holds.

The IR's dtypes are torch's (fuzzer.ir: FLOATS, INTS, SIGNED). Sets "but int16"
leave out the one integer type that ONNX Runtime (and many ONNX schemas) have few
kernels for; the ONNX-only specs, which exist to reach ONNX kernels, draw from them.

No op specs live here (the registry scans this module and finds none).
"""
from __future__ import annotations

from fuzzer.ir import FLOATS, INTS, DType

#: every float and int dtype
NUMERIC = frozenset(FLOATS | INTS)
#: every IR dtype
ALL = frozenset(NUMERIC | {DType.bool})
INTS_BUT_INT16 = frozenset(INTS - {DType.int16})
NUMERIC_BUT_INT16 = frozenset(NUMERIC - {DType.int16})
ALL_BUT_INT16 = frozenset(ALL - {DType.int16})
ALL_BUT_INT16_AND_BFLOAT16 = frozenset(ALL_BUT_INT16 - {DType.bfloat16})
#: the floats every float ONNX op takes since opset 13 (bfloat16 came later for many)
FLOATS_BUT_BFLOAT16 = frozenset(FLOATS - {DType.bfloat16})
#: what ONNX's bitwise and bit-shift ops take: ints (but int16) and bool
INTS_BUT_INT16_AND_BOOL = frozenset(INTS_BUT_INT16 | {DType.bool})
#: what the pooling ops with float-only schemas take (LpPool, MaxUnpool: no bfloat16 before 22)
HALF_SINGLE_DOUBLE = frozenset({DType.float16, DType.float32, DType.float64})
#: the integer dtypes whose decimal text the string specs work on (no int16, as elsewhere)
TEXT_INTS = frozenset({DType.int8, DType.uint8, DType.int32, DType.int64})
#: what onnx.Resize draws: floats but double and bfloat16, and the bytes nearest mode takes
RESIZE_DTYPES = frozenset({DType.float16, DType.float32, DType.uint8, DType.int8})

#: float32 alone: what the weighted-layer motifs draw (ORT's CPU Conv has no float64 kernel)
FLOAT32 = frozenset({DType.float32})
FLOAT32_64 = frozenset({DType.float32, DType.float64})
#: float32/64 and int32/64: what Min, Max, Clip, Reduce and the arithmetic ops take at every opset
#: from 13, with exact torch counterparts
FLOAT32_64_INT32_64 = frozenset({DType.float32, DType.float64, DType.int32, DType.int64})
#: the numeric dtypes every data-movement op (Transpose, Concat, Slice, Reshape...) takes from opset 13
COMMON_NUMERIC = frozenset({DType.float16, DType.float32, DType.float64, DType.int8, DType.uint8, DType.int32,
                            DType.int64})
COMMON_AND_BOOL = frozenset(COMMON_NUMERIC | {DType.bool})

__all__ = ["COMMON_AND_BOOL", "COMMON_NUMERIC", "FLOAT32", "FLOAT32_64", "FLOAT32_64_INT32_64", "HALF_SINGLE_DOUBLE", "RESIZE_DTYPES", "TEXT_INTS", "ALL", "ALL_BUT_INT16", "ALL_BUT_INT16_AND_BFLOAT16", "FLOATS_BUT_BFLOAT16", "INTS_BUT_INT16",
           "INTS_BUT_INT16_AND_BOOL", "NUMERIC", "NUMERIC_BUT_INT16"]
