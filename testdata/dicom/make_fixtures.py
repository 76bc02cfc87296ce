#!/usr/bin/env python3
"""Writes the DICOM waveform fixtures of ecg-dicom and REFERENCE.json.

Run from the repository root (needs pydicom 3, wfdb-python and numpy in the venv):
    nice -n 19 /work/venv/bin/python testdata/dicom/make_fixtures.py

Every fixture is written by pydicom (dcmwrite) from real PhysioNet samples in
../shared/testdata/wfdb, read by wfdb-python:

- pydicom_s0010_12lead.dcm: 12-lead ECG Waveform Storage, explicit VR little endian.
  PTB record s0010_re, the first 10 s of its 12 standard leads at 1000 Hz (the stored
  16-bit values, SS), Channel Sensitivity 0.5 uV (the record's 2000 adu/mV), lead codes
  from MDC (2:1 Lead I ...), filters, patient and device fields.
- pydicom_mitdb100_2lead.dcm: General ECG Waveform Storage, implicit VR little endian.
  MIT-BIH record 100, the first 10 s of both signals at 360 Hz (stored 11-bit values, SS),
  Channel Sensitivity 0.005 mV and Channel Baseline -5.12 mV (adc zero 1024), lead codes
  from SCPECG (5.6.3-9-2 Lead II, 5.6.3-9-7 Lead V5), channel labels MLII/V5, and the
  record's reference beat annotations (100.atr) in the Waveform Annotation Sequence
  (text = MIT symbol, 1-based Referenced Sample Positions), plus a measurement and a
  statement.
- pydicom_ambulatory_groups.dcm: Ambulatory ECG Waveform Storage, explicit VR. Three
  multiplex groups from MIT-BIH 100: "RHYTHM" (360 Hz, SS, two leads, ten samples set to
  the Waveform Padding Value), "DECIMATED" (90 Hz, 8-bit SB, every 4th MLII sample / 4)
  and "MULAW" (360 Hz, 8-bit MB: V5 x 64 mu-law encoded by Python's audioop).
- pydicom_hemodynamic_32bit.dcm: Hemodynamic Waveform Storage, implicit VR. Two groups
  from MIT-BIH 100: 32-bit SL (MLII x 100000, 250 samples) with a sensitivity correction
  factor and a sample skew, and 8-bit AB (V5 x 16 A-law encoded by audioop).
- pydicom_secondary_capture.dcm: a tiny Secondary Capture image (not a waveform), which
  the detector must not claim.
- mortara_eli250_12lead.dcm: a copy of pydicom's own test file waveform_ecg.dcm (shipped
  in the pydicom package, MIT licence): an anonymised 12-lead ECG exported by a Mortara
  ELI 250 cart (explicit VR, ISO_IR 100, a 1000 Hz RHYTHM group and a MEDIAN BEAT group,
  SCPECG lead codes, 77 waveform annotations, private elements). Not written by us; the
  device's file as pydicom's maintainers keep it.

REFERENCE.json holds what pydicom reads back from each waveform fixture (per multiplex
group and channel: rate, counts, bits, interpretation, the raw samples' min, max, sum and
first values, padding count, sensitivity/baseline/correction, units, the lead code and
meaning, and pydicom's multiplex_array(as_raw=False) physical first values; for MB/AB the
G.711-expanded values from audioop), plus "source": the values wfdb-python reads from the
PhysioNet records the samples came from.
"""
import audioop
import json
import os
import shutil

import numpy as np
import pydicom
import wfdb
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian, generate_uid
from pydicom.waveforms.numpy_handler import multiplex_array

HERE = os.path.dirname(os.path.abspath(__file__))
WFDB = os.path.join(HERE, "..", "..", "..", "shared", "testdata", "wfdb")

SOP = {
    "12lead": "1.2.840.10008.5.1.4.1.1.9.1.1",
    "general": "1.2.840.10008.5.1.4.1.1.9.1.2",
    "ambulatory": "1.2.840.10008.5.1.4.1.1.9.1.3",
    "hemodynamic": "1.2.840.10008.5.1.4.1.1.9.2.1",
    "sc": "1.2.840.10008.5.1.4.1.1.7",
}
ROOT = "1.2.826.0.1.3680043.8.498."  # pydicom's UID root


def uid(name):
    return generate_uid(prefix=ROOT, entropy_srcs=[name])


def code(value, scheme, meaning):
    c = Dataset()
    c.CodeValue = value
    c.CodingSchemeDesignator = scheme
    c.CodeMeaning = meaning
    return c


def base(name, sop, ts):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop
    meta.MediaStorageSOPInstanceUID = uid(name)
    meta.TransferSyntaxUID = ts
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = sop
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = uid(name + "study")
    ds.SeriesInstanceUID = uid(name + "series")
    ds.Modality = "ECG"
    return ds


def channel(label, source, sens, units, baseline="0", cf="1", skew="0", bits=16, filters=None):
    ch = Dataset()
    ch.ChannelLabel = label
    ch.ChannelSourceSequence = [source]
    ch.ChannelSensitivity = sens
    ch.ChannelSensitivityUnitsSequence = [units]
    ch.ChannelSensitivityCorrectionFactor = cf
    ch.ChannelBaseline = baseline
    ch.ChannelSampleSkew = skew
    ch.WaveformBitsStored = bits
    if filters:
        ch.FilterLowFrequency, ch.FilterHighFrequency, ch.NotchFilterFrequency = filters
    return ch


def group(label, fs, interp, bits, channels, data, padding=None):
    g = Dataset()
    g.MultiplexGroupTimeOffset = "0"
    g.WaveformOriginality = "ORIGINAL"
    g.NumberOfWaveformChannels = len(channels)
    g.NumberOfWaveformSamples = len(data) // len(channels) // (bits // 8)
    g.SamplingFrequency = fs
    g.MultiplexGroupLabel = label
    g.ChannelDefinitionSequence = channels
    g.WaveformBitsAllocated = bits
    g.WaveformSampleInterpretation = interp
    if padding is not None:
        g.WaveformPaddingValue = padding
    g.WaveformData = data
    return g


UV = code("uV", "UCUM", "microvolt")
MV = code("mV", "UCUM", "millivolt")
LEADS_12 = ["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"]
MDC_12 = ["2:1", "2:2", "2:61", "2:62", "2:63", "2:64", "2:3", "2:4", "2:5", "2:6", "2:7", "2:8"]


def s0010():
    rec = wfdb.rdrecord(os.path.join(WFDB, "s0010_re"), sampto=10000, physical=False, channels=list(range(12)))
    d = rec.d_signal.astype(np.int16)
    ds = base("s0010", SOP["12lead"], ExplicitVRLittleEndian)
    ds.PatientName = "s0010_re^PTB"
    ds.PatientID = "PTB-s0010"
    ds.PatientBirthDate = "19090115"
    ds.PatientSex = "F"
    ds.PatientAge = "081Y"
    ds.StudyDate = "19901001"
    ds.StudyTime = "095959"
    ds.AcquisitionDateTime = "19901001095959.250"
    ds.Manufacturer = "testdata"
    ds.ManufacturerModelName = "pydicom " + pydicom.__version__
    ds.DeviceSerialNumber = "PTB-0001"
    ds.SoftwareVersions = "make_fixtures.py"
    ds.InstitutionName = "PhysioNet PTB Diagnostic ECG Database"
    chans = [
        channel(l, code(c, "MDC", "Lead " + l), "0.5", UV, filters=("0.05", "150", "50"))
        for l, c in zip(LEADS_12, MDC_12)
    ]
    ds.WaveformSequence = [group("RHYTHM", "1000", "SS", 16, chans, d.tobytes())]
    return ds, {"record": "s0010_re", "d_signal": d, "sig_name": rec.sig_name[:12], "gain": rec.adc_gain[:12]}


def mitdb100(seconds=10):
    rec = wfdb.rdrecord(os.path.join(WFDB, "100"), sampto=360 * seconds, physical=False)
    ann = wfdb.rdann(os.path.join(WFDB, "100"), "atr", sampto=360 * seconds)
    return rec, ann


def general_100():
    rec, ann = mitdb100()
    d = rec.d_signal.astype(np.int16)
    ds = base("mitdb100", SOP["general"], ImplicitVRLittleEndian)
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.PatientName = "M\u00fcller^J\u00f6rg"
    ds.PatientID = "MITDB-100"
    ds.PatientSex = "M"
    ds.PatientAge = "069Y"
    ds.ContentDate = "20240301"
    ds.ContentTime = "101530"
    ds.Manufacturer = "testdata"
    ds.ManufacturerModelName = "MIT-BIH 100 via pydicom"
    chans = [
        channel("MLII", code("5.6.3-9-2", "SCPECG", "Lead II"), "0.005", MV, baseline="-5.12", bits=11, filters=("0.1", "100", "60")),
        channel("V5", code("5.6.3-9-7", "SCPECG", "Lead V5"), "0.005", MV, baseline="-5.12", bits=11, filters=("0.1", "100", "60")),
    ]
    ds.WaveformSequence = [group("RHYTHM", "360", "SS", 16, chans, d.tobytes())]
    notes = []
    for s, sym in zip(ann.sample, ann.symbol):
        a = Dataset()
        a.UnformattedTextValue = sym
        a.ReferencedWaveformChannels = [1, 0]
        a.TemporalRangeType = "POINT"
        a.ReferencedSamplePositions = [int(s) + 1]
        a.AnnotationGroupNumber = 1
        notes.append(a)
    m = Dataset()
    m.ConceptNameCodeSequence = [code("8867-4", "LN", "Heart rate")]
    m.NumericValue = "72"
    m.MeasurementUnitsCodeSequence = [code("/min", "UCUM", "per minute")]
    m.ReferencedWaveformChannels = [1, 0]
    m.AnnotationGroupNumber = 2
    notes.append(m)
    st = Dataset()
    st.UnformattedTextValue = "Sinus rhythm"
    st.ReferencedWaveformChannels = [1, 0]
    st.AnnotationGroupNumber = 3
    notes.append(st)
    ds.WaveformAnnotationSequence = notes
    src = {"record": "100", "d_signal": d, "sig_name": rec.sig_name, "gain": rec.adc_gain,
           "ann_samples": [int(s) for s in ann.sample], "ann_symbols": list(ann.symbol)}
    return ds, src


def ambulatory():
    rec, _ = mitdb100()
    d = rec.d_signal.astype(np.int16)
    padded = d.copy()
    padded[100:110, :] = -32768
    g1 = group("RHYTHM", "360", "SS", 16, [
        channel("MLII", code("5.6.3-9-2", "SCPECG", "Lead II"), "5", UV, baseline="-5120"),
        channel("V5", code("5.6.3-9-7", "SCPECG", "Lead V5"), "5", UV, baseline="-5120"),
    ], padded.tobytes(), padding=np.int16(-32768).tobytes())
    dec = ((d[::4, 0].astype(np.int32) - 1024) // 4).astype(np.int8)
    g2 = group("DECIMATED", "90", "SB", 8, [
        channel("MLII", code("5.6.3-9-2", "SCPECG", "Lead II"), "20", UV, bits=8),
    ], dec.tobytes())
    lin = ((d[:, 1].astype(np.int32) - 1024) * 64).astype("<i2").tobytes()
    mu = audioop.lin2ulaw(lin, 2)
    g3 = group("MULAW", "360", "MB", 8, [
        channel("V5", code("5.6.3-9-7", "SCPECG", "Lead V5"), "0.078125", UV, bits=8),
    ], mu)
    ds = base("ambulatory", SOP["ambulatory"], ExplicitVRLittleEndian)
    ds.PatientID = "MITDB-100-HOLTER"
    ds.AcquisitionDate = "20240302"
    ds.AcquisitionTime = "235959.5"
    ds.WaveformSequence = [g1, g2, g3]
    return ds, {"ulaw_expanded": np.frombuffer(audioop.ulaw2lin(mu, 2), dtype="<i2")}


def hemodynamic():
    rec, _ = mitdb100(1)
    d = rec.d_signal.astype(np.int32)
    sl = ((d[:250, 0] - 1024) * 100000).astype("<i4")
    g1 = group("PRESSURE", "250", "SL", 32, [
        channel("P1", code("2:2", "MDC", "Lead II"), "0.00005", UV, cf="1.02", skew="0.5", bits=32),
    ], sl.tobytes())
    lin = ((d[:, 1] - 1024) * 16).astype("<i2").tobytes()
    al = audioop.lin2alaw(lin, 2)
    g2 = group("ALAW", "360", "AB", 8, [
        channel("V5", code("5.6.3-9-7", "SCPECG", "Lead V5"), "0.3125", UV, bits=8),
    ], al)
    ds = base("hemodynamic", SOP["hemodynamic"], ImplicitVRLittleEndian)
    ds.PatientID = "MITDB-100-HEMO"
    ds.WaveformSequence = [g1, g2]
    return ds, {"alaw_expanded": np.frombuffer(audioop.alaw2lin(al, 2), dtype="<i2")}


def secondary_capture():
    ds = base("sc", SOP["sc"], ExplicitVRLittleEndian)
    ds.Modality = "OT"
    ds.Rows, ds.Columns = 4, 4
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.PixelData = bytes(range(16))
    return ds


def stats(values):
    v = np.asarray(values, dtype=np.int64)
    return {"n": int(v.size), "min": int(v.min()), "max": int(v.max()), "sum": int(v.sum()),
            "first": [int(x) for x in v[:5]]}


def readback(path, expanded=None):
    ds = pydicom.dcmread(path)
    out = {"sop_class": str(ds.SOPClassUID), "transfer_syntax": str(ds.file_meta.TransferSyntaxUID), "groups": []}
    for gi, g in enumerate(ds.WaveformSequence):
        raw = multiplex_array(ds, gi, as_raw=True)
        phys = multiplex_array(ds, gi, as_raw=False)
        pad = None
        if "WaveformPaddingValue" in g:
            pad = int(np.frombuffer(g.WaveformPaddingValue, dtype=raw.dtype)[0])
        grp = {"label": str(g.get("MultiplexGroupLabel", "")), "fs": float(g.SamplingFrequency),
               "channels": int(g.NumberOfWaveformChannels), "samples": int(g.NumberOfWaveformSamples),
               "bits": int(g.WaveformBitsAllocated), "interpretation": str(g.WaveformSampleInterpretation),
               "padding": pad, "channel": []}
        for ci, ch in enumerate(g.ChannelDefinitionSequence):
            col = raw[:, ci]
            src = ch.ChannelSourceSequence[0]
            c = {"label": str(ch.get("ChannelLabel", "")), "code": str(src.CodeValue),
                 "scheme": str(src.CodingSchemeDesignator), "meaning": str(src.CodeMeaning),
                 "sensitivity": float(ch.ChannelSensitivity),
                 "units": str(ch.ChannelSensitivityUnitsSequence[0].CodeValue),
                 "baseline": float(ch.get("ChannelBaseline", 0.0)),
                 "correction": float(ch.get("ChannelSensitivityCorrectionFactor", 1.0)),
                 "raw": stats(col), "physical_first": [float(x) for x in phys[:3, ci]]}
            if pad is not None:
                keep = col[col != pad]
                c["raw"] = stats(keep)
                c["raw"]["n"] = int(col.size)
                c["raw"]["first"] = [int(x) for x in col[:5]]
                c["padding_count"] = int((col == pad).sum())
            if expanded is not None and g.WaveformSampleInterpretation in ("MB", "AB"):
                c["expanded"] = stats(expanded)
            grp["channel"].append(c)
        out["groups"].append(grp)
    if "WaveformAnnotationSequence" in ds:
        out["annotations"] = len(ds.WaveformAnnotationSequence)
    return out


def main():
    ref = {"tool": f"pydicom {pydicom.__version__}, wfdb-python {wfdb.__version__}", "files": {}, "source": {}}
    for name, (ds, src) in {
        "pydicom_s0010_12lead.dcm": s0010(),
        "pydicom_mitdb100_2lead.dcm": general_100(),
    }.items():
        path = os.path.join(HERE, name)
        ds.save_as(path, enforce_file_format=True)
        ref["files"][name] = readback(path)
        d = src.pop("d_signal")
        src["leads"] = {n: stats(d[:, i]) for i, n in enumerate(src["sig_name"])}
        src["gain"] = [float(g) for g in src["gain"]]
        ref["source"][name] = src
    ds, extra = ambulatory()
    path = os.path.join(HERE, "pydicom_ambulatory_groups.dcm")
    ds.save_as(path, enforce_file_format=True)
    ref["files"]["pydicom_ambulatory_groups.dcm"] = readback(path, extra["ulaw_expanded"])
    ds, extra = hemodynamic()
    path = os.path.join(HERE, "pydicom_hemodynamic_32bit.dcm")
    ds.save_as(path, enforce_file_format=True)
    ref["files"]["pydicom_hemodynamic_32bit.dcm"] = readback(path, extra["alaw_expanded"])
    path = os.path.join(HERE, "mortara_eli250_12lead.dcm")
    shutil.copyfile(get_testdata_file("waveform_ecg.dcm"), path)
    ref["files"]["mortara_eli250_12lead.dcm"] = readback(path)
    secondary_capture().save_as(os.path.join(HERE, "pydicom_secondary_capture.dcm"), enforce_file_format=True)
    with open(os.path.join(HERE, "REFERENCE.json"), "w") as f:
        json.dump(ref, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
