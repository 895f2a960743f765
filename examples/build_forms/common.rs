//! The parts the baseline and the follow-up share: work, reselling, income, BPJS
//! Ketenagakerjaan, digital tools, credit, satisfaction, and their choice lists.

use crate::{Line, choice, end_group, row};

/// Integer rupiah amounts: between 0 and Rp 100.000.000 a month.
pub const RUPIAH: &str = ". >= 0 and . <= 100000000";
pub const RUPIAH_MSG_ID: &str =
    "Tulis angka antara 0 dan 100000000 (seratus juta), tanpa titik atau koma.";
pub const RUPIAH_MSG_EN: &str =
    "Enter a number between 0 and 100000000 (one hundred million), without dots or commas.";

/// Someone who is working (wage job, own business or both).
pub const WORKING: &str = "${work_status} != 'none'";
/// Someone with a wage job.
pub const WAGE: &str = "selected(${work_status}, 'wage') or selected(${work_status}, 'both')";
/// Someone with an own business or reselling.
pub const SELF: &str = "selected(${work_status}, 'self') or selected(${work_status}, 'both')";
/// Someone who resold through the platform last month.
pub const RESELLER: &str = "${still_resell} = 'yes'";

/// An expression that shows the digits of the number in `${field}` with dots between the
/// thousands, the Indonesian way (3500000 → 3.500.000), for amounts of up to nine digits; longer
/// values are shown as they are.
pub fn thousands(field: &str) -> String {
    let s = format!("${{{field}}}");
    let n = format!("string-length({s})");
    format!(
        "if({n} > 9, {s}, if({n} > 6, concat(substr({s}, 0, {n} - 6), '.', substr({s}, {n} - 6, {n} - 3), '.', substr({s}, {n} - 3)), if({n} > 3, concat(substr({s}, 0, {n} - 3), '.', substr({s}, {n} - 3)), {s})))"
    )
}

/// Current work status.
pub fn work_status() -> Line {
    row("select_one work_status", "work_status")
        .label(
            "Saat ini, apa pekerjaan Anda?",
            "What is your work situation now?",
        )
        .hint(
            "Pilih satu jawaban yang paling sesuai.",
            "Choose the one answer that fits best.",
        )
        .req()
}

/// Reselling through the platform, and sales and commission last month.
pub fn reselling(still_resell_id: &str, still_resell_en: &str) -> Vec<Line> {
    vec![
        row("select_one yes_no", "still_resell")
            .label(still_resell_id, still_resell_en)
            .hint(
                "Jawab 'Tidak' jika Anda belum pernah atau sudah berhenti berjualan sebagai reseller.",
                "Answer 'No' if you have never sold as a reseller or have stopped.",
            )
            .req(),
        row("note", "resell_mismatch")
            .label(
                "Tadi Anda menjawab 'Tidak bekerja'. Berjualan sebagai reseller juga termasuk bekerja (usaha sendiri). Jika perlu, tekan Kembali dan ubah jawaban Anda.",
                "You answered 'Not working' earlier. Selling as a reseller also counts as work (own business). If needed, go back and change your answer.",
            )
            .relevant("${work_status} = 'none' and ${still_resell} = 'yes'"),
        row("begin_group", "resell")
            .label("Penjualan sebagai reseller", "Sales as a reseller")
            .relevant(RESELLER)
            .appearance("field-list"),
        row("integer", "resell_sales")
            .label(
                "Berapa total penjualan Anda sebagai reseller BULAN LALU (dalam rupiah)?",
                "What were your total sales as a reseller LAST MONTH (in rupiah)?",
            )
            .hint(
                "Harga semua barang yang terjual. Tulis angka saja, tanpa titik. Contoh: 1500000 untuk Rp 1.500.000. Tulis 0 jika tidak ada.",
                "The price of everything you sold. Numbers only, no dots. Example: 1500000 for Rp 1,500,000. Enter 0 if none.",
            )
            .req()
            .constraint(RUPIAH, RUPIAH_MSG_ID, RUPIAH_MSG_EN)
            .appearance("numbers"),
        row("integer", "resell_commission")
            .label(
                "Berapa komisi yang Anda terima dari penjualan itu BULAN LALU?",
                "How much commission did you receive from those sales LAST MONTH?",
            )
            .hint(
                "Contoh: 150000 untuk Rp 150.000. Tulis 0 jika belum ada.",
                "Example: 150000 for Rp 150,000. Enter 0 if none yet.",
            )
            .req()
            .constraint(
                ". >= 0 and . <= 100000000 and . <= ${resell_sales}",
                "Komisi tidak bisa lebih besar dari total penjualan. Tulis angka saja, tanpa titik.",
                "The commission cannot be more than the total sales. Numbers only, no dots.",
            )
            .appearance("numbers"),
        end_group(),
    ]
}

/// Monthly income by source, the total, and the plausibility check of the total.
pub fn income() -> Vec<Line> {
    let amount = |name: &str, id: &str, en: &str, relevant: &str| {
        row("integer", name)
            .label(id, en)
            .hint(
                "Tulis angka saja, tanpa titik. Contoh: 3500000 untuk Rp 3.500.000. Tulis 0 jika tidak ada.",
                "Numbers only, no dots. Example: 3500000 for Rp 3,500,000. Enter 0 if none.",
            )
            .req()
            .relevant(relevant)
            .constraint(RUPIAH, RUPIAH_MSG_ID, RUPIAH_MSG_EN)
            .appearance("numbers")
    };
    vec![
        row("begin_group", "income")
            .label("Penghasilan bulan lalu", "Income last month")
            .relevant(&format!("{WORKING} or {RESELLER}"))
            .appearance("field-list"),
        row("note", "income_intro").label(
            "Berapa penghasilan bersih Anda BULAN LALU dari setiap sumber di bawah ini? (dalam rupiah)",
            "How much did you earn, after costs, LAST MONTH from each source below? (in rupiah)",
        ),
        amount(
            "income_wage",
            "Gaji atau upah sebagai karyawan/buruh",
            "Wages or salary as an employee",
            WAGE,
        ),
        amount(
            "income_resell",
            "Berjualan sebagai reseller (komisi Rp ${resell_commission} tadi, ditambah keuntungan lain jika ada)",
            "Reselling (the commission of Rp ${resell_commission} you gave, plus any other profit)",
            RESELLER,
        ),
        amount(
            "income_business",
            "Usaha sendiri yang lain (bukan reseller), setelah dikurangi biaya",
            "Other own business (not reselling), after costs",
            SELF,
        ),
        amount(
            "income_other",
            "Pekerjaan lain, misalnya kerja harian atau ojek",
            "Other work, for example day labour or motorbike taxi",
            WORKING,
        ),
        end_group(),
        row("calculate", "income_total").calc(
            "coalesce(${income_wage}, 0) + coalesce(${income_resell}, 0) + coalesce(${income_business}, 0) + coalesce(${income_other}, 0)",
        ),
        row("calculate", "income_total_fmt").calc(&thousands("income_total")),
        row("select_one confirm", "income_confirm")
            .label(
                "Total penghasilan Anda bulan lalu: Rp ${income_total_fmt}. Apakah jumlah ini benar?",
                "Your total income last month: Rp ${income_total_fmt}. Is this correct?",
            )
            .hint(
                "Kami bertanya karena jumlahnya sangat besar atau nol.",
                "We ask because the amount is very large or zero.",
            )
            .req()
            .relevant(&format!(
                "${{income_total}} > 50000000 or (${{income_total}} = 0 and {WORKING})"
            ))
            .constraint(
                ". = 'yes'",
                "Silakan tekan Kembali dan perbaiki jumlah penghasilan Anda.",
                "Please go back and correct the amounts.",
            ),
    ]
}

/// BPJS Ketenagakerjaan: registration, member type, programmes, payment, KPJ number.
pub fn bpjs() -> Vec<Line> {
    vec![
        row("begin_group", "bpjs").label("BPJS Ketenagakerjaan", "BPJS Ketenagakerjaan (social security)"),
        row("select_one yes_no_dk", "bpjs_registered")
            .label(
                "Apakah saat ini Anda terdaftar sebagai peserta BPJS Ketenagakerjaan (BPJAMSOSTEK)?",
                "Are you currently registered with BPJS Ketenagakerjaan (BPJAMSOSTEK)?",
            )
            .hint(
                "Ini berbeda dengan BPJS Kesehatan (KIS).",
                "This is not the same as BPJS Kesehatan (health insurance).",
            )
            .req(),
        row("begin_group", "bpjs_details").relevant("${bpjs_registered} = 'yes'"),
        row("select_one member_type", "bpjs_member_type")
            .label(
                "Anda terdaftar sebagai peserta apa?",
                "What kind of member are you?",
            )
            .hint(
                "Penerima Upah (PU): didaftarkan oleh perusahaan tempat Anda bekerja. Bukan Penerima Upah (BPU): mendaftar sendiri, misalnya sebagai pekerja mandiri.",
                "Wage earner (PU): registered by your employer. Non-wage earner (BPU): registered yourself, for example as self-employed.",
            )
            .req(),
        row("select_multiple bpjs_programme", "bpjs_programmes")
            .label(
                "Program BPJS Ketenagakerjaan apa saja yang Anda ikuti?",
                "Which BPJS Ketenagakerjaan programmes are you in?",
            )
            .hint(
                "Boleh pilih lebih dari satu. Bisa dilihat di kartu atau aplikasi JMO.",
                "You may choose more than one. You can check the card or the JMO app.",
            )
            .req()
            .constraint(
                "not(selected(., 'dk') and count-selected(.) > 1)",
                "'Tidak tahu' tidak bisa dipilih bersama jawaban lain.",
                "'Don't know' cannot be combined with other answers.",
            )
            .filter("pu_only = 'no' or ${bpjs_member_type} = 'pu'"),
        row("select_one yes_no_dk", "bpjs_paid_last_month")
            .label(
                "Apakah iuran BPJS Ketenagakerjaan Anda untuk bulan lalu sudah dibayar?",
                "Was your BPJS Ketenagakerjaan contribution for last month paid?",
            )
            .hint(
                "Dibayar oleh Anda sendiri atau oleh perusahaan.",
                "Paid by you or by your employer.",
            )
            .req(),
        row("text", "bpjs_kpj")
            .label(
                "Nomor kepesertaan (KPJ) Anda, jika Anda tahu",
                "Your membership number (KPJ), if you know it",
            )
            .hint(
                "Boleh dikosongkan. Nomor KPJ ada 11 angka, tertulis di kartu BPJS Ketenagakerjaan atau di aplikasi JMO.",
                "You may leave this empty. The KPJ number has 11 digits; it is on the BPJS Ketenagakerjaan card or in the JMO app.",
            )
            .constraint(
                "regex(., '^[0-9]{11}$')",
                "Nomor KPJ terdiri dari 11 angka. Periksa lagi, atau kosongkan.",
                "A KPJ number has 11 digits. Please check it, or leave it empty.",
            )
            .appearance("numbers"),
        end_group(),
        row("select_one yes_no_dk", "bpjs_want_register")
            .label(
                "Apakah Anda ingin mendaftar BPJS Ketenagakerjaan sebagai peserta mandiri (Bukan Penerima Upah)?",
                "Would you like to register with BPJS Ketenagakerjaan as a self-employed (non-wage) member?",
            )
            .req()
            .relevant("${bpjs_registered} = 'no'"),
        end_group(),
    ]
}

/// WhatsApp Business, digital payments and KUR credit. `kur_period_*` is the time frame of the
/// credit question ("Dalam 12 bulan terakhir", "Sejak survei sebelumnya", ...).
pub fn digital(kur_period_id: &str, kur_period_en: &str) -> Vec<Line> {
    vec![
        row("begin_group", "digital").label("HP, pembayaran, dan modal", "Phone, payments and credit"),
        row("select_one yes_no", "uses_wa_business")
            .label(
                "Apakah Anda memakai WhatsApp Business (aplikasi WhatsApp khusus usaha)?",
                "Do you use WhatsApp Business (the WhatsApp app for businesses)?",
            )
            .hint(
                "Ikonnya berwarna hijau dengan huruf B di dalamnya.",
                "Its icon is green with a letter B inside.",
            )
            .req(),
        row("select_multiple digital_payment", "digital_payments")
            .label(
                "Dalam sebulan terakhir, cara apa saja yang Anda pakai untuk menerima atau membayar uang?",
                "In the last month, which of these did you use to receive or pay money?",
            )
            .hint("Boleh pilih lebih dari satu.", "You may choose more than one.")
            .req()
            .constraint(
                "not(selected(., 'none') and count-selected(.) > 1)",
                "'Tidak memakai semua ini' tidak bisa dipilih bersama jawaban lain.",
                "'None of these' cannot be combined with other answers.",
            ),
        row("select_one kur", "kur_access")
            .label(
                &format!("{kur_period_id}, apakah Anda pernah mengajukan pinjaman KUR (Kredit Usaha Rakyat) ke bank?"),
                &format!("{kur_period_en}, have you applied to a bank for a KUR loan (People's Business Credit)?"),
            )
            .hint(
                "KUR adalah pinjaman modal usaha dengan bunga rendah dari pemerintah melalui bank.",
                "KUR is a low-interest business loan from the government through banks.",
            )
            .req(),
        end_group(),
    ]
}

/// Satisfaction, what helped most, what would help, comments, thanks.
pub fn closing(most_helpful_id: &str, most_helpful_en: &str) -> Vec<Line> {
    vec![
        row("begin_group", "feedback").label("Pendapat Anda", "Your opinion"),
        row("select_one satisfaction", "satisfaction")
            .label(
                "Secara umum, seberapa puas Anda dengan program ini?",
                "Overall, how satisfied are you with this programme?",
            )
            .req(),
        row("select_one helpful", "most_helpful")
            .label(most_helpful_id, most_helpful_en)
            .req(),
        row("text", "most_helpful_other")
            .label(
                "Sebutkan yang paling membantu:",
                "Please say what helped most:",
            )
            .req()
            .relevant("${most_helpful} = 'other'"),
        row("select_one help", "what_would_help")
            .label(
                "Apa yang paling bisa membantu Anda sekarang untuk mendapat penghasilan?",
                "What would help you most now to earn an income?",
            )
            .req(),
        row("text", "what_would_help_other")
            .label(
                "Sebutkan apa yang bisa membantu:",
                "Please say what would help:",
            )
            .req()
            .relevant("${what_would_help} = 'other'"),
        row("text", "comments").label(
            "Ada saran atau cerita lain untuk kami? (boleh dikosongkan)",
            "Any other suggestion or story for us? (optional)",
        ),
        end_group(),
        row("note", "thanks").label(
            "Terima kasih atas waktu dan jawaban Anda!",
            "Thank you for your time and your answers!",
        ),
    ]
}

/// The choice lists both forms use.
pub fn choices() -> Vec<Line> {
    vec![
        choice("yes_no", "yes", "Ya", "Yes"),
        choice("yes_no", "no", "Tidak", "No"),
        choice("yes_no_dk", "yes", "Ya", "Yes"),
        choice("yes_no_dk", "no", "Tidak", "No"),
        choice("yes_no_dk", "dk", "Tidak tahu", "Don't know"),
        choice(
            "work_status",
            "wage",
            "Bekerja sebagai karyawan atau buruh (digaji orang lain)",
            "Working as an employee or labourer (paid by someone else)",
        ),
        choice(
            "work_status",
            "self",
            "Usaha sendiri atau reseller",
            "Own business or reseller",
        ),
        choice(
            "work_status",
            "both",
            "Keduanya: bekerja sebagai karyawan/buruh dan juga usaha sendiri/reseller",
            "Both: a wage job and an own business or reselling",
        ),
        choice("work_status", "none", "Tidak bekerja", "Not working"),
        choice(
            "confirm",
            "yes",
            "Ya, jumlahnya benar",
            "Yes, this is correct",
        ),
        choice(
            "confirm",
            "fix",
            "Tidak, saya mau memperbaikinya",
            "No, I want to correct it",
        ),
        choice(
            "member_type",
            "pu",
            "Penerima Upah (PU), didaftarkan perusahaan",
            "Wage earner (PU), registered by the employer",
        ),
        choice(
            "member_type",
            "bpu",
            "Bukan Penerima Upah (BPU), peserta mandiri",
            "Non-wage earner (BPU), self-registered",
        ),
        choice("member_type", "dk", "Tidak tahu", "Don't know"),
        choice(
            "bpjs_programme",
            "jkk",
            "JKK: Jaminan Kecelakaan Kerja",
            "JKK: work accident insurance",
        )
        .set("pu_only", "no"),
        choice(
            "bpjs_programme",
            "jkm",
            "JKM: Jaminan Kematian",
            "JKM: death benefit",
        )
        .set("pu_only", "no"),
        choice(
            "bpjs_programme",
            "jht",
            "JHT: Jaminan Hari Tua",
            "JHT: old-age savings",
        )
        .set("pu_only", "no"),
        choice("bpjs_programme", "jp", "JP: Jaminan Pensiun", "JP: pension").set("pu_only", "yes"),
        choice(
            "bpjs_programme",
            "jkp",
            "JKP: Jaminan Kehilangan Pekerjaan",
            "JKP: job-loss insurance",
        )
        .set("pu_only", "yes"),
        choice("bpjs_programme", "dk", "Tidak tahu", "Don't know").set("pu_only", "no"),
        choice(
            "digital_payment",
            "qris",
            "QRIS (bayar dengan scan kode QR)",
            "QRIS (paying by scanning a QR code)",
        ),
        choice(
            "digital_payment",
            "ewallet",
            "Dompet digital, misalnya GoPay, OVO, DANA, ShopeePay",
            "E-wallet, for example GoPay, OVO, DANA, ShopeePay",
        ),
        choice(
            "digital_payment",
            "bank",
            "Rekening bank (transfer, mobile banking)",
            "Bank account (transfer, mobile banking)",
        ),
        choice(
            "digital_payment",
            "none",
            "Tidak memakai semua ini (hanya uang tunai)",
            "None of these (cash only)",
        ),
        choice(
            "kur",
            "got",
            "Ya, mengajukan dan mendapat pinjaman",
            "Yes, applied and received the loan",
        ),
        choice(
            "kur",
            "refused",
            "Ya, mengajukan tetapi ditolak",
            "Yes, applied but was refused",
        ),
        choice(
            "kur",
            "waiting",
            "Ya, mengajukan dan masih menunggu",
            "Yes, applied and still waiting",
        ),
        choice("kur", "not_applied", "Tidak mengajukan", "Did not apply"),
        choice("kur", "dk", "Tidak tahu", "Don't know"),
        choice(
            "satisfaction",
            "1",
            "1 – Sangat tidak puas",
            "1 – Very dissatisfied",
        ),
        choice("satisfaction", "2", "2 – Tidak puas", "2 – Dissatisfied"),
        choice(
            "satisfaction",
            "3",
            "3 – Biasa saja",
            "3 – Neither satisfied nor dissatisfied",
        ),
        choice("satisfaction", "4", "4 – Puas", "4 – Satisfied"),
        choice("satisfaction", "5", "5 – Sangat puas", "5 – Very satisfied"),
        choice(
            "helpful",
            "training",
            "Materi pelatihan",
            "The training sessions",
        ),
        choice(
            "helpful",
            "practice",
            "Praktik langsung berjualan",
            "Hands-on selling practice",
        ),
        choice(
            "helpful",
            "mentor",
            "Pendampingan dari pendamping/mentor",
            "Support from a mentor",
        ),
        choice(
            "helpful",
            "wa_group",
            "Grup WhatsApp peserta",
            "The participants' WhatsApp group",
        ),
        choice(
            "helpful",
            "app",
            "Aplikasi Evermos (berjualan tanpa modal)",
            "The Evermos app (selling without capital)",
        ),
        choice(
            "helpful",
            "bpjs_info",
            "Informasi tentang BPJS Ketenagakerjaan",
            "Information about BPJS Ketenagakerjaan",
        ),
        choice(
            "helpful",
            "peers",
            "Teman sesama peserta",
            "Other participants",
        ),
        choice(
            "helpful",
            "nothing",
            "Belum ada yang membantu",
            "Nothing has helped yet",
        ),
        choice("helpful", "other", "Lainnya", "Something else"),
        choice(
            "help",
            "capital",
            "Modal usaha atau pinjaman (misalnya KUR)",
            "Capital or a loan (for example KUR)",
        ),
        choice(
            "help",
            "simple_training",
            "Pelatihan yang lebih sederhana dan langsung praktik",
            "Simpler training with hands-on practice",
        ),
        choice(
            "help",
            "mentor",
            "Pendampingan satu per satu",
            "One-to-one support",
        ),
        choice(
            "help",
            "phone_help",
            "Bantuan memakai HP dan aplikasi",
            "Help with using the phone and apps",
        ),
        choice(
            "help",
            "marketing",
            "Bantuan mencari pembeli",
            "Help finding customers",
        ),
        choice(
            "help",
            "job_info",
            "Informasi lowongan kerja",
            "Information about job vacancies",
        ),
        choice(
            "help",
            "bpjs_help",
            "Bantuan mendaftar BPJS Ketenagakerjaan",
            "Help registering with BPJS Ketenagakerjaan",
        ),
        choice("help", "other", "Lainnya", "Something else"),
    ]
}
