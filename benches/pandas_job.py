"""The job of benches/job_million.rs written with pandas, the way an analyst would: the peer
pantau is compared with (issue 5 asks pantau to be at least 8x faster).

Usage: python benches/pandas_job.py ROSTER.xlsx RESPONSES.xlsx OUT.xlsx
Needs: the pinned pandas, python-calamine and xlsxwriter of benches/peers.sh.

ROSTER.xlsx is the synthetic benchmark roster (one sheet, Indonesian headers); RESPONSES.xlsx
holds one sheet per wave (baseline, m3, m6), a participant_id column and one column per answer.
The script reads both with read_excel(engine="calamine"), merges the answers with the roster
and with each participant's baseline, computes the headline indicators overall and by wave x
cohort and wave x sex (response rate, share working, share earning, mean and median income,
mean and median income change since baseline, share registered with BPJS Ketenagakerjaan),
builds a pseudonymised participant sheet (one row per participant, the roster without names,
NIKs, phones or birth dates, then every wave's answers) and writes it all with
to_excel(engine="xlsxwriter").

Prints "STEP name wall-seconds cpu-seconds" for read, merge, indicators, table, compute (merge + indicators +
table) and write, then "STEP total …" and the sheet sizes. Peak memory is measured by the
caller (/usr/bin/time -v).
"""

import sys
import time

import pandas as pd

# Roster headers as the synthetic generator writes them (clean style), and what they mean.
ROSTER_COLUMNS = {
    "ID Peserta": "participant_id",
    "NIK": "nik",
    "Nama Lengkap": "name",
    "Jenis Kelamin": "sex",
    "Tanggal Lahir": "birth_date",
    "No. HP": "phone",
    "Provinsi": "province",
    "Kabupaten/Kota": "regency",
    "Federasi": "federation",
    "Serikat Pekerja": "union",
    "Sektor": "sector",
    "Upah Terakhir": "last_wage",
    "Angkatan": "cohort",
    "Sesi 1": "attended_1",
    "Sesi 2": "attended_2",
    "Sesi 3": "attended_3",
}
# Personal data: never in the donor's participant sheet.
PERSONAL = ["nik", "name", "birth_date", "phone"]
WORKING = ["wage", "self", "both"]


def clock() -> tuple:
    """Wall and CPU seconds so far."""
    return (time.perf_counter(), time.process_time())


def report(name: str, started: tuple) -> None:
    now = clock()
    print(f"STEP {name} {now[0] - started[0]:.3f} {now[1] - started[1]:.3f}", flush=True)


def step(name: str, started: tuple) -> tuple:
    report(name, started)
    return clock()


def indicators(frame: pd.DataFrame, keys: list) -> pd.DataFrame:
    """The headline indicators of `frame` (one row per response) grouped by `keys`."""
    grouped = frame.groupby(keys, observed=True, dropna=False)
    table = grouped.agg(
        responded=("participant_id", "size"),
        share_working=("working", "mean"),
        share_earning=("earning", "mean"),
        income_mean=("income_total", "mean"),
        income_median=("income_total", "median"),
        change_n=("income_change", "count"),
        change_mean=("income_change", "mean"),
        change_median=("income_change", "median"),
        share_bpjs=("bpjs", "mean"),
    )
    return table.reset_index()


def main() -> None:
    roster_path, responses_path, out_path = sys.argv[1:4]
    begin = clock()

    started = clock()
    roster = pd.read_excel(roster_path, engine="calamine")
    waves = pd.read_excel(responses_path, sheet_name=None, engine="calamine")
    started = step("read", started)
    compute_started = started

    roster = roster.rename(columns=ROSTER_COLUMNS)
    invited = len(roster)
    frames = []
    for wave, frame in waves.items():
        frame = frame.copy()
        frame["wave"] = wave
        frames.append(frame)
    responses = pd.concat(frames, ignore_index=True)
    baseline = waves["baseline"][["participant_id", "income_total"]].rename(
        columns={"income_total": "baseline_income_total"}
    )
    merged = responses.merge(baseline, on="participant_id", how="left")
    merged = merged.merge(
        roster[["participant_id", "sex", "cohort", "province", "last_wage"]],
        on="participant_id",
        how="left",
        validate="many_to_one",
    )
    started = step("merge", started)

    income = pd.to_numeric(merged["income_total"], errors="coerce")
    merged["income_total"] = income
    merged["working"] = merged["work_status"].isin(WORKING)
    merged["earning"] = income.fillna(0) > 0
    merged["income_change"] = income - pd.to_numeric(
        merged["baseline_income_total"], errors="coerce"
    )
    merged["bpjs"] = merged["bpjs_registered"].eq("yes")
    overall = indicators(merged, ["wave"])
    overall["response_rate"] = overall["responded"] / invited
    by_cohort = indicators(merged, ["wave", "cohort"])
    by_sex = indicators(merged, ["wave", "sex"])
    roster_by = {
        "cohort": roster.groupby("cohort").size().rename("invited"),
        "sex": roster.groupby("sex").size().rename("invited"),
    }
    by_cohort = by_cohort.merge(roster_by["cohort"], left_on="cohort", right_index=True)
    by_cohort["response_rate"] = by_cohort["responded"] / by_cohort["invited"]
    by_sex = by_sex.merge(roster_by["sex"], left_on="sex", right_index=True)
    by_sex["response_rate"] = by_sex["responded"] / by_sex["invited"]
    started = step("indicators", started)

    table = roster.drop(columns=PERSONAL)
    table.insert(0, "pseudonym", ["P-%07d" % n for n in range(1, len(table) + 1)])
    for wave, frame in waves.items():
        answers = frame.rename(
            columns={c: f"{wave}.{c}" for c in frame.columns if c != "participant_id"}
        )
        answers[f"{wave}.responded"] = 1
        table = table.merge(answers, on="participant_id", how="left")
        table[f"{wave}.responded"] = table[f"{wave}.responded"].fillna(0).astype(int)
    table = table.drop(columns=["participant_id"])
    started = step("table", started)
    report("compute", compute_started)

    # A million-row participant sheet is more than 4 GB of XML before compression: XlsxWriter
    # refuses to write it without ZIP64 records (which Excel and LibreOffice read).
    with pd.ExcelWriter(
        out_path, engine="xlsxwriter", engine_kwargs={"options": {"use_zip64": True}}
    ) as writer:
        overall.to_excel(writer, sheet_name="Logframe", index=False)
        by_cohort.to_excel(writer, sheet_name="By cohort", index=False)
        by_sex.to_excel(writer, sheet_name="By sex", index=False)
        table.to_excel(writer, sheet_name="Participants", index=False)
    started = step("write", started)
    report("total", begin)
    print(f"participants sheet {table.shape[0]} x {table.shape[1]}")
    print(overall.to_string(index=False))


if __name__ == "__main__":
    main()
