#!/usr/bin/python3
# make_t1_256.py OUT.nii[.gz]: a 1 mm 256^3 T1 with skull, as a scanner would store a head: Colin27's
# ch2 (Debian's mricron-data) resampled by nibabel + scipy onto a 256^3 grid turned 10 degrees,
# int16. The head volume of make bench-registration and make bench-web's scans table.
import sys

import nibabel as nib
import numpy as np
from scipy import ndimage

src = nib.load("/usr/share/mricron/templates/ch2.nii.gz")
data = np.asarray(src.dataobj, dtype=np.float32)
a = np.radians(10)
turn = np.array([[1, 0, 0, 0], [0, np.cos(a), -np.sin(a), 0], [0, np.sin(a), np.cos(a), 0], [0, 0, 0, 1]])
out_affine = turn @ np.array([[-1, 0, 0, 128], [0, 1, 0, -128], [0, 0, 1, -110], [0, 0, 0, 1.0]])
m = np.linalg.inv(src.affine) @ out_affine   # output voxel -> source voxel
vol = ndimage.affine_transform(data, m[:3, :3], offset=m[:3, 3], output_shape=(256, 256, 256), order=1)
nib.save(nib.Nifti1Image(np.round(vol * 16).astype(np.int16), out_affine), sys.argv[1])
