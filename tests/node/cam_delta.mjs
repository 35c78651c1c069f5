// tests/node/cam_delta.mjs: an ONNX "cam" output against `alzscan predict --cam`'s Grad-CAM maps.
//
//   const worst = camDelta(out.cam, i, predictLine.cam);   // largest |difference| for image i
//
// Each class's ONNX map is scaled here, independently of shared/cam.h: ReLU, then divided by its
// maximum (all zeros when nothing is positive); the CLI's maps arrive scaled the same way.
import assert from 'node:assert/strict';

export function camDelta(camTensor, i, native) {
  const [, classes, h, w] = camTensor.dims;
  assert.deepEqual([native.height, native.width], [h, w], 'cam map size');
  let worst = 0;
  for (let c = 0; c < classes; ++c) {
    const off = (i * classes + c) * h * w;
    const m = Array.from(camTensor.data.slice(off, off + h * w), (v) => Math.max(v, 0));
    const top = Math.max(...m);
    for (let k = 0; k < h * w; ++k)
      worst = Math.max(worst, Math.abs((top > 0 ? m[k] / top : 0) - native.maps[c * h * w + k]));
  }
  return worst;
}
