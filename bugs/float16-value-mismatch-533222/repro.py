"""onnxconverter-common's float16 conversion's output computes wrong values on ONNX Runtime with graph optimizations disabled: Conv -> Mul -> Cast -> QuantizeLinear -> DequantizeLinear on float32 (opset 20)

The model passes on ONNX Runtime with graph optimizations disabled before onnxconverter-common's float16 conversion and fails after it: every runtime that ran the model fails on it (ONNX Runtime with graph optimizations disabled, the ONNX reference evaluator (onnx.reference)). Found with onnx 1.23.2, onnxconverter-common 1.16.0, onnxruntime 1.32.0.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 9,
   opset_import: ["" : 20]
>
repro (float[4,2,2,3] x1) => (float[4,1,2,3] out0) 
   <float[1,2,1,1] t1 =  {-1.0649916,0.05610725}, float t2 =  {1}, float[2] t3 =  {0.13400689,0.44955546}, int32[2] t4 =  {96,45}>
{
   t5 = Conv <kernel_shape: ints = [1, 1], pads: ints = [0, 0, 0, 0], strides: ints = [1, 1]> (x1, t1)
   t6 = Mul (t5, t2)
   t7 = Cast <to: int = 2> (t4)
   t8 = QuantizeLinear <axis: int = 2> (t6, t3, t7)
   out0 = DequantizeLinear <axis: int = 2> (t8, t3, t7)
}
''')
INPUTS = {'x1': np.array([[[[-1.3447864055633545, 0.7418193817138672, 1.732119083404541], [-1.4839091300964355, -0.3831544816493988, 1.2891682386398315]], [[0.04197021201252937, 1.9450647830963135, 0.545280933380127], [-1.7878060340881348, 0.14390790462493896, -1.1897212266921997]]], [[[1.1555503606796265, 1.5549919605255127, -1.1869045495986938], [-1.4805524349212646, -1.0430506467819214, -1.0342456102371216]], [[0.3847973644733429, -1.5301462411880493, 1.0078092813491821], [1.25523841381073, -1.151140809059143, 1.1072723865509033]]], [[[1.554000735282898, -1.3764764070510864, -0.8557465076446533], [1.4651203155517578, 0.43017101287841797, 1.7841976881027222]], [[1.7340705394744873, 1.39967942237854, 1.9665822982788086], [-0.22339966893196106, -0.7253223061561584, -1.931766152381897]]], [[[-1.9098825454711914, -0.4279123842716217, 0.3755192160606384], [-1.4676038026809692, 0.28915852308273315, -0.23590309917926788]], [[-0.2911766767501831, -1.625173568725586, 1.8738842010498047], [-0.818074643611908, 1.3934435844421387, 1.2835050821304321]]]], dtype=np.float32)}
EXPECTED = [np.array([[[[1.4740757942199707, -0.6700344085693359, -1.876096487045288], [1.3486664295196533, 0.4495554566383362, -1.3486664295196533]]], [[[-1.2060619592666626, -1.7420895099639893, 1.3400688171386719], [1.7982218265533447, 0.8991109132766724, 1.3486664295196533]]], [[[-1.60808265209198, 1.60808265209198, 1.0720551013946533], [-1.3486664295196533, -0.4495554566383362, -1.7982218265533447]]], [[[2.010103225708008, 0.402020663022995, -0.26801377534866333], [1.3486664295196533, -0.4495554566383362, 0.4495554566383362]]]], dtype=np.float32)]  # the exact result, rounded to the output type

def transform_model(model_bytes, opset):
    import onnx
    from onnxconverter_common import float16
    model = onnx.load_model_from_string(model_bytes)
    return float16.convert_float_to_float16(model, keep_io_types=True).SerializeToString()


def run_model(model_bytes, feeds):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])
    return session.run(None, {i.name: feeds[i.name] for i in session.get_inputs()})


def main():
    model = MODEL.SerializeToString()
    model = transform_model(model, 20)
    actual = run_model(model, INPUTS)
    if len(actual) != len(EXPECTED):  # another failure than the values filed
        raise RuntimeError(f'{len(actual)} outputs, expected {len(EXPECTED)}')
    try:  # numpy's report says what differs (EXPECTED is its DESIRED)
        for a, e in zip(actual, EXPECTED):
            np.testing.assert_allclose(a, e, rtol=0.02, atol=0.02 * np.nan_to_num(np.abs(e.astype(float)), nan=0, posinf=0).mean(), strict=False)
    except AssertionError as e:
        print(e)
        return 1
    print('outputs as expected: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
