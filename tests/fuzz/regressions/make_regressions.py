#!/usr/bin/python3
"""Writes preprocess/*.jpg, the edits that broke stb_image (../shared/reliability/README.md)
applied to a synthetic gradient (no dataset pixels), and spec/*.json, hostile model.json texts.
Deterministic. Run with Debian's python3-pil:
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

# spec/: model.json texts for fuzz_spec (no dataset content).
spec = os.path.join(os.path.dirname(os.path.abspath(__file__)), "spec")
os.makedirs(spec, exist_ok=True)
with open(os.path.join(spec, "deep_nesting.json"), "w") as f:
    f.write("[" * 20000 + "]" * 20000)
with open(os.path.join(spec, "invalid_utf8_class.json"), "wb") as f:
    f.write(b'{"format":"alzscan-model/1","input":{"height":64,"width":64,"channels":1,"mean":0.5,'
            b'"std":0.5,"name":"input"},"classes":["a\xff\xfe","b"]}')
with open(os.path.join(spec, "huge_sizes.json"), "w") as f:
    f.write('{"format":"alzscan-model/1","input":{"height":1e308,"width":-9223372036854775809,'
            '"channels":1,"mean":0.5,"std":0.5},"classes":["a","b"]}')
