"""Which ops every runtime computes exactly, and which round in several steps inside: the rules by
which the ground truth's inner sensitivity (fuzzer.run.eager) nudges an op's result, and its
operands, to stand for a runtime's rounding (the oracle's tolerance, and the ties it leaves
unjudged)."""
from __future__ import annotations

#: ONNX ops that move or pick values without computing new ones: every runtime gives them exactly,
#: so their results are left alone. Two copies of one value (argmax of cat([x, x])) are a tie the
#: spec breaks (the first index), which is judged
EXACT_OPS = frozenset({
    "Identity", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Transpose", "Concat", "Split", "Slice", "Tile", "Expand",
    "Gather", "GatherElements", "GatherND", "ScatterElements", "ScatterND", "Pad", "DepthToSpace", "SpaceToDepth",
    "Compress", "Trilu", "Where", "Max", "Min", "Clip", "Relu", "Abs", "Neg", "ReduceMax", "ReduceMin", "MaxPool",
    "GlobalMaxPool", "Shape", "Size", "ReverseSequence", "CenterCropPad", "SplitToSequence",
    "SequenceAt", "SequenceConstruct", "ConcatFromSequence", "Optional", "OptionalGetElement"})

#: the same for the torch ops of OpInfo specs, whose ONNX lowering is the exporter's to choose
#: (camp40's fix first nudged them all: flatten(x) != x of a 0-d x was no longer judged, and ONNX
#: Runtime's float16 Unique folder 6dddb1 with it)
EXACT_TORCH = frozenset({
    "abs", "absolute", "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d", "adjoint", "alias_copy",
    "amax", "amin", "aminmax", "as_strided_copy", "atleast_1d", "atleast_2d", "atleast_3d", "block_diag",
    "broadcast_tensors", "broadcast_to", "cartesian_prod", "channel_shuffle", "chunk", "clamp", "clamp_max",
    "clamp_min", "clip", "clone", "constant_pad_nd", "copysign", "diag", "diag_embed", "diagflat", "diagonal",
    "diagonal_copy", "diagonal_scatter", "expand", "expand_as", "expand_copy", "fill", "flatten", "flip", "fliplr",
    "flipud", "fmax", "fmin", "full_like", "gather", "hardtanh", "im2col", "index_copy", "index_fill", "index_select",
    "masked_fill", "masked_scatter", "max", "max_pool1d", "max_pool2d", "max_pool3d", "max_unpool2d", "max_unpool3d",
    "maximum", "meshgrid", "mH", "min", "minimum", "moveaxis", "movedim", "narrow", "narrow_copy", "neg", "negative",
    "new_full", "new_ones", "new_zeros", "ones_like", "pad", "permute", "permute_copy", "pixel_shuffle",
    "pixel_unshuffle", "ravel", "relu", "relu6", "repeat", "reshape", "reshape_as", "roll", "rot90", "scatter",
    "select", "select_scatter", "split", "split_with_sizes", "split_with_sizes_copy", "squeeze", "squeeze_copy",
    "swapaxes", "swapdims", "t", "t_copy", "take", "take_along_dim", "threshold", "tile", "transpose",
    "transpose_copy", "tril", "triu", "unbind", "unbind_copy", "unflatten", "unfold", "unfold_copy", "unsafe_chunk",
    "unsafe_split", "unsqueeze", "unsqueeze_copy", "view", "view_as", "view_copy", "where", "zero", "zeros_like"})

#: ONNX ops a kernel computes in several rounding steps (a sum, then a division; products summed):
#: their operands are nudged too, as a backward-stable kernel is the exact op on operands an ulp
#: off. An op that rounds once (Add, Sub, Exp) is its rounded result, which the result's own nudge
#: covers: nudging its operands would pull exact copies apart (relu(x) - x is exactly 0 on every
#: runtime, the maintainer review of this rule)
MULTI_STEP_OPS = frozenset({
    "ReduceMean", "ReduceSum", "ReduceSumSquare", "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp",
    "ReduceProd", "MatMul", "Gemm", "Conv", "ConvTranspose", "Softmax", "LogSoftmax", "LayerNormalization",
    "RMSNormalization", "BatchNormalization", "InstanceNormalization", "GroupNormalization", "MeanVarianceNormalization",
    "LpNormalization", "Einsum", "CumSum", "Attention", "RNN", "GRU", "LSTM", "AveragePool", "GlobalAveragePool",
    "LpPool", "GlobalLpPool", "DFT", "STFT"})

#: the same for the torch ops of OpInfo specs
MULTI_STEP_TORCH = frozenset({
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d", "addbmm", "addmm", "addmv", "avg_pool1d",
    "avg_pool2d", "avg_pool3d", "baddbmm", "batch_norm", "bilinear", "binary_cross_entropy", "bmm", "cdist",
    "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "cosine_embedding_loss",
    "cosine_similarity", "cross_entropy", "cumprod", "cumsum", "dist", "dot", "group_norm", "huber_loss", "inner",
    "instance_norm", "kl_div", "l1_loss", "layer_norm", "linalg_det", "linear", "log_softmax", "logcumsumexp",
    "logdet", "logsumexp", "matmul", "matrix_exp", "mean", "mm", "mse_loss", "mv", "nanmean", "nanquantile", "nansum",
    "nll_loss", "norm", "pairwise_distance", "pdist", "prod", "quantile", "renorm", "rms_norm", "smooth_l1_loss",
    "softmax", "std", "std_mean", "stft", "sum", "tensordot", "trace", "var", "var_mean", "vdot"})


def torch_op(spec) -> str | None:
    """The torch op an OpInfo spec calls ("relu" for opinfo.nn.functional.relu, "add" for an
    in-place add_), else None (a spec of onnxfuzz's own, whose ONNX lowering it writes)."""
    if not spec.name.startswith("opinfo."):
        return None
    return spec.framework_op().removeprefix("nn.functional.").rstrip("_")


def moves_result(spec) -> bool:
    """Is this op's result nudged: does it compute new values, which a runtime rounds?"""
    if spec.onnx_ops:
        return not set(spec.onnx_ops) <= EXACT_OPS
    return torch_op(spec) not in EXACT_TORCH


def moves_operands(spec, node) -> bool:
    """Are this op's operands nudged on their way in: does its kernel round in several steps
    (MULTI_STEP_OPS) to a float result? The mean inside a standard deviation of equal values, an
    ulp off, leaves the deviation an ulp from 0 however exactly the rest is computed (camp40's
    0b3781, a float16 std filed against the reference evaluator). An op with an integer result
    (TopK's indices) keeps its ties: the spec breaks them."""
    if not all(v.type.dtype.is_float for v in node.outputs):
        return False
    if spec.onnx_ops:
        return bool(set(spec.onnx_ops) & MULTI_STEP_OPS)
    return torch_op(spec) in MULTI_STEP_TORCH
