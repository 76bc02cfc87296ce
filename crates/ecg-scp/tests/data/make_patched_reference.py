#!/usr/bin/env python3
"""Reference values for the two shared SCP files BioSig cannot decode as they are.

BioSig (save2gdf, Debian biosig-tools 2.5.0) crashes on scptools_ECG_20081029_105642.scp
and refuses scpecgrw_test.scp. Both failures come from fields that do not touch the
signal data, so this script patches exactly those fields, recomputes the CRCs, runs

    save2gdf -n -f=BIN PATCHED OUT

and records, per lead, what BioSig decodes (count, sum, min, max, first 10, SHA-256 of
the samples as little-endian int32) into biosig_patched.json:

- scptools_ECG_20081029_105642.scp: the pacemaker spike count of section 7 (byte 2 of
  its data part, 14 in the file) is set to 0. Sections 2 to 6 are unchanged.
- scpecgrw_test.scp: the section 6 amplitude value multiplier (0 in the file) is set to
  1000 nV and bit 0 of the section 3 flags (reference beat subtraction, without any
  section 4 or 5) is cleared. The lead data bytes are unchanged.

Two more files decode in BioSig but with more samples per lead than the file holds
(BioSig reads on into the next lead's data): for contec_0000050_ecg_scp.scp (section 3
declares 37855 samples, section 6 stores 65534 bytes = 32767 samples per lead) and
ecgviewer_demo.scp (section 3 says 0..10000, section 6 stores 10000 samples per lead),
`prefixes` records the same statistics over the first `n` samples BioSig gives, n being
what section 6 stores (lead byte count / 2).

Usage: python3 make_patched_reference.py [shared_scp_dir]
"""
import binascii
import hashlib
import json
import os
import re
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    HERE, "..", "..", "..", "..", "..", "shared", "testdata", "scp")


def crc(b):
    return binascii.crc_hqx(b, 0xFFFF)


def sections(d):
    out = {}
    s0_len = struct.unpack_from("<I", d, 10)[0]
    for p in range(22, 6 + s0_len, 10):
        sid, length, index = struct.unpack_from("<HII", d, p)
        if length:
            out[sid] = (index - 1, length)
    return out


def fix_crcs(d):
    for off, length in sections(d).values():
        struct.pack_into("<H", d, off, crc(bytes(d[off + 2:off + length])))
    struct.pack_into("<H", d, 0, crc(bytes(d[2:])))
    return d


def patch_crash(d):
    off, _ = sections(d)[7]
    d[off + 16 + 1] = 0
    return d


def patch_rw(d):
    s = sections(d)
    struct.pack_into("<H", d, s[6][0] + 16, 1000)
    d[s[3][0] + 16 + 1] &= 0xFE
    return d


def stats(label, v):
    raw = struct.pack("<%di" % len(v), *v)
    return {"label": label, "n_samples": len(v), "digital_sum": sum(v),
            "digital_min": min(v), "digital_max": max(v),
            "digital_first10": list(v[:10]),
            "digital_sha256_int32le": hashlib.sha256(raw).hexdigest()}


def biosig(path, keep=None):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out")
        subprocess.run(["save2gdf", "-n", "-f=BIN", path, out], check=True,
                       capture_output=True)
        labels = re.findall(r"Label\s*=\s*(\S+)", open(out).read())
        leads = []
        for k, label in enumerate(labels, 1):
            raw = open("%s.s%02d" % (out, k), "rb").read()
            v = struct.unpack("<%di" % (len(raw) // 4), raw)
            leads.append(stats(label, v[:keep[k - 1]] if keep else v))
        return leads


def stored_samples(d):
    """Samples per lead that section 6 of an uncompressed record holds."""
    off, _ = sections(d)[6]
    nleads = d[sections(d)[3][0] + 16]
    lengths = struct.unpack_from("<%dH" % nleads, d, off + 16 + 6)
    return [n // 2 for n in lengths]


def main():
    version = subprocess.run(["save2gdf", "-v"], capture_output=True, text=True).stdout
    result = {"generator": "make_patched_reference.py",
              "save2gdf_version_line": version.strip().splitlines()[0] if version else "",
              "files": {}}
    for name, patch, what in [
        ("scptools_ECG_20081029_105642.scp", patch_crash,
         "section 7 pacemaker spike count 14 -> 0, CRCs recomputed"),
        ("scpecgrw_test.scp", patch_rw,
         "section 6 AVM 0 -> 1000 nV, section 3 flag bit 0 cleared, CRCs recomputed"),
    ]:
        d = fix_crcs(patch(bytearray(open(os.path.join(SRC, name), "rb").read())))
        with tempfile.NamedTemporaryFile(suffix=".scp", delete=False) as f:
            f.write(d)
            tmp = f.name
        try:
            result["files"][name] = {"patch": what, "channels": biosig(tmp)}
        finally:
            os.unlink(tmp)
    result["prefixes"] = {}
    for name in ["contec_0000050_ecg_scp.scp", "ecgviewer_demo.scp"]:
        path = os.path.join(SRC, name)
        keep = stored_samples(open(path, "rb").read())
        result["prefixes"][name] = {"channels": biosig(path, keep)}
    with open(os.path.join(HERE, "biosig_patched.json"), "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
