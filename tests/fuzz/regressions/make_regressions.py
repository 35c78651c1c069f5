#!/usr/bin/python3
"""Writes preprocess/*.jpg: the edits that broke stb_image (../shared/reliability/README.md),
applied to a synthetic gradient (no dataset pixels). Run with Debian's python3-pil:
    /usr/bin/python3 tests/fuzz/regressions/make_regressions.py"""
import io
import os
import struct

from PIL import Image

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "preprocess")
os.makedirs(here, exist_ok=True)


def gradient(progressive):
    img = Image.new("L", (64, 64))
    img.putdata([(x * 4 + y * 3 + (x * y) % 17) % 256 for y in range(64) for x in range(64)])
    out = io.BytesIO()
    img.save(out, "JPEG", quality=85, progressive=progressive, optimize=False)
    return bytearray(out.getvalue())


def segments(jpg):
    """(marker, start, end) of each header segment before the first scan's data."""
    pos, found = 2, []
    while pos + 4 <= len(jpg) and jpg[pos] == 0xFF:
        marker, length = jpg[pos + 1], struct.unpack(">H", jpg[pos + 2:pos + 4])[0]
        found.append((marker, pos, pos + 2 + length))
        if marker == 0xDA:
            break
        pos += 2 + length
    return found


def write(name, data):
    with open(os.path.join(here, name), "wb") as f:
        f.write(bytes(data))


base = gradient(False)
dht = next(s for s in segments(base) if s[0] == 0xC4)
# A Huffman table declaring 16 x 255 code lengths (stb wrote past its size table).
bad = bytearray(base)
bad[dht[1] + 5:dht[1] + 21] = bytes([255] * 16)
write("dht_counts_overflow.jpg", bad)
# No quantisation table at all (stb read uninitialised state).
dqt = [s for s in segments(base) if s[0] == 0xDB]
no_dqt = bytearray(base)
for _, start, end in reversed(dqt):
    del no_dqt[start:end]
write("no_dqt.jpg", no_dqt)
# A progressive file whose later scans use a table that is never defined (stb overread).
prog = gradient(True)
last_dht = [s for s in segments(prog) if s[0] == 0xC4][-1]
undefined = bytearray(prog)
del undefined[last_dht[1]:last_dht[2]]
write("progressive_undefined_table.jpg", undefined)
# Cut inside the entropy-coded data.
write("truncated.jpg", base[: len(base) * 2 // 3])
