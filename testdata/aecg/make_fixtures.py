#!/usr/bin/env python3
"""Writes the HL7 aECG fixtures of ecg-aecg and REFERENCE.json.

Run from the repository root (needs Debian's biosig-tools for save2gdf, numpy):
    /work/venv/bin/python testdata/aecg/make_fixtures.py

- biosig_s0010_12lead.xml, biosig_mitdb100_2lead.xml: written by BioSig
  (`save2gdf -f=HL7`) from the shared SCP-ECG files gen_s0010_12lead_500Hz_10s_v13_raw.scp
  and gen_mitdb100_2lead_360Hz_10s_v20_huff_d2.scp.
- handmade_rhythm_median_annotations.xml: written by this script after the HL7 aECG
  schema (PORT_MT020001) with a rhythm series (GLIST_PQ relative time axis, non-zero
  origin, lead codes MDC_ECG_LEAD_AVR etc.), a derived REPRESENTATIVE_BEAT series,
  patient name/sex/birth time/race, device fields, filters, and annotations (beats with
  TIME_ABSOLUTE boundaries, a QT measurement, an interpretation statement, a median
  P-wave interval). Its samples are derived from MIT-BIH 100.

REFERENCE.json holds, for every fixture, what BioSig reads back from it
(`save2gdf -f=BIN FILE`: the BIN header and the float32 channel files of digital
values): per channel label, sampling rate, sample count, min, max, sum and the first
samples.
"""
import json
import os
import shutil
import subprocess
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SCP = os.path.join(HERE, "..", "..", "..", "shared", "testdata", "scp")
WFDB = os.path.join(HERE, "..", "..", "..", "shared", "testdata", "wfdb")

BIOSIG = {
    "biosig_s0010_12lead.xml": "gen_s0010_12lead_500Hz_10s_v13_raw.scp",
    "biosig_mitdb100_2lead.xml": "gen_mitdb100_2lead_360Hz_10s_v20_huff_d2.scp",
}


def seq(code, kind, inner):
    return f"""<component><sequence><code code="{code}" codeSystem="2.16.840.1.113883.6.24"/>
<value xsi:type="{kind}">{inner}</value></sequence></component>
"""


def handmade():
    raw = np.fromfile(os.path.join(WFDB, "100.dat"), dtype=np.uint8, count=3 * 720)
    # format 212: two 12-bit samples in three bytes
    b = raw.reshape(-1, 3).astype(np.int32)
    s0 = ((b[:, 1] & 0x0F) << 8) | b[:, 0]
    s1 = ((b[:, 1] & 0xF0) << 4) | b[:, 2]
    s0 = np.where(s0 > 2047, s0 - 4096, s0) - 1024
    s1 = np.where(s1 > 2047, s1 - 4096, s1) - 1024
    avr = -(s0 + s1) // 2
    rhythm = ""
    rhythm += seq("TIME_RELATIVE", "GLIST_PQ", '<head value="0" unit="s"/><increment value="0.002778" unit="s"/>')
    for code, data in [("MDC_ECG_LEAD_II", s0), ("MDC_ECG_LEAD_V5", s1), ("MDC_ECG_LEAD_AVR", avr)]:
        rhythm += seq(code, "SLIST_PQ", f'<origin value="-10" unit="uV"/><scale value="5" unit="uV"/><digits>{" ".join(map(str, data))}</digits>')
    median = seq("TIME_RELATIVE", "GLIST_PQ", '<head value="0" unit="ms"/><increment value="2" unit="ms"/>')
    beat = s0[60:60 + 300:1][:300]
    median += seq("MDC_ECG_LEAD_II", "SLIST_PQ", f'<origin value="0" unit="uV"/><scale value="2.5" unit="uV"/><digits>{" ".join(map(str, beat * 2))}</digits>')
    beats = ""
    for t, code in [("20010203040505.206", "MDC_ECG_BEAT_NORMAL"), ("20010203040506.017", "MDC_ECG_BEAT_NORMAL"), ("20010203040506.806", "MDC_ECG_BEAT_PVC")]:
        beats += f"""<component><annotation><code code="{code}" codeSystem="2.16.840.1.113883.6.24"/>
<support><supportingROI classCode="ROIBND"><component><boundary><code code="TIME_ABSOLUTE"/>
<value xsi:type="IVL_TS"><low value="{t}"/><high value="{t}"/></value></boundary></component></supportingROI></support>
</annotation></component>
"""
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<!-- fixture of ecg-aecg, see make_fixtures.py -->
<AnnotatedECG xmlns="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" classCode="OBS" moodCode="EVN">
<id root="728989ec-8d89-4c1a-9d6b-0d2b3a3f5c10"/>
<code code="93000" codeSystem="2.16.840.1.113883.6.12"/>
<effectiveTime><low value="20010203040505"/><high value="20010203040507"/></effectiveTime>
<componentOf><timepointEvent><code code="VISIT_1"/><componentOf><subjectAssignment>
<subject><trialSubject><id root="2.16.840.1.113883.3.1" extension="SUBJ-0042"/>
<subjectDemographicPerson><name><given>Zo&#235;</given><family>O&apos;Brien &amp; Co</family></name>
<administrativeGenderCode code="F" codeSystem="2.16.840.1.113883.5.1"/>
<birthTime value="19500714"/>
<raceCode code="2106-3" codeSystem="2.16.840.1.113883.5.104" displayName="White"/>
</subjectDemographicPerson></trialSubject></subject>
<componentOf><clinicalTrial><id root="2.16.840.1.113883.3.2" extension="TRIAL-7"/><title>Thorough QT study</title></clinicalTrial></componentOf>
</subjectAssignment></componentOf></timepointEvent></componentOf>
<component><series><code code="RHYTHM" codeSystem="2.16.840.1.113883.5.4"/>
<effectiveTime><low value="20010203040505"/><high value="20010203040507"/></effectiveTime>
<author><seriesAuthor><manufacturedSeriesDevice><id extension="SN-12345"/><manufacturerModelName>CardioCart 9</manufacturerModelName><softwareName>v4.2.1</softwareName></manufacturedSeriesDevice>
<manufacturerOrganization><name>Example Medical</name></manufacturerOrganization></seriesAuthor></author>
<controlVariable><controlVariable><code code="MDC_ATTR_FILTER_LOW_PASS"/><component><controlVariable><code code="MDC_ATTR_FILTER_CUTOFF_FREQ"/><value xsi:type="PQ" value="150" unit="Hz"/></controlVariable></component></controlVariable></controlVariable>
<controlVariable><controlVariable><code code="MDC_ATTR_FILTER_HIGH_PASS"/><component><controlVariable><code code="MDC_ATTR_FILTER_CUTOFF_FREQ"/><value xsi:type="PQ" value="0.05" unit="Hz"/></controlVariable></component></controlVariable></controlVariable>
<component><sequenceSet>
{rhythm}</sequenceSet></component>
<derivation><derivedSeries><code code="REPRESENTATIVE_BEAT" codeSystem="2.16.840.1.113883.5.4"/>
<component><sequenceSet>
{median}</sequenceSet></component>
<subjectOf><annotationSet><component><annotation><code code="MDC_ECG_WAVC_PWAVE"/>
<support><supportingROI><component><boundary><code code="TIME_RELATIVE"/><value xsi:type="IVL_PQ"><low value="40" unit="ms"/><high value="140" unit="ms"/></value></boundary></component></supportingROI></support>
</annotation></component></annotationSet></subjectOf>
</derivedSeries></derivation>
<subjectOf><annotationSet>
<component><annotation><code code="MDC_ECG_INTERPRETATION"/>
<component><annotation><code code="MDC_ECG_INTERPRETATION_STATEMENT"/><value xsi:type="ST">Sinus rhythm &lt;normal&gt;</value></annotation></component>
<component><annotation><code code="MDC_ECG_TIME_PD_QT"/><value xsi:type="PQ" value="398" unit="ms"/></annotation></component>
<component><annotation><code code="MDC_ECG_TIME_PD_QRS"/><value xsi:type="PQ" value="92" unit="ms"/>
<support><supportingROI><component><boundary><code code="MDC_ECG_LEAD_II"/></boundary></component></supportingROI></support></annotation></component>
</annotation></component>
{beats}</annotationSet></subjectOf>
</series></component>
</AnnotatedECG>
"""
    with open(os.path.join(HERE, "handmade_rhythm_median_annotations.xml"), "w") as f:
        f.write(xml)


def read_bin(xml_path, tmp):
    dest = os.path.join(tmp, "out")
    subprocess.run(["save2gdf", "-f=BIN", xml_path, dest], check=True, capture_output=True)
    header = open(dest).read()
    chans = []
    for block in header.split("Filename  \t= ")[1:]:
        fields = {}
        for line in block.splitlines():
            if "=" in line:
                k, v = line.split("=", 1)
                fields[k.strip()] = v.split("#")[0].strip()
        fname = block.splitlines()[0].split("#")[0].strip()
        data = np.fromfile(os.path.join(tmp, fname), dtype="<f4").astype(np.float64)
        chans.append({
            "label": fields["Label"],
            "fs": float(fields["SamplingRate"]),
            "units": fields["PhysicalUnits"],
            "n": int(len(data)),
            "min": float(data.min()), "max": float(data.max()),
            "sum": float(data.sum()),
            "first": [float(v) for v in data[:5]],
        })
    return chans


def main():
    handmade()
    ref = {"peer": "BioSig save2gdf " + subprocess.run(["save2gdf", "-v"], capture_output=True, text=True).stdout.strip().splitlines()[0] if False else "BioSig save2gdf (biosig-tools, Debian)", "files": {}}
    for out, src in BIOSIG.items():
        subprocess.run(["save2gdf", "-f=HL7", os.path.join(SCP, src), os.path.join(HERE, out)], check=True, capture_output=True)
    for name in list(BIOSIG) + ["handmade_rhythm_median_annotations.xml"]:
        tmp = tempfile.mkdtemp()
        try:
            ref["files"][name] = read_bin(os.path.join(HERE, name), tmp)
        finally:
            shutil.rmtree(tmp)
    with open(os.path.join(HERE, "REFERENCE.json"), "w") as f:
        json.dump(ref, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
