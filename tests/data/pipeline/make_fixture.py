import csv, random
rng = random.Random(20261129)
N = 64
unions = [("KSPI","FSPMI","SPN"),("KSPSI","FSP TSK","SP TSK"),("KSPI","FSPMI","FSPMI Bekasi")]
provinces = ["Jawa Barat"]*5 + ["Banten"]*2 + ["DKI Jakarta"]
rows = []
for i in range(1, N+1):
    pid = f"P{i:03d}"
    sex = "L" if i % 3 else "P"
    # ages at 2026-11-29: 50+ only 6 people, <30 12, rest 30-49
    if i <= 6: year = 1968 + i          # 50+ (1969..1974 -> 52..57)
    elif i <= 18: year = 1998 + (i % 5)  # <30
    elif i <= 40: year = 1987 + (i % 9)  # 30-39 (1987..1995 -> 31..39)
    else: year = 1978 + (i % 9)          # 40-49 (1978..1986 -> 40..48)
    birth = f"{year}-{(i % 12) + 1:02d}-{(i % 27) + 1:02d}"
    cohort = "C1" if i <= 40 else "C2"
    training = "2026-03-01" if cohort == "C1" else "2026-06-01"
    location = "Bekasi" if i % 4 else "Sukabumi"
    conf, fed, union = unions[i % 3]
    wage = "" if i % 11 == 0 else str(3_500_000 + (i * 37_000) % 2_000_000)
    a1 = 1
    a2 = 0 if i % 5 == 0 else 1
    a3 = 0 if i % 5 == 0 or i % 7 == 0 else 1
    disability = "Ya" if i in (9, 30, 52) else "Tidak"
    rows.append([pid, f"Peserta {i}", sex, birth, f"0812{i:08d}", provinces[i % 8], conf, fed, union,
                 cohort, location, training, wage, a1, a2, a3, disability])
with open("roster.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["ID Peserta","Nama Lengkap","Jenis Kelamin","Tgl Lahir","No HP/WA","Provinsi",
                "Konfederasi","Federasi","Serikat Pekerja","Angkatan","Lokasi Pelatihan",
                "Tanggal Pelatihan","Upah Terakhir","Hadir Sesi 1","Hadir Sesi 2","Hadir Sesi 3",
                "Disabilitas"])
    w.writerows(rows)

cols = ["participant_id","wave","status","opens_at","closes_at","submitted_at","work_status",
        "income_wage","income_resell","income_business","income_other","income_total",
        "still_resell","bpjs_registered","bpjs_member_type","uses_wa_business","digital_payments"]
out = []
def answers(i, wave):
    r = random.Random(i * 31 + len(wave) * 7 + ord(wave[-1]))
    status = r.choice(["wage","self","both","none","self","wage"])
    wage = resell = business = other = ""
    if status in ("wage","both"): wage = r.choice([2_800_000, 3_200_000, 4_100_000, 5_000_000])
    if status in ("self","both"):
        resell = r.choice([0, 400_000, 750_000, 1_200_000])
        business = r.choice(["", 500_000, 1_000_000])
    if status == "none": other = r.choice([0, 0, 300_000])
    total = sum(x for x in (wage, resell, business, other) if x != "")
    still = ("yes" if resell not in ("", 0) else "no") if status in ("self","both") else ""
    reg = r.choice(["yes","yes","no","dk"])
    mtype = r.choice(["pu","bpu","dk"]) if reg == "yes" else ""
    wa = r.choice(["yes","no"])
    pay = r.choice(["qris ewallet","bank","none","ewallet"])
    return [status, wage, resell, business, other, total, still, reg, mtype, wa, pay]
for i in range(1, N+1):
    pid = f"P{i:03d}"
    c1 = i <= 40
    waves = [("baseline","2026-01-31T17:00:00Z","2026-03-02T17:00:00Z","2026-02-10T03:00:00Z")]
    if c1:
        waves.append(("m3","2026-05-31T17:00:00Z","2026-06-30T17:00:00Z","2026-06-12T04:00:00Z"))
        waves.append(("m6","2026-08-31T17:00:00Z","2026-09-30T17:00:00Z","2026-09-15T05:00:00Z"))
    else:
        waves.append(("m3","2026-08-31T17:00:00Z","2026-09-30T17:00:00Z","2026-09-10T06:00:00Z"))
    for wave, opens, closes, at in waves:
        # who answers: baseline most; m3 fewer (50+ mostly silent); m6 fewer still
        if wave == "baseline": responds = i % 8 != 0
        elif wave == "m3": responds = (i % 4 != 0) and not (i <= 6 and i % 2 == 0)
        else: responds = i % 3 != 0
        if responds:
            a = answers(i, wave)
            if pid == "P010" and wave == "m3": a[5] = a[5] + 250_000  # sources disagree with total
            if pid == "P013" and wave == "m6": at = "2026-10-05T02:00:00Z"  # after the window
            out.append([pid, wave, "submitted", opens, closes, at] + a)
        else:
            status = "declined" if i == 16 else ("opened" if i % 5 == 0 else "expired")
            out.append([pid, wave, status, opens, closes, ""] + [""] * 11)
with open("invitations.csv", "w", newline="") as f:
    w = csv.writer(f); w.writerow(cols); w.writerows(out)
