#!/usr/bin/env python3
"""uringblk benchmark report and performance gate (python3, stdlib only).

  bench/report.py [--records FILE] [--out DIR] [--name report]
      FILE (default build/bench/records.tsv, written by bench/run.sh from
      bench/compare.sh) -> DIR/report.json, report.md, report.svg

  bench/report.py gate [--records FILE] [--floors bench/gate.json]
                       [--out build/bench/gate.json]
      compares the uringblk/brd ratios of a bench/gate.sh run with the floors;
      prints a table, writes the results, exits 1 when a ratio is below its
      floor (or could not be measured), 0 otherwise.

records.tsv lines are tab-separated, the first field is the record type:
  M key type value                 run metadata
  O device                         device, display order
  D device key type value          device description
  W workload dir title             workload, display order
  T workload num den target        fio ratio target of bench/compare.sh (unused)
  R ...                            fio result for bench/lib/aggregate.awk (unused)
  X rep workload tool device iops bw_bytes p50_ns p99_ns mean_ns cpu_us_per_io
                                   one measurement of any tool
Docs: docs/performance.md ("Report", "Performance gate").
"""
import argparse
import json
import math
import os
import statistics
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOLS = ["fio", "ubench", "ubench-fx"]
TOOL_TITLE = {
    "fio": "fio",
    "ubench": "uringblk-bench",
    "ubench-fx": "uringblk-bench fixed bufs+files, batched",
}
REFS = ["brd", "null_blk"]
COLORS = {
    "uringblk": "#1f77b4",
    "uringblk-nostats": "#9ecae1",
    "uringblk-installed": "#6baed6",
    "brd": "#ff7f0e",
    "null_blk": "#2ca02c",
    "null_blk-floor": "#98df8a",
}
# The blk-mq floor (bench/compare.sh "null_blk-floor": null_blk without data,
# completing inline). Its ratio to the same reference is shown next to every
# target it ran for: where the floor itself misses a target, no blk-mq RAM
# disk can reach it in this test bed, since each does the floor's work plus
# a copy.
FLOOR = "null_blk-floor"
EXTRA_COLORS = ["#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]

# Targets of the performance issue, evaluated on the medians of one run, for
# every tool separately: (workload, metric, numerator, denominator, op, value)
# metric "iops": ratio of median IOPS must be >= value;
# metric "p50": ratio of median p50 latency must be <= value.
TARGETS = [
    ("iops-randread-4k-qd32-poll", "iops", "uringblk", "brd", ">=", 1.10),
    ("iops-randwrite-4k-qd32-poll", "iops", "uringblk", "brd", ">=", 1.10),
    ("iops-randread-4k-qd32", "iops", "uringblk", "brd", ">=", 1.00),
    ("iops-randwrite-4k-qd32", "iops", "uringblk", "brd", ">=", 1.00),
    ("iops-randread-4k-qd32-poll", "iops", "uringblk", "null_blk", ">=", 1.30),
    ("iops-randwrite-4k-qd32-poll", "iops", "uringblk", "null_blk", ">=", 1.30),
    ("iops-randread-4k-qd32", "iops", "uringblk", "null_blk", ">=", 1.30),
    ("iops-randwrite-4k-qd32", "iops", "uringblk", "null_blk", ">=", 1.30),
    ("bw-seqread-64k-qd16", "iops", "uringblk", "brd", ">=", 1.00),
    ("lat-randread-4k-qd1-poll", "p50", "uringblk", "brd", "<=", 1.00),
]
# Reported for information next to the targets (no verdict).
INFO = [
    ("iops-randread-4k-qd32", "iops", "uringblk-nostats", "brd"),
    ("iops-randread-4k-qd32-poll", "iops", "uringblk-nostats", "brd"),
    ("iops-randread-4k-qd32", "iops", "uringblk-nostats", "uringblk"),
    ("iops-randread-4k-qd32-poll", "iops", "uringblk-nostats", "uringblk"),
    ("lat-randread-4k-qd1", "p50", "uringblk", "brd"),
    # "as installed" (the udev rule's wbt_lat_usec=0); the
    # targets above are the bare module's
    ("iops-randread-4k-qd32", "iops", "uringblk-installed", "brd"),
    ("iops-randread-4k-qd32-poll", "iops", "uringblk-installed", "brd"),
    ("iops-randread-4k-qd32", "iops", "uringblk-installed", "null_blk"),
    ("iops-randread-4k-qd32-poll", "iops", "uringblk-installed", "null_blk"),
    # uringblk against the blk-mq floor: below 1 by what uringblk does on
    # top of it (mostly the copy)
    ("iops-randread-4k-qd32", "iops", "uringblk", FLOOR),
    ("iops-randread-4k-qd32-poll", "iops", "uringblk", FLOOR),
    ("lat-randread-4k-qd1-poll", "p50", "uringblk", FLOOR),
]
METRICS = ["iops", "bw_bytes", "p50_ns", "p99_ns", "mean_ns", "cpu_us_per_io"]


def num(s):
    try:
        v = float(s)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def med(values):
    v = [x for x in values if x is not None]
    return statistics.median(v) if v else None


def load(path):
    run = {"meta": {}, "devices": [], "device_info": {}, "workloads": [], "wl_info": {}, "x": []}
    with open(path, encoding="utf-8") as f:
        for line in f:
            p = line.rstrip("\n").split("\t")
            t = p[0]
            if t == "M" and len(p) >= 4:
                v = p[3]
                if p[2] == "n" and num(v) is not None:
                    v = num(v)
                    v = int(v) if v == int(v) else v
                elif p[2] == "b":
                    v = v == "true"
                run["meta"][p[1]] = v
            elif t == "O" and len(p) >= 2:
                run["devices"].append(p[1])
            elif t == "D" and len(p) >= 5:
                v = p[4]
                if p[3] == "n" and num(v) is not None:
                    v = int(num(v))
                run["device_info"].setdefault(p[1], {})[p[2]] = v
            elif t == "W" and len(p) >= 4:
                run["workloads"].append(p[1])
                run["wl_info"][p[1]] = {"dir": p[2], "title": p[3]}
            elif t == "X" and len(p) >= 11:
                rec = {"rep": int(p[1]), "workload": p[2], "tool": p[3], "device": p[4]}
                for k, v in zip(METRICS, p[5:11]):
                    rec[k] = num(v)
                run["x"].append(rec)
    return run


def summarize(run):
    """results[workload][tool][device] = {median..., reps: [...]}"""
    res = {}
    for r in run["x"]:
        d = res.setdefault(r["workload"], {}).setdefault(r["tool"], {}).setdefault(r["device"], {"reps": []})
        d["reps"].append({k: r[k] for k in ["rep"] + METRICS})
    for w in res.values():
        for t in w.values():
            for d in t.values():
                reps = sorted(d["reps"], key=lambda x: x["rep"])
                d["reps"] = reps
                d["values"] = [{
                    "rep": x["rep"], "iops": x["iops"],
                    "mib_s": x["bw_bytes"] / 1048576 if x["bw_bytes"] is not None else None,
                    "p50_us": x["p50_ns"] / 1000 if x["p50_ns"] is not None else None,
                    "p99_us": x["p99_ns"] / 1000 if x["p99_ns"] is not None else None,
                    "mean_us": x["mean_ns"] / 1000 if x["mean_ns"] is not None else None,
                    "cpu_us_per_io": x["cpu_us_per_io"]} for x in reps]
                d["n"] = len(reps)
                m = {k: med([x[k] for x in reps]) for k in METRICS}
                d["median"] = {
                    "iops": m["iops"],
                    "mib_s": m["bw_bytes"] / 1048576 if m["bw_bytes"] is not None else None,
                    "p50_us": m["p50_ns"] / 1000 if m["p50_ns"] is not None else None,
                    "p99_us": m["p99_ns"] / 1000 if m["p99_ns"] is not None else None,
                    "mean_us": m["mean_ns"] / 1000 if m["mean_ns"] is not None else None,
                    "cpu_us_per_io": m["cpu_us_per_io"],
                }
    return res


def ratio(res, w, tool, num_dev, den_dev, metric="iops"):
    """median ratio and the paired (same repetition) ratios' min/median/max"""
    t = res.get(w, {}).get(tool, {})
    a, b = t.get(num_dev), t.get(den_dev)
    if not a or not b:
        return None
    key = {"iops": "iops", "p50": "p50_ns", "p99": "p99_ns"}[metric]
    ma = med([x[key] for x in a["reps"]])
    mb = med([x[key] for x in b["reps"]])
    if not ma or not mb:
        return None
    by_rep = {x["rep"]: x[key] for x in b["reps"]}
    paired = [x[key] / by_rep[x["rep"]] for x in a["reps"] if by_rep.get(x["rep"]) and x[key]]
    return {
        "metric": metric,
        "num": num_dev,
        "den": den_dev,
        "ratio": ma / mb,
        "paired": [round(x, 4) for x in paired],
        "paired_min": min(paired) if paired else None,
        "paired_median": statistics.median(paired) if paired else None,
        "paired_max": max(paired) if paired else None,
    }


def fmt(v, nd=1):
    if v is None:
        return "–"
    if abs(v) >= 1e5:
        return f"{v:,.0f}"
    return f"{v:,.{nd}f}"


def build(run):
    res = summarize(run)
    tools = [t for t in TOOLS if any(t in res[w] for w in res)]
    tools += sorted({t for w in res for t in res[w]} - set(tools))
    ratios = {}
    for w in run["workloads"]:
        for tool in tools:
            tdevs = res.get(w, {}).get(tool, {})
            for ref in REFS:
                for dev in run["devices"]:
                    if dev == ref or dev not in tdevs or ref not in tdevs:
                        continue
                    r = ratio(res, w, tool, dev, ref)
                    if r:
                        ratios.setdefault(w, {}).setdefault(tool, []).append(r)
                    if w.startswith("lat-"):
                        r = ratio(res, w, tool, dev, ref, "p50")
                        if r:
                            ratios[w][tool].append(r)
    targets = []
    for tool in tools:
        for w, metric, a, b, op, val in TARGETS:
            if w not in run["workloads"] or a not in run["devices"] or b not in run["devices"]:
                continue
            r = ratio(res, w, tool, a, b, metric)
            if r is None and tool == "ubench-fx":
                continue  # the variant runs on the 4K QD32 workloads only
            def meets(x):
                return x >= val if op == ">=" else x <= val
            verdict = "n/a" if r is None else "PASS" if meets(r["ratio"]) else "MISS"
            fr = ratio(res, w, tool, FLOOR, b, metric)
            targets.append({
                "tool": tool, "workload": w, "metric": metric, "ratio_of": f"{a}/{b}",
                "target": f"{op} {val:.2f}", "measured": r["ratio"] if r else None,
                "paired_min": r["paired_min"] if r else None, "paired_max": r["paired_max"] if r else None,
                "result": verdict,
                # the blk-mq floor's ratio to the same device, and whether it
                # meets the target itself
                "floor": fr["ratio"] if fr else None,
                "floor_meets": meets(fr["ratio"]) if fr else None})
        for w, metric, a, b in INFO:
            r = ratio(res, w, tool, a, b, metric)
            if r:
                targets.append({
                    "tool": tool, "workload": w, "metric": metric, "ratio_of": f"{a}/{b}",
                    "target": "info", "measured": r["ratio"], "paired_min": r["paired_min"],
                    "paired_max": r["paired_max"], "result": "info"})
    return {
        "tool": "uringblk-report", "schema": 1,
        "meta": run["meta"],
        "devices": {d: run["device_info"].get(d, {}) for d in run["devices"]},
        "workloads": [{"name": w, **run["wl_info"][w]} for w in run["workloads"]],
        "tools": tools,
        "results": {w: {t: {d: {"n": v["n"], "median": v["median"], "reps": v["values"]}
                            for d, v in tv.items()} for t, tv in wv.items()} for w, wv in res.items()},
        "ratios": ratios,
        "targets": targets,
    }


FLOOR_NOTE = ("blk-mq floor: the same ratio for null_blk without data, completing inline "
              "(`null_blk-floor`: `memory_backed=0 irqmode=0`), the least any blk-mq RAM disk does per I/O "
              "before copying a byte. \"unreachable\": the floor itself misses the target, so no blk-mq "
              "driver can meet it in this test bed (docs/performance.md §5b).")


def floor_cell(t):
    if t.get("floor") is None:
        return "–"
    return f"{t['floor']:.3f}" + ("" if t["floor_meets"] else " (unreachable)")


def markdown(rep):
    m = rep["meta"]
    out = ["# uringblk benchmark report", ""]
    out.append(f"Kernel `{m.get('kernel', '?')}`, clocksource `{m.get('clocksource', '?')}`, "
               f"{m.get('cpus', '?')} vCPUs, {m.get('mem_mib', '?')} MiB; {m.get('reps', '?')} repetitions × "
               f"{m.get('runtime_s', '?')} s (+{m.get('ramp_s', '?')} s ramp), region {m.get('region_mib', '?')} MiB; "
               f"{m.get('date', '?')}; {m.get('host_load', '')}; clock: {m.get('clock', 'host')}.")
    out.append("")
    out.append(f"Tools: {', '.join(TOOL_TITLE.get(t, t) for t in rep['tools'])}. "
               f"ubench-fx options: `{m.get('ubench_fx_args', '-')}`. "
               f"uringblk module `{m.get('uringblk_ko', '-')}` (md5 {m.get('uringblk_ko_md5', '-')}).")
    out.append("")
    out.append("| device | set-up | polled workloads run |")
    out.append("|---|---|---|")
    for d, info in rep["devices"].items():
        out.append(f"| {d} | `{info.get('params', '')}` | {info.get('polled_runs', '?')} "
                   f"(probe: fio {info.get('poll_probe_fio', '?')}; uringblk-bench {info.get('poll_probe_ubench', '?')}) |")
    out.append("")
    out.append("## Targets (medians of this run; paired = per-repetition ratios, min–max)")
    out.append("")
    out.append("| tool | workload | ratio | target | measured | paired min–max | result | blk-mq floor |")
    out.append("|---|---|---|---|---|---|---|---|")
    for t in rep["targets"]:
        mname = "IOPS" if t["metric"] == "iops" else "p50"
        pr = (f"{t['paired_min']:.2f}–{t['paired_max']:.2f}" if t["paired_min"] is not None else "–")
        meas = f"{t['measured']:.3f}" if t["measured"] is not None else "–"
        out.append(f"| {t['tool']} | {t['workload']} | {mname} {t['ratio_of']} | {t['target']} | {meas} | {pr} | "
                   f"{'**' + t['result'] + '**' if t['result'] == 'MISS' else t['result']} | {floor_cell(t)} |")
    out.append("")
    out.append(FLOOR_NOTE)
    out.append("")
    out.append("## Results (medians)")
    for w in rep["workloads"]:
        name = w["name"]
        out.append("")
        out.append(f"### {name}: {w['title']}")
        out.append("")
        out.append("| tool | device | IOPS | MiB/s | p50 µs | p99 µs | CPU µs/IO | ×brd | ×null_blk | reps (IOPS) |")
        out.append("|---|---|---|---|---|---|---|---|---|---|")
        for tool in rep["tools"]:
            tdevs = rep["results"].get(name, {}).get(tool, {})
            rl = rep["ratios"].get(name, {}).get(tool, [])
            for d in rep["devices"]:
                if d not in tdevs:
                    continue
                s = tdevs[d]["median"]
                cells = []
                for ref in REFS:
                    r = next((x for x in rl if x["num"] == d and x["den"] == ref and x["metric"] == "iops"), None)
                    cells.append(f"{r['ratio']:.2f} ({r['paired_min']:.2f}–{r['paired_max']:.2f})" if r else "–")
                reps = " ".join(fmt(x["iops"], 0) for x in tdevs[d]["reps"])
                out.append(f"| {tool} | {d} | {fmt(s['iops'], 0)} | {fmt(s['mib_s'])} | {fmt(s['p50_us'])} | "
                           f"{fmt(s['p99_us'])} | {fmt(s['cpu_us_per_io'], 2)} | {cells[0]} | {cells[1]} | {reps} |")
    out.append("")
    out.append("CPU µs/IO: fio `(usr_cpu + sys_cpu)/100 × 10⁶ / IOPS` (the fio process); uringblk-bench "
               "`cpu.us_per_io` (getrusage of the process). p50/p99: fio total latency (lat: submission to completion), "
               "uringblk-bench submit-to-reap latency. Figures: report.svg.")
    return "\n".join(out) + "\n"


def esc(s):
    return str(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def nice_max(v):
    if v <= 0:
        return 1.0
    e = 10 ** math.floor(math.log10(v))
    for f in (1, 1.2, 1.6, 2, 2.4, 3.2, 4, 6, 8, 10):  # quarters stay round
        if f * e >= v:
            return f * e
    return 10 * e


def si(v):
    if v >= 1e6:
        return f"{v / 1e6:.3g}M"
    if v >= 1e3:
        return f"{v / 1e3:.3g}k"
    return f"{v:.3g}"


def svg(rep):
    devs = list(rep["devices"])
    color = {}
    extra = iter(EXTRA_COLORS)
    for d in devs:
        color[d] = COLORS.get(d) or next(extra, "#333333")
    wls = [w["name"] for w in rep["workloads"]]
    tools = rep["tools"]
    cols = 4
    pw, ph = 330, 250  # one small plot
    left, top = 20, 90
    els = []
    y = top

    def panel(title, metric_fn, series, unit, y0):
        """small multiples: one plot per workload, groups = tools, bars = devices x series"""
        els.append(f'<text x="{left}" y="{y0 - 12}" font-size="17" font-weight="bold">{esc(title)}</text>')
        n = 0
        for w in wls:
            wt = [t for t in tools if rep["results"].get(w, {}).get(t)]
            if not wt:
                continue
            cx = left + (n % cols) * pw
            cy = y0 + (n // cols) * ph
            n += 1
            vals = []
            for t in wt:
                for d in devs:
                    for s in series:
                        v = metric_fn(rep["results"][w][t].get(d), s)
                        if v is not None:
                            vals.append(v)
            vmax = nice_max(max(vals) if vals else 1)
            ax0, ay0, aw, ah = cx + 52, cy + 28, pw - 70, ph - 78
            els.append(f'<text x="{cx + pw / 2 - 10}" y="{cy + 16}" font-size="12.5" text-anchor="middle" '
                       f'font-weight="bold">{esc(w)}</text>')
            for i in range(5):
                gv = vmax * i / 4
                gy = ay0 + ah - ah * i / 4
                els.append(f'<line x1="{ax0}" y1="{gy:.1f}" x2="{ax0 + aw}" y2="{gy:.1f}" stroke="#ddd"/>')
                els.append(f'<text x="{ax0 - 4}" y="{gy + 4:.1f}" font-size="10" text-anchor="end">{si(gv)}</text>')
            els.append(f'<text x="{cx + 10}" y="{ay0 + ah / 2}" font-size="10" text-anchor="middle" '
                       f'transform="rotate(-90 {cx + 10} {ay0 + ah / 2})">{esc(unit)}</text>')
            gw = aw / len(wt)
            nb = len(devs) * len(series)
            bw = min(22, (gw - 10) / max(nb, 1))
            for gi, t in enumerate(wt):
                gx = ax0 + gi * gw + (gw - bw * nb) / 2
                bi = 0
                for d in devs:
                    for si_, s in enumerate(series):
                        v = metric_fn(rep["results"][w][t].get(d), s)
                        if v is not None:
                            h = ah * v / vmax
                            op = "1" if si_ == 0 else "0.45"
                            els.append(f'<rect x="{gx + bi * bw:.1f}" y="{ay0 + ah - h:.1f}" width="{bw - 1:.1f}" '
                                       f'height="{h:.1f}" fill="{color[d]}" fill-opacity="{op}">'
                                       f'<title>{esc(w)} {esc(t)} {esc(d)} {esc(s)}: {v:,.1f}</title></rect>')
                        bi += 1
                els.append(f'<text x="{ax0 + gi * gw + gw / 2:.1f}" y="{ay0 + ah + 14}" font-size="10.5" '
                           f'text-anchor="middle">{esc(t)}</text>')
            els.append(f'<line x1="{ax0}" y1="{ay0 + ah}" x2="{ax0 + aw}" y2="{ay0 + ah}" stroke="#333"/>')
        return y0 + ((n + cols - 1) // cols) * ph

    def iops_of(d, s):
        return d["median"]["iops"] if d else None

    def lat_of(d, s):
        return d["median"][s] if d else None

    y = panel("Median IOPS per workload (groups: tool; bars: device)", iops_of, ["iops"], "IOPS", y + 40)
    y = panel("Median latency per workload: p50 (solid) and p99 (light), µs", lat_of, ["p50_us", "p99_us"],
              "µs", y + 50)
    width = left * 2 + cols * pw
    height = y + 20
    m = rep["meta"]
    tl = []
    for t in tools:
        tl.append({"fio": "fio", "ubench": "ubench = uringblk-bench",
                   "ubench-fx": "ubench-fx = uringblk-bench " + m.get("ubench_fx_args", "")}.get(t, t))
    head = [f'<text x="{left}" y="26" font-size="19" font-weight="bold">{esc(" vs ".join(devs))}</text>',
            f'<text x="{left}" y="46" font-size="12">kernel {esc(m.get("kernel", "?"))}, clocksource '
            f'{esc(m.get("clocksource", "?"))}, {esc(m.get("reps", "?"))} reps × {esc(m.get("runtime_s", "?"))} s, '
            f'{esc(m.get("date", ""))}; tools: {esc("; ".join(tl))}</text>']
    lx = left
    for d in devs:
        head.append(f'<rect x="{lx}" y="58" width="14" height="14" fill="{color[d]}"/>'
                    f'<text x="{lx + 19}" y="70" font-size="12.5">{esc(d)}</text>')
        lx += 30 + 8 * len(d)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="DejaVu Sans, Arial, sans-serif">\n'
            f'<rect width="100%" height="100%" fill="white"/>\n' + "\n".join(head + els) + "\n</svg>\n")


def targets_by_kernel(reps):
    """One table for several runs (one per kernel): a row per target (tool,
    workload, ratio, target), a measured value and result per kernel."""
    kernels = [r["meta"].get("kernel", "?") for r in reps]
    rows = {}
    for k, rep in zip(kernels, reps):
        for t in rep["targets"]:
            key = (t["tool"], t["workload"], t["metric"], t["ratio_of"], t["target"])
            rows.setdefault(key, {})[k] = t
    out = ["## Targets on every kernel (medians of each kernel's run; paired min–max)", ""]
    out.append("| tool | workload | ratio | target | " + " | ".join(f"{k} | result | floor" for k in kernels) + " |")
    out.append("|---|---|---|---|" + "---|---|---|" * len(kernels))
    for (tool, w, metric, ratio_of, target), per in rows.items():
        cells = []
        for k in kernels:
            t = per.get(k)
            if t is None or t["measured"] is None:
                cells += ["–", t["result"] if t else "–", floor_cell(t) if t else "–"]
                continue
            pr = f" ({t['paired_min']:.2f}–{t['paired_max']:.2f})" if t["paired_min"] is not None else ""
            res = "**MISS**" if t["result"] == "MISS" else t["result"]
            cells += [f"{t['measured']:.3f}{pr}", res, floor_cell(t)]
        mname = "IOPS" if metric == "iops" else "p50"
        out.append(f"| {tool} | {w} | {mname} {ratio_of} | {target} | " + " | ".join(cells) + " |")
    out.append("")
    out.append(FLOOR_NOTE)
    out.append("")
    return "\n".join(out)


def cmd_report(a):
    reps = []
    for path in a.records:
        run = load(path)
        if not run["x"]:
            print(f"report: no measurements (X records) in {path}", file=sys.stderr)
            return 1
        rep = build(run)
        rep["meta"]["records"] = os.path.relpath(path, REPO) if path.startswith(REPO) else path
        reps.append(rep)
    os.makedirs(a.out, exist_ok=True)
    base = os.path.join(a.out, a.name)
    # One kernel: the report as it always was. Several: a JSON list of the
    # per-kernel reports, and a Markdown file that starts with one target
    # table across the kernels, followed by each kernel's report.
    with open(base + ".json", "w", encoding="utf-8") as f:
        json.dump(reps[0] if len(reps) == 1 else {"tool": "uringblk-report", "schema": 1, "kernels": reps}, f, indent=1)
        f.write("\n")
    with open(base + ".md", "w", encoding="utf-8") as f:
        if len(reps) > 1:
            f.write("# uringblk benchmark report, " + ", ".join(r["meta"].get("kernel", "?") for r in reps) + "\n\n")
            f.write(targets_by_kernel(reps) + "\n")
            f.write("\n".join(markdown(r).replace("# uringblk benchmark report", "# Kernel " + r["meta"].get("kernel", "?"), 1)
                              for r in reps))
        else:
            f.write(markdown(reps[0]))
    with open(base + ".svg", "w", encoding="utf-8") as f:
        f.write(svg(reps[0]))
    for rep in reps:
        n = {"PASS": 0, "MISS": 0, "n/a": 0}
        for t in rep["targets"]:
            if t["result"] in n:
                n[t["result"]] += 1
        print(f"report: {base}.json, .md, .svg: {rep['meta'].get('kernel', '?')}: targets {n['PASS']} PASS, "
              f"{n['MISS']} MISS, {n['n/a']} n/a")
    return 0


def cmd_gate(a):
    with open(a.floors, encoding="utf-8") as f:
        floors = json.load(f)
    run = load(a.records)
    res = summarize(run)
    rows = []
    failed = 0
    for row in floors["rows"]:
        num_dev, den_dev = row["ratio"].split("/")
        r = ratio(res, row["workload"], row["tool"], num_dev, den_dev)
        nreps = min((res.get(row["workload"], {}).get(row["tool"], {}).get(d, {}).get("n", 0)
                     for d in (num_dev, den_dev)))
        fl = float(row["floor"])
        if r is None:
            verdict, meas, margin = "FAIL", None, None
        else:
            meas = r["ratio"]
            margin = meas - fl
            verdict = "PASS" if meas >= fl else "FAIL"
        failed += verdict == "FAIL"
        rows.append({"workload": row["workload"], "tool": row["tool"], "ratio_of": row["ratio"], "floor": fl,
                     "measured": meas, "margin": margin, "reps": nreps,
                     "paired": r["paired"] if r else [], "paired_min": r["paired_min"] if r else None,
                     "paired_max": r["paired_max"] if r else None, "result": verdict})
    print(f"perf-gate: kernel {run['meta'].get('kernel', '?')}, {run['meta'].get('reps', '?')} reps × "
          f"{run['meta'].get('runtime_s', '?')} s, {run['meta'].get('cpus', '?')} vCPUs; "
          f"clock: {run['meta'].get('clock', 'host')}; ratio = median IOPS of the run")
    base_k = floors.get("settings", {}).get("baseline_kernel")
    if base_k and run["meta"].get("kernel") not in (None, base_k):
        print(f"perf-gate: note: the floors were measured on {base_k}, this run is on "
              f"{run['meta'].get('kernel')}: a block-layer change moves the ratios too (re-baseline with a note)")
    hdr = f"{'workload':30} {'tool':10} {'ratio':13} {'measured':>8} {'floor':>6} {'margin':>7} {'paired min-max':>15}  result"
    print(hdr)
    print("-" * len(hdr))
    for r in rows:
        meas = f"{r['measured']:.3f}" if r["measured"] is not None else "-"
        mar = f"{r['margin']:+.3f}" if r["margin"] is not None else "-"
        pr = f"{r['paired_min']:.3f}-{r['paired_max']:.3f}" if r["paired_min"] is not None else "-"
        print(f"{r['workload']:30} {r['tool']:10} {r['ratio_of']:13} {meas:>8} {r['floor']:6.2f} {mar:>7} {pr:>15}  {r['result']}")
    out = {"tool": "uringblk-perf-gate", "schema": 1, "meta": run["meta"], "floors": os.path.relpath(a.floors, REPO),
           "rows": rows, "result": "FAIL" if failed else "PASS"}
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"perf-gate: {'FAIL' if failed else 'PASS'} ({failed} of {len(rows)} below the floor); {a.out}")
    return 1 if failed else 0


def main():
    argv = sys.argv[1:]
    gate = bool(argv) and argv[0] == "gate"
    if gate:
        argv = argv[1:]
    p = argparse.ArgumentParser(prog="bench/report.py" + (" gate" if gate else ""))
    if gate:
        p.add_argument("--records", default=os.path.join(REPO, "build/bench/records.tsv"))
        p.add_argument("--floors", default=os.path.join(REPO, "bench/gate.json"))
        p.add_argument("--out", default=os.path.join(REPO, "build/bench/gate.json"))
    else:
        p.add_argument("--records", nargs="+", default=[os.path.join(REPO, "build/bench/records.tsv")],
                       help="one records file per kernel (several: one target table across them)")
        p.add_argument("--out", default=os.path.join(REPO, "build/bench"))
        p.add_argument("--name", default="report")
    a = p.parse_args(argv)
    for path in ([a.records] if gate else a.records):
        if not os.path.isfile(path):
            print(f"report: {path}: no such file (bench/run.sh writes it)", file=sys.stderr)
            return 2
    return cmd_gate(a) if gate else cmd_report(a)


if __name__ == "__main__":
    sys.exit(main())
