#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Merge the runs of `make bench` into results.json, a summary table and plots.

usage: report.py OUTDIR COMMAND
Reads OUTDIR/hw.json (bench_hw, a JSON list), OUTDIR/cpu.jsonl (bench_cpu)
and OUTDIR/submit-RxC-latN.jsonl (qaccel-bench --json in the guest on an RxC
device with memory latency N; may be missing),
writes OUTDIR/results.json, OUTDIR/summary.md and OUTDIR/*.png (gnuplot).
It only reshapes numbers the benchmarks measured; it measures nothing.
"""
import glob
import json
import os
import platform
import subprocess
import sys
import time

CLOCK_HZ = 1e9          # the documented modeled clock (bench_hw.c)
PORT_BYTES_PER_CYCLE = 64


def machine():
    info = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if ":" in line:
                    k, v = (s.strip() for s in line.split(":", 1))
                    info.setdefault(k, v)
    except OSError:
        pass
    # Virtual machines often report only "AMD EPYC": family and model say which.
    cpu = "%s (family %s, model %s)" % (info.get("model name", "unknown"),
                                         info.get("cpu family", "?"), info.get("model", "?"))
    return {"uname": " ".join(platform.uname()), "cpu": cpu, "cores": os.cpu_count()}


def load_list(path):
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        return []


def load_lines(path):
    recs = []
    try:
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line.startswith("{"):
                    recs.append(json.loads(line))
    except FileNotFoundError:
        pass
    return recs


def shape(r):
    return "%dx%dx%d" % (r["m"], r["n"], r["k"])


def table(head, rows):
    out = ["| " + " | ".join(head) + " |",
           "| " + " | ".join("---" if i < 2 else "---:" for i in range(len(head))) + " |"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def targets(hw, ratios):
    out = []
    r = [x for x in hw if x["array"] == "16x16" and shape(x) == "512x512x512"]
    if r:
        u = r[0]["utilization"] * 100
        out.append(("utilization at 512^3 on 16x16", ">= 90 %", "%.1f %%" % u,
                    "met" if u >= 90 else "missed by %.1f points" % (90 - u)))
    for s in ("1x4096x4096", "1x1024x1024"):
        r = [x for x in hw if x["array"] == "16x16" and shape(x) == s]
        if r:
            b = r[0]["bandwidth_fraction"] * 100
            out.append(("batch-1 bandwidth (%s, 16x16)" % s, ">= 85 % of 64 B/cycle",
                        "%.1f %%" % b, "met" if b >= 85 else "missed by %.1f points" % (85 - b)))
            break
    for q in ratios:
        if q["depth"] == 64:
            x = q["uring_over_ioctl"]
            out.append(("io_uring / ioctl jobs/s, %s, depth 64, %s device, latency %d"
                        % (q["job"], q["device_array"], q["device_latency"]), ">= 3x",
                        "%.2fx" % x, "met" if x >= 3 else "missed (%.0f %% of the target)"
                        % (100 * x / 3)))
    return out


def summary(hw, cpu, sub, ratios, meta):
    md = ["Command: `%s`  " % meta["command"],
          "Machine: %s; CPU %s, %d cores; %s" % (meta["machine"]["uname"], meta["machine"]["cpu"],
                                                 meta["machine"]["cores"], meta["date"]), ""]
    md += ["### GEMM on the RTL (modeled clock %.0f GHz)" % (CLOCK_HZ / 1e9), ""]
    md.append(table(["array", "M x N x K", "cycles", "util %", "DMA MiB", "bw %", "busy %",
                     "DMA stall %", "ops/cycle", "ops/byte", "modeled TOPS", "sim kcycles/s",
                     "sim MMAC/s", "wall s"],
                    [[x["array"], shape(x), "{:,}".format(x["cycles"]),
                      "%.1f" % (100 * x["utilization"]),
                      "%.2f" % ((x["dma_read_bytes"] + x["dma_write_bytes"]) / 2**20),
                      "%.1f" % (100 * x["bandwidth_fraction"]),
                      "%.1f" % (100 * x["busy_cycles"] / max(x["cycles"], 1)),
                      "%.1f" % (100 * x["dma_stall_cycles"] / max(x["cycles"], 1)),
                      "%.1f" % x["ops_per_cycle"], "%.1f" % x["op_intensity"],
                      "%.3f" % x["modeled_tops"], "%.0f" % (x["sim_cycles_per_s"] / 1e3),
                      "%.1f" % (x["sim_macs_per_s"] / 1e6), "%.1f" % x["wall_s"]] for x in hw]))
    speed = {}
    for x in hw:
        s = speed.setdefault(x["array"], [0, 0, 0.0])
        s[0] += x["cycles"]
        s[1] += x["macs"]
        s[2] += x["wall_s"]
    md += ["", "### Simulator speed (all GEMM runs of a size together)", ""]
    md.append(table(["array", "simulated cycles", "wall s", "cycles/s", "MACs/s"],
                    [[a, "{:,}".format(c), "%.1f" % w, "{:,.0f}".format(c / w if w else 0),
                      "{:,.0f}".format(m / w if w else 0)] for a, (c, m, w) in speed.items()]))
    if sub:
        md += ["", "### Submission path (guest under TCG, qaccel-bench)", ""]
        md.append(table(["device", "mem latency", "path", "job", "depth", "jobs/s", "p50 us",
                         "p99 us", "syscalls/job", "guest CPU us/job"],
                        [[x["device_array"], x["device_latency"], x["path"], x["job"],
                          x["depth"], "{:,.0f}".format(x["jobs_per_s"]),
                          "%.1f" % x["p50_us"], "%.1f" % x["p99_us"],
                          "%.3f" % x.get("syscalls_per_job", 0),
                          "%.1f" % x.get("cpu_us_per_job", 0)] for x in sub]))
        md += ["", table(["device", "mem latency", "job", "depth", "io_uring / ioctl"],
                         [[q["device_array"], q["device_latency"], q["job"], q["depth"],
                           "%.2fx" % q["uring_over_ioctl"]] for q in ratios])]
    else:
        md += ["", "### Submission path: not measured (no build/tools/qaccel-bench or the guest run failed)"]
    if cpu:
        md += ["", "### CPU on the host (one thread) vs the modeled 16x16 accelerator", ""]
        acc = {shape(x): x for x in hw if x["array"] == "16x16"}
        rows = []
        for x in cpu:
            if "wall_s" not in x:
                rows.append([x["impl"], shape(x), "%d/%d" % (x["a_zero_point"], x["b_zero_point"]),
                             x.get("status", "?"), "", "", ""])
                continue
            a = acc.get(shape(x))
            rows.append([x["impl"], shape(x), "%d/%d" % (x["a_zero_point"], x["b_zero_point"]),
                         "%.1f" % (x["wall_s"] * 1e6), "%.2f" % x["gops"],
                         "%.1f" % (a["cycles"] / CLOCK_HZ * 1e6) if a else "",
                         "bit-exact" if x["correct"] else "DIFFERS"])
        md.append(table(["impl", "M x N x K", "zp A/B", "wall us", "GOPS",
                         "qaccel 16x16 us @1 GHz", "vs ref"], rows))
    t = targets(hw, ratios)
    if t:
        md += ["", "### Targets", ""]
        md.append(table(["target", "wanted", "measured", "verdict"], [list(x) for x in t]))
    return "\n".join(md) + "\n"


def plots(out, hw, cpu, sub, meta):
    foot = "%s | %s, %d cores | %s" % (meta["command"], meta["machine"]["cpu"],
                                       meta["machine"]["cores"],
                                       meta["machine"]["uname"].split()[2])
    foot = foot.replace('"', "'")
    arrays = sorted({x["array"] for x in hw}, key=lambda a: int(a.split("x")[0]))
    gp = ['if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {',
          '  set terminal pngcairo size 900,600 font ",9"',
          '} else {', '  set terminal png size 900,600', '}',
          'set termoption noenhanced',
          'set key outside right', 'set grid',
          'set label 99 "%s" at screen 0.01, screen 0.015 font ",7"' % foot,
          'set bmargin 5']
    # Roofline: one file per array size of (intensity, ops/cycle, label).
    for a in arrays:
        with open(os.path.join(out, "roofline-%s.dat" % a), "w") as f:
            for x in hw:
                if x["array"] == a:
                    f.write("%g %g %s\n" % (x["op_intensity"], x["ops_per_cycle"], shape(x)))
    gp += ['set output "%s/roofline.png"' % out,
           'set title "Roofline: achieved ops/cycle (2 per MAC) vs DMA operational intensity"',
           'set logscale xy', 'set xlabel "operations per DMA byte"',
           'set ylabel "operations per cycle"', 'set xrange [0.5:2000]', 'set yrange [1:4096]']
    pl = []
    for i, a in enumerate(arrays):
        r, c = (int(v) for v in a.split("x"))
        pl.append('min(%d, %d*x) lc %d dt 2 title "%s roof (peak %d, 64 B/cycle)"'
                  % (2 * r * c, PORT_BYTES_PER_CYCLE, i + 1, a, 2 * r * c))
        pl.append('"%s/roofline-%s.dat" using 1:2 with points pt 7 lc %d title "%s runs"'
                  % (out, a, i + 1, a))
        pl.append('"%s/roofline-%s.dat" using 1:2:3 with labels offset 0.5,0.5 left '
                  'font ",6" tc lt %d notitle' % (out, a, i + 1))
    gp += ['min(a,b) = a < b ? a : b', 'plot ' + ", \\\n  ".join(pl), 'unset logscale',
           'set xrange [*:*]', 'set yrange [*:*]']
    # Utilization per shape and array size.
    shapes = []
    for x in hw:
        if shape(x) not in shapes:
            shapes.append(shape(x))
    with open(os.path.join(out, "util.dat"), "w") as f:
        f.write("shape " + " ".join(arrays) + "\n")
        for s in shapes:
            vals = []
            for a in arrays:
                r = [x for x in hw if x["array"] == a and shape(x) == s]
                vals.append("%g" % (100 * r[0]["utilization"]) if r else "NaN")
            f.write(s + " " + " ".join(vals) + "\n")
    gp += ['set output "%s/utilization.png"' % out,
           'set title "Array utilization (MACs / (cycles x PEs)) per GEMM shape"',
           'set style data histograms', 'set style histogram clustered gap 1',
           'set style fill solid 0.8', 'set xtics rotate by -30', 'set yrange [0:100]',
           'set xlabel ""', 'set ylabel "utilization %"',
           'plot ' + ", ".join('"%s/util.dat" using %d:xtic(1) title columnheader'
                               % (out, i + 2) for i in range(len(arrays))),
           'set xtics norotate', 'set yrange [*:*]', 'set style data points']
    # Simulator speed.
    with open(os.path.join(out, "simspeed.dat"), "w") as f:
        for a in arrays:
            r = [x for x in hw if x["array"] == a]
            w = sum(x["wall_s"] for x in r) or 1
            f.write("%s %g %g\n" % (a, sum(x["cycles"] for x in r) / w,
                                    sum(x["macs"] for x in r) / w))
    gp += ['set output "%s/simspeed.png"' % out,
           'set title "Simulator speed (Verilator, one thread): simulated cycles and MACs per wall second"',
           'set style data histograms', 'set style histogram clustered gap 1',
           'set logscale y', 'set ylabel "per wall second"', 'set xlabel "array"',
           'plot "%s/simspeed.dat" using 2:xtic(1) title "cycles/s", "" using 3 title "MACs/s"'
           % out, 'unset logscale', 'set style data points']
    for lat in sorted({x["device_latency"] for x in sub}, reverse=True):
        keys = []
        for x in sub:
            if x["device_latency"] == lat and (x["path"], x["job"]) not in keys:
                keys.append((x["path"], x["job"]))
        pl = []
        for p, j in keys:
            fn = os.path.join(out, "submit-lat%d-%s-%s.dat" % (lat, p, j))
            with open(fn, "w") as f:
                for x in sub:
                    if x["device_latency"] == lat and x["path"] == p and x["job"] == j:
                        f.write("%d %g %g %g\n" % (x["depth"], x["jobs_per_s"], x["p50_us"],
                                                   x["p99_us"]))
            pl.append('"%s" using 1:2 with linespoints lw 2 dt %d title "%s %s"'
                      % (fn, 1 if p == "uring" else 2, p, j))
        array = sub[0]["device_array"]
        gp += ['set output "%s/submit-lat%d.png"' % (out, lat),
               'set title "Jobs per second vs queue depth: guest under TCG, %s device, '
               'memory latency %d cycles"' % (array, lat),
               'set logscale xy', 'set xlabel "queue depth"', 'set ylabel "jobs/s"',
               'set xrange [0.7:100]', 'plot ' + ", ".join(pl), 'unset logscale',
               'set xrange [*:*]']
    if cpu:
        impls = ["ref", "gemmlowp", "onednn"]
        cshapes = []
        for x in cpu:
            if shape(x) not in cshapes:
                cshapes.append(shape(x))
        acc = {shape(x): x for x in hw if x["array"] == "16x16"}
        with open(os.path.join(out, "cpu.dat"), "w") as f:
            f.write("shape " + " ".join(impls) + " qaccel-16x16@1GHz\n")
            for s in cshapes:
                vals = []
                for im in impls:
                    r = [x for x in cpu if x["impl"] == im and shape(x) == s
                         and x["a_zero_point"] == 0 and "gops" in x]
                    vals.append("%g" % r[0]["gops"] if r else "NaN")
                vals.append("%g" % (acc[s]["modeled_tops"] * 1e3) if s in acc else "NaN")
                f.write(s + " " + " ".join(vals) + "\n")
        gp += ['set output "%s/cpu.png"' % out,
               'set title "int8 GEMM, int32 out: CPU wall GOPS (1 thread) vs modeled qaccel 16x16 at 1 GHz"',
               'set style data histograms', 'set style histogram clustered gap 1',
               'set style fill solid 0.8', 'set xtics rotate by -30', 'set logscale y',
               'set ylabel "GOPS (2 ops per MAC)"', 'set xlabel ""',
               'plot ' + ", ".join('"%s/cpu.dat" using %d:xtic(1) title columnheader'
                                   % (out, i + 2) for i in range(4))]
    with open(os.path.join(out, "plots.gp"), "w") as f:
        f.write("\n".join(gp) + "\n")
    subprocess.run(["gnuplot", os.path.join(out, "plots.gp")], check=True)


def main():
    out, command = sys.argv[1], sys.argv[2]
    hw = load_list(os.path.join(out, "hw.json"))
    cpu = load_lines(os.path.join(out, "cpu.jsonl"))
    subr = []
    for fn in sorted(glob.glob(os.path.join(out, "submit-*-lat*.jsonl")),
                     key=lambda f: -int(f.rsplit("lat", 1)[1].split(".")[0])):
        array, lat = os.path.basename(fn)[len("submit-"):-len(".jsonl")].split("-lat")
        for x in load_lines(fn):
            x["device_array"] = array
            x["device_latency"] = int(lat)
            subr.append(x)
    sub = [x for x in subr if "path" in x]
    ratios = [x for x in subr if "uring_over_ioctl" in x]
    meta = {"command": command, "machine": machine(),
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "modeled_clock_hz": CLOCK_HZ}
    for x in hw:
        x["kind"] = "gemm-hw"
    for x in cpu:
        x["kind"] = "gemm-cpu"
    for x in sub:
        x["kind"] = "submit"
    for x in ratios:
        x["kind"] = "submit-ratio"
    res = dict(meta, records=hw + sub + ratios + cpu)
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(res, f, indent=1)
        f.write("\n")
    md = summary(hw, cpu, sub, ratios, meta)
    with open(os.path.join(out, "summary.md"), "w") as f:
        f.write(md)
    sys.stdout.write(md)
    plots(out, hw, cpu, sub, meta)


if __name__ == "__main__":
    main()
