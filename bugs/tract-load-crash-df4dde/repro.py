"""tract fails to load a valid model: Einsum on float32 (opset 28)

ONNX Runtime, ONNX Runtime with graph optimizations disabled run the same model correctly. Found with onnx 1.23.2, tract 0.23.9.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 14,
   opset_import: ["" : 28]
>
repro (float[3,5,2,2] x1) => (float[3,5,2,1] out0) 
   <float[3,5,2,1] t1 =  {1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1}>
{
   out0 = Einsum <equation: string = "afee,afeb->afeb"> (x1, t1)
}
''')
INPUTS = {'x1': np.array([[[[-0.24073989689350128, -0.986885130405426], [0.22452932596206665, -1.9070343971252441]], [[-1.4464765787124634, 0.6869711875915527], [1.9686707258224487, 0.16663886606693268]], [[-0.7966100573539734, 0.1588289439678192], [-1.6811168193817139, 0.7368472218513489]], [[-1.351412296295166, -0.9196756482124329], [0.22109867632389069, 0.5471276640892029]], [[-0.16108383238315582, 0.9206643104553223], [-1.6424274444580078, 0.12972503900527954]]], [[[1.6043992042541504, -0.7761276364326477], [-0.7611160278320312, -1.0054303407669067]], [[-1.820694923400879, -0.9074836373329163], [-0.9601148962974548, -1.4508458375930786]], [[-1.7237060070037842, -0.4442814886569977], [-0.8322939276695251, 0.32405248284339905]], [[1.949670433998108, -0.1698221117258072], [-1.2392165660858154, 1.8437821865081787]], [[1.145836353302002, 0.07381925731897354], [1.2337148189544678, 0.7070491909980774]]], [[[1.6112785339355469, 1.874257206916809], [-1.1616896390914917, 0.45065420866012573]], [[0.8445720076560974, -1.3020920753479004], [-0.04761344566941261, -1.7550122737884521]], [[1.8303453922271729, 1.9184973239898682], [-0.5330772399902344, -0.5165649056434631]], [[-0.46283209323883057, -1.5334619283676147], [-0.11760538071393967, 1.8269308805465698]], [[0.803200900554657, -0.862718939781189], [-0.6427006721496582, -1.0253971815109253]]]], dtype=np.float32)}

def run_model(model_bytes, feeds):
    import os, tempfile
    import tract
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "model.onnx"), "wb") as f:
            f.write(model_bytes)
        runnable = tract.onnx().load(os.path.join(d, "model.onnx")).into_model().into_runnable()
    return [t.to_numpy() for t in runnable.run(list(feeds.values()))]


def main():
    try:
        actual = run_model(MODEL.SerializeToString(), INPUTS)
    except Exception as e:
        print('tract raises', type(e).__name__, str(e)[:2000])
        return 1 if 'Condition failed: `shapes.iter().enumerate().all(|(ix, fact)| fact.len() ==' in f'{type(e).__name__}: {e}' else 2
    print('tract runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
