#!/usr/bin/env python3
"""Expected figures for the hand-checked pipeline fixture, computed without pantau's code.

Reads roster.csv and invitations.csv beside this file and prints, for a chosen set of
indicators, the overall figure and some disaggregated cells as
`indicator wave dimension=category: value numerator n` (or `suppressed`). The figures follow
the definitions in pantau.example.toml and the design's suppression rule: a cell of 1 to 4
participants is hidden, and when a table has exactly one hidden cell, the smallest other
non-empty cell is hidden with it. Ages are taken on the report date, 2026-11-29 (Jakarta).

Run: python3 tests/data/pipeline/expected.py
"""
import csv
import datetime
import os
import statistics

HERE = os.path.dirname(os.path.abspath(__file__))
ON = datetime.date(2026, 11, 29)
THRESHOLD = 5


def read(name):
    with open(os.path.join(HERE, name), newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def age_group(birth):
    born = datetime.date.fromisoformat(birth)
    age = ON.year - born.year - ((ON.month, ON.day) < (born.month, born.day))
    if age < 30:
        return "<30"
    if age < 40:
        return "30-39"
    if age < 50:
        return "40-49"
    return "50+"


people = {}
for row in read("roster.csv"):
    people[row["ID Peserta"]] = {
        "sex": row["Jenis Kelamin"],
        "age_group": age_group(row["Tgl Lahir"]),
        "union": row["Serikat Pekerja"],
        "cohort": row["Angkatan"],
        "disability": "1" if row["Disabilitas"] == "Ya" else "0",
        "wage": float(row["Upah Terakhir"]) if row["Upah Terakhir"] else None,
        "attended": [row[f"Hadir Sesi {n}"] == "1" for n in (1, 2, 3)],
    }

waves = {"baseline": {}, "m3": {}, "m6": {}}
for row in read("invitations.csv"):
    answers = None
    if row["status"] == "submitted":
        answers = {k: v for k, v in row.items() if v != ""}
    waves[row["wave"]][row["participant_id"]] = answers


def money(answers, name):
    if answers is None or answers.get(name, "") == "":
        return None
    return float(answers[name])


# One function per indicator: each returns, for a participant in a wave, (in_n, in_numerator)
# for shares, or the value for medians and means (None when it does not count).
def response(wave):
    return lambda pid, a: (True, a is not None)


def share_working(pid, a):
    if a is None:
        return (False, False)
    return (True, a["work_status"] in ("wage", "self", "both"))


def bpjs_registered(pid, a):
    if a is None:
        return (False, False)
    return (True, a.get("bpjs_registered") == "yes")


def income(pid, a):
    return money(a, "income_total")


def share(records, rule):
    n = num = 0
    for pid, a in records:
        inside, hit = rule(pid, a)
        if inside:
            n += 1
            num += hit
    return (num / n if n else None, num, n)


def average(kind):
    def figure(records, rule):
        values = [v for v in (rule(pid, a) for pid, a in records) if v is not None]
        if not values:
            return (None, 0, 0)
        value = statistics.median(values) if kind == "median" else statistics.mean(values)
        return (value, len(values), len(values))
    return figure


def breakdown(records, figure, rule, dimension):
    groups = {}
    for pid, a in records:
        groups.setdefault(people[pid][dimension], []).append((pid, a))
    cells = [(category, figure(groups[category], rule)) for category in sorted(groups)]
    hidden = [0 < f[2] < THRESHOLD for _, f in cells]
    if sum(hidden) == 1:
        others = [(f[2], i) for i, (_, f) in enumerate(cells) if not hidden[i] and f[2] > 0]
        if others:
            hidden[min(others)[1]] = True
    return [(c, None if h else f) for (c, f), h in zip(cells, hidden)]


def show(indicator, wave, label, figure):
    if figure is None:
        print(f"{indicator} {wave} {label}: suppressed")
    else:
        value, numerator, n = figure
        print(f"{indicator} {wave} {label}: {value!r} {numerator} {n}")


def report(indicator, wave, figure, rule, dimensions=()):
    records = list(waves[wave].items()) if wave != "roster" else [(p, None) for p in people]
    overall = figure(records, rule)
    show(indicator, wave, "overall", None if 0 < overall[2] < THRESHOLD else overall)
    for dimension in dimensions:
        for category, cell in breakdown(records, figure, rule, dimension):
            show(indicator, wave, f"{dimension}={category}", cell)


count = lambda records, rule: (
    float(sum(1 for pid, a in records if rule(pid, a))),
    sum(1 for pid, a in records if rule(pid, a)),
    sum(1 for pid, a in records if rule(pid, a)),
)

report("enrolled", "roster", count, lambda pid, a: True, ["sex"])
report("completed_training", "roster", count, lambda pid, a: all(people[pid]["attended"]))
report("pre_layoff_wage_median", "roster", average("median"), lambda pid, a: people[pid]["wage"])
for wave in ("baseline", "m3", "m6"):
    report("response_rate", wave, share, response(wave))
report("response_rate", "m3", share, response("m3"), ["cohort", "disability"])
report("share_working", "m3", share, share_working, ["union"])
report("income_median", "m3", average("median"), income, ["age_group"])
report("income_mean", "baseline", average("mean"), income)
report("bpjs_registered", "m3", share, bpjs_registered, ["sex"])


def change(records, rule):
    diffs = []
    for pid, a in records:
        now, before = money(a, "income_total"), money(waves["baseline"].get(pid), "income_total")
        if now is not None and before is not None:
            diffs.append(now - before)
    return (statistics.median(diffs) if diffs else None, len(diffs), len(diffs))


report("income_change", "m6", change, None)


def rose(pid, a):
    before = money(waves["baseline"].get(pid), "income_total")
    if a is None or before is None:
        return (False, False)
    return (True, money(a, "income_total") > before)


report("share_income_rose", "m6", share, rose)


# Data-quality flags the fixture must raise, by code.
flags = {}
for row in read("invitations.csv"):
    if row["status"] != "submitted":
        continue
    key = (row["participant_id"], row["wave"])
    total = float(row["income_total"])
    sources = [float(row[k]) for k in ("income_wage", "income_resell", "income_business",
                                       "income_other") if row[k] != ""]
    wage = people[row["participant_id"]]["wage"]
    if sources and abs(sum(sources) - total) >= 1:
        flags.setdefault("income_sum_mismatch", []).append(key)
    if wage and total > 0 and (total > 10 * wage or total * 10 < wage):
        flags.setdefault("income_implausible", []).append(key)
    if not (row["opens_at"] <= row["submitted_at"] < row["closes_at"]):
        flags.setdefault("out_of_window", []).append(key)
for code in sorted(flags):
    print(f"flag {code}: {len(flags[code])} {sorted(flags[code])}")
