//! What each step of floor (c) writes: the statement texts, the values of a step's rows
//! (fixed bench data, close in size to what the service stores), and the two functions —
//! one per backend, from one macro — that run a step's statements on an open transaction.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sqlx::{self, PgConnection, SqliteConnection};

use super::drive::STEPS;
use super::grpc::{BAWASLU, EXAMINER, PPK};

/// Bytes of the stored response: about a BASIC-view `Case` reply.
pub(super) const RESPONSE_BYTES: usize = 1024;

/// Per step: the case's state after it, the event's action, the acting agency.
const STEP_FACTS: [(&str, &str, &str); 6] = [
    ("REGISTERED", "REGISTER", BAWASLU),
    ("FORWARDED", "FORWARD", BAWASLU),
    ("UNDER_EXAMINATION", "ACCEPT", EXAMINER),
    ("SANCTION_RECOMMENDED", "RECOMMEND_SANCTION", EXAMINER),
    ("SANCTIONED", "RECORD_SANCTION_DECREE", PPK),
    ("RECORDED", "RECORD_IN_REGISTRY", EXAMINER),
];

const INSERT_SUBJECT: &str = "INSERT INTO subjects (id, id_kind, id_value, full_name, position, \
     employing_instance) VALUES ($1, $2, $3, $4, $5, $6)";

/// The columns every case write binds, in this order, after the id (and, for an update, the
/// expected version).
const CASE_COLUMNS: [&str; 28] = [
    "state",
    "version",
    "updated_at",
    "reporting_office",
    "examiner",
    "ppk",
    "region_code",
    "election_kind",
    "election_year",
    "election_phase",
    "legal_basis",
    "violation_form",
    "source",
    "occurred_on",
    "reported_on",
    "summary",
    "overlaps_election_crime",
    "forwarded_on",
    "forward_letter_number",
    "review_extended",
    "recommendation",
    "recommendation_acknowledged",
    "personnel_data_blocked",
    "note_count",
    "attachment_count",
    "escalation_count",
    "text_bytes",
    "outcome",
];

const INSERT_DEADLINE: &str = "INSERT INTO case_deadlines (case_id, seq, step, agency, start_on, \
     due_on, status) VALUES ($1, $2, $3, $4, $5, $6, 'open')";
const CLOSE_DEADLINE: &str =
    "UPDATE case_deadlines SET status = 'met' WHERE case_id = $1 AND seq = $2";
const DELETE_SANCTIONS: &str = "DELETE FROM case_sanctions WHERE case_id = $1";
const INSERT_SANCTION: &str = "INSERT INTO case_sanctions (case_id, seq, code, decree_number, \
     decree_date) VALUES ($1, 1, 'SEVERE_DEMOTION_12M', '800/123/BKPSDM/2024', $2)";
const INSERT_EVENT: &str = "INSERT INTO case_events (case_id, case_version, action, actor, \
     request_id, from_state, to_state, payload, occurred_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
const INSERT_KEY: &str = "INSERT INTO idempotency_keys (agency_id, request_id, method, \
     request_digest, case_id, response, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)";

/// `INSERT INTO cases`: id, the [`CASE_COLUMNS`], registration number, subject, creation time.
fn insert_case_sql() -> String {
    let columns = CASE_COLUMNS.join(", ");
    let values: Vec<String> = (1..=CASE_COLUMNS.len() + 4)
        .map(|n| format!("${n}"))
        .collect();
    format!(
        "INSERT INTO cases (id, {columns}, registration_number, subject_id, created_at) \
         VALUES ({})",
        values.join(", ")
    )
}

/// The version-guarded `UPDATE cases … WHERE id = $1 AND version = $2`.
fn update_case_sql() -> String {
    let set: Vec<String> = CASE_COLUMNS
        .iter()
        .enumerate()
        .map(|(i, column)| format!("{column} = ${}", i + 3))
        .collect();
    format!(
        "UPDATE cases SET {} WHERE id = $1 AND version = $2",
        set.join(", ")
    )
}

/// The statement texts built at start.
pub(super) struct Statements {
    /// `INSERT INTO cases …`.
    insert_case: String,
    /// The version-guarded `UPDATE cases …`.
    update_case: String,
}

impl Statements {
    /// Builds the case statements from [`CASE_COLUMNS`].
    pub(super) fn new() -> Self {
        Self {
            insert_case: insert_case_sql(),
            update_case: update_case_sql(),
        }
    }
}

/// The ids of one bench case.
pub(super) struct Case {
    /// The case id (UUIDv7, as the service assigns).
    id: String,
    /// The subject row's id.
    subject_id: String,
    /// The registration number, unique to the run.
    registration_number: String,
}

impl Case {
    /// Case number `index` of run `tag`.
    pub(super) fn new(tag: &str, index: usize) -> Self {
        Self {
            id: uuid::Uuid::now_v7().to_string(),
            subject_id: uuid::Uuid::new_v4().to_string(),
            registration_number: format!("BENCH-SQL-{tag}-{index:07}/Reg/TM/PL/Kab/22.05/2024"),
        }
    }
}

/// What one step writes, computed before any statement runs.
pub(super) struct Write<'a> {
    /// The step, an index into [`STEPS`].
    step: usize,
    /// The case id.
    id: &'a str,
    /// The subject row's id.
    subject_id: &'a str,
    /// The registration number.
    registration_number: &'a str,
    /// The case's version after the step (1 for the registration).
    version: i64,
    /// When the step is committed.
    at: DateTime<Utc>,
    /// Today.
    today: NaiveDate,
    /// The deadline the step closes (its `seq`), if any.
    closes: Option<i32>,
    /// The deadline the step opens: `seq`, step, agency.
    opens: Option<(i32, &'static str, &'static str)>,
    /// Whether the step replaces the case's sanctions.
    sanctions: bool,
    /// The event payload.
    payload: &'static str,
    /// The idempotency key's request id.
    request_id: String,
    /// The stored response.
    response: &'a [u8],
}

impl Write<'_> {
    /// The examiner column after this step.
    fn examiner(&self) -> Option<&'static str> {
        (self.step >= 1).then_some(EXAMINER)
    }
    /// The forwarding date after this step.
    fn forwarded_on(&self) -> Option<NaiveDate> {
        (self.step >= 1).then_some(self.today)
    }
    /// The forwarding letter after this step.
    fn letter(&self) -> Option<&'static str> {
        (self.step >= 1).then_some("045/PP.01.02/K.KS-05/03/2024")
    }
    /// The recommendation column (JSON) after this step.
    fn recommendation(&self) -> Option<&'static str> {
        (self.step >= 3).then_some(
            r#"{"track":"severe","moral":"open","letter_number":"B-1207/BKN/03/2024","rationale":"Terbukti menyukai dan membagikan unggahan kampanye (bentuk 6)."}"#,
        )
    }
    /// The outcome column (JSON) after this step.
    fn outcome(&self) -> &'static str {
        if self.step == 5 {
            r#"{"rationale":null,"cancel":null,"separation":null,"registry_reference":"IDIS-BENCH-1"}"#
        } else {
            r#"{"rationale":null,"cancel":null,"separation":null,"registry_reference":null}"#
        }
    }
}

/// Binds the [`CASE_COLUMNS`] of `$w` to query `$q`, in order.
macro_rules! bind_case_columns {
    ($q:expr, $w:expr) => {{
        let w = &$w;
        $q.bind(STEP_FACTS[w.step].0)
            .bind(w.version)
            .bind(w.at)
            .bind(BAWASLU)
            .bind(w.examiner())
            .bind(PPK)
            .bind("63.02")
            .bind("pemilu")
            .bind(2024_i32)
            .bind("after_candidate_determination")
            .bind("UU 7/2017 Pasal 280 ayat (3); SKB Netralitas ASN 2022")
            .bind(6_i32)
            .bind("finding")
            .bind(NaiveDate::from_ymd_opt(2024, 1, 28))
            .bind(NaiveDate::from_ymd_opt(2024, 2, 1))
            .bind("Menyukai dan membagikan unggahan kampanye calon di Facebook (data fiktif).")
            .bind(false)
            .bind(w.forwarded_on())
            .bind(w.letter())
            .bind(false)
            .bind(w.recommendation())
            .bind(false)
            .bind(false)
            .bind(0_i64)
            .bind(0_i64)
            .bind(0_i64)
            .bind(0_i64)
            .bind(w.outcome())
    }};
}

/// Runs the statements of `$w` on transaction `$tx`, returning from the function on the
/// first error (a lost version guard is `RowNotFound`). Expanded once per backend.
macro_rules! write_step {
    ($tx:ident, $sql:expr, $w:expr) => {{
        let w = &$w;
        let Statements {
            insert_case,
            update_case,
        } = $sql;
        if w.step == 0 {
            sqlx::query(INSERT_SUBJECT)
                .bind(w.subject_id)
                .bind("nip")
                .bind("199003252015032001")
                .bind("Rusdiana Maulida Hasanah (fiktif)")
                .bind("Guru Ahli Pertama")
                .bind("Pemerintah Kabupaten Kotabaru")
                .execute(&mut *$tx)
                .await?;
            bind_case_columns!(sqlx::query(insert_case).bind(w.id), w)
                .bind(w.registration_number)
                .bind(w.subject_id)
                .bind(w.at)
                .execute(&mut *$tx)
                .await?;
        } else {
            let query = sqlx::query(update_case).bind(w.id).bind(w.version - 1);
            let done = bind_case_columns!(query, w).execute(&mut *$tx).await?;
            if done.rows_affected() != 1 {
                return Err(sqlx::Error::RowNotFound);
            }
        }
        if let Some(seq) = w.closes {
            sqlx::query(CLOSE_DEADLINE)
                .bind(w.id)
                .bind(seq)
                .execute(&mut *$tx)
                .await?;
        }
        if let Some((seq, step, agency)) = w.opens {
            sqlx::query(INSERT_DEADLINE)
                .bind(w.id)
                .bind(seq)
                .bind(step)
                .bind(agency)
                .bind(w.today)
                .bind(w.today + chrono::Days::new(20))
                .execute(&mut *$tx)
                .await?;
        }
        if w.sanctions {
            sqlx::query(DELETE_SANCTIONS)
                .bind(w.id)
                .execute(&mut *$tx)
                .await?;
            sqlx::query(INSERT_SANCTION)
                .bind(w.id)
                .bind(w.today)
                .execute(&mut *$tx)
                .await?;
        }
        let (to, action, actor) = STEP_FACTS[w.step];
        let from = STEP_FACTS[w.step.saturating_sub(1)].0;
        sqlx::query(INSERT_EVENT)
            .bind(w.id)
            .bind(w.version)
            .bind(action)
            .bind(actor)
            .bind(w.request_id.as_str())
            .bind(from)
            .bind(to)
            .bind(w.payload)
            .bind(w.at)
            .execute(&mut *$tx)
            .await?;
        sqlx::query(INSERT_KEY)
            .bind(actor)
            .bind(w.request_id.as_str())
            .bind(STEPS[w.step].0)
            .bind("5f2b8e0c41d7a9e3b6c8d2f1a4e7b0c3d6f9a2e5b8c1d4f7a0e3b6c9d2f5a8e1")
            .bind(w.id)
            .bind(w.response)
            .bind(w.at)
            .execute(&mut *$tx)
            .await?;
        Ok(())
    }};
}

/// What step `step` of a case writes.
pub(super) fn plan<'a>(step: usize, case: &'a Case, response: &'a [u8]) -> Write<'a> {
    let (closes, opens, payload) = match step {
        0 => (
            None,
            Some((1, "bawaslu_review", BAWASLU)),
            r#"{"registration_number":"BENCH","region":"63.02","violation_form":6,"source":"finding"}"#,
        ),
        1 => (
            Some(1),
            Some((2, "examiner_action", EXAMINER)),
            r#"{"letter_number":"045/PP.01.02/K.KS-05/03/2024","examiner":"bkn"}"#,
        ),
        3 => (
            Some(2),
            Some((3, "ppk_action", PPK)),
            r#"{"track":"severe","moral":"open","letter_number":"B-1207/BKN/03/2024"}"#,
        ),
        4 => (
            Some(3),
            None,
            r#"{"sanctions":[{"code":"SEVERE_DEMOTION_12M","decree_number":"800/123/BKPSDM/2024"}]}"#,
        ),
        5 => (None, None, r#"{"reference":"IDIS-BENCH-1"}"#),
        _ => (None, None, "{}"),
    };
    let at = Utc::now();
    Write {
        step,
        id: &case.id,
        subject_id: &case.subject_id,
        registration_number: &case.registration_number,
        version: step as i64 + 1,
        at,
        today: at.date_naive(),
        closes,
        opens,
        sanctions: step == 4,
        payload,
        request_id: uuid::Uuid::new_v4().to_string(),
        response,
    }
}

/// Runs `w` on an open SQLite transaction.
pub(super) async fn on_sqlite(
    tx: &mut SqliteConnection,
    sql: &Statements,
    w: &Write<'_>,
) -> Result<(), sqlx::Error> {
    write_step!(tx, sql, w)
}

/// Runs `w` on an open PostgreSQL transaction.
pub(super) async fn on_postgres(
    tx: &mut PgConnection,
    sql: &Statements,
    w: &Write<'_>,
) -> Result<(), sqlx::Error> {
    write_step!(tx, sql, w)
}
