//! The `netral case` verbs, one per `CaseService` RPC, with their fields as flags: what
//! `--help` shows and completions offer. [`super::steps`] sends them.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use netral_proto::google::r#type::Date;
use netral_proto::v1 as pb;
use netral_proto::v1::case_service_client::CaseServiceClient;
use uuid::Uuid;

use super::{parse, read};
use crate::audit::history::CaseName;

/// A case service client over one connection.
pub type Client = CaseServiceClient<crate::trace::Traced>;

/// What every step names.
#[derive(Debug, Clone, Args)]
pub struct StepArgs {
    /// The case: `cases/<uuid>` or the bare uuid.
    #[arg(value_name = "CASE")]
    pub case: CaseName,
    /// The case's etag; read from the case when not given.
    #[arg(long, value_name = "ETAG")]
    pub etag: Option<String>,
    /// The idempotency key (a UUID): give the one a failed attempt printed to retry it.
    #[arg(long, value_name = "UUID")]
    pub request_id: Option<Uuid>,
}

/// The `netral case` verbs, one per `CaseService` RPC.
#[derive(Debug, Subcommand)]
pub enum CaseCommand {
    /// RegisterCase (Bawaslu): the case from a JSON file.
    Register(read::RegisterArgs),
    /// GetCase: one case, FULL view unless `--view basic`.
    Get(read::GetArgs),
    /// ListCases: the cases the agency may see, newest first.
    List(read::ListArgs),
    /// ExtendReview (Bawaslu): more time to review.
    ExtendReview {
        /// The case and its concurrency tokens.
        #[command(flatten)]
        step: StepArgs,
        /// Why more time is needed.
        #[arg(long)]
        reason: String,
    },
    /// DismissCase (Bawaslu): no violation. Terminal.
    Dismiss {
        /// The case and its concurrency tokens.
        #[command(flatten)]
        step: StepArgs,
        /// Bawaslu's reasoning.
        #[arg(long)]
        rationale: String,
    },
    /// ForwardCase (Bawaslu): a violation, to the examiner of the day.
    Forward {
        /// The case and its concurrency tokens.
        #[command(flatten)]
        step: StepArgs,
        /// The recommendation letter number (surat penerusan).
        #[arg(
            long = "letter-number",
            visible_alias = "letter",
            value_name = "NUMBER"
        )]
        letter_number: String,
    },
    /// AcceptCase (the examiner): start the examination.
    Accept {
        /// The case and its concurrency tokens.
        #[command(flatten)]
        step: StepArgs,
    },
    /// ConcludeNotProven (the examiner). Terminal.
    #[command(visible_alias = "conclude-not-proven")]
    NotProven {
        /// The case and its concurrency tokens.
        #[command(flatten)]
        step: StepArgs,
        /// The examiner's reasoning.
        #[arg(long)]
        rationale: String,
    },
    /// RecommendSanction (the examiner): a level, and a moral sanction, to the PPK.
    Recommend {
        /// The case and its concurrency tokens.
        #[command(flatten)]
        step: StepArgs,
        /// light, medium, severe or dishonourable-dismissal.
        #[arg(long, value_parser = parse::level)]
        level: pb::SanctionLevel,
        /// closed-statement or open-statement.
        #[arg(long = "moral-sanction", visible_alias = "moral", value_parser = parse::moral)]
        moral_sanction: Option<pb::MoralSanction>,
        /// The examiner's letter number.
        #[arg(
            long = "letter-number",
            visible_alias = "letter",
            value_name = "NUMBER"
        )]
        letter_number: String,
        /// The examiner's reasoning.
        #[arg(long, default_value = "")]
        rationale: String,
    },
    /// AcknowledgeRecommendation (the PPK).
    Acknowledge {
        /// The case and its concurrency tokens.
        #[command(flatten)]
        step: StepArgs,
    },
    /// RecordSanctionDecree (the PPK): `--sanction CODE...` under one decree, or `--file`.
    Decree(DecreeArgs),
    /// ReportSubjectSeparated (BKN): the subject left the service. Terminal.
    Separated {
        /// The case and its concurrency tokens.
        #[command(flatten)]
        step: StepArgs,
        /// retired, resigned, died or dismissed-otherwise.
        #[arg(long, value_parser = parse::separation)]
        reason: pb::SeparationReason,
        /// When it took effect, YYYY-MM-DD.
        #[arg(long, value_parser = parse::date)]
        effective_date: Date,
    },
    /// RecordInRegistry (BKN): the sanction is in the personnel registry. Terminal.
    Record {
        /// The case and its concurrency tokens.
        #[command(flatten)]
        step: StepArgs,
        /// BKN's reference in SIASN / I'DIS.
        #[arg(long, value_name = "REF")]
        registry_reference: String,
    },
    /// BlockPersonnelData (BKN).
    Block {
        /// The case and its concurrency tokens.
        #[command(flatten)]
        step: StepArgs,
        /// Why, e.g. the PPK deadline that was missed.
        #[arg(long)]
        reason: String,
    },
    /// UnblockPersonnelData (BKN).
    Unblock {
        /// The case and its concurrency tokens.
        #[command(flatten)]
        step: StepArgs,
        /// Why the block is lifted.
        #[arg(long)]
        reason: String,
    },
    /// SendWarningLetter (Kemendagri): a teguran to the regional head.
    Warn {
        /// The case and its concurrency tokens.
        #[command(flatten)]
        step: StepArgs,
        /// The letter number.
        #[arg(long, value_name = "NUMBER")]
        letter_number: String,
        /// The letter's date, YYYY-MM-DD.
        #[arg(long, value_parser = parse::date)]
        letter_date: Date,
    },
    /// CancelCase (Bawaslu, or the examiner once forwarded). Terminal.
    Cancel {
        /// The case and its concurrency tokens.
        #[command(flatten)]
        step: StepArgs,
        /// duplicate, withdrawn or other.
        #[arg(long, value_parser = parse::cancel_reason)]
        reason: pb::CancelReason,
        /// Free text (required for `other`).
        #[arg(long, default_value = "")]
        detail: String,
    },
    /// AttachEvidence (a party): a document by content digest.
    Attach {
        /// The case and its concurrency tokens.
        #[command(flatten)]
        step: StepArgs,
        /// `sha256:` and 64 lowercase hex digits.
        #[arg(long)]
        digest: String,
        /// e.g. application/pdf.
        #[arg(long)]
        media_type: String,
        /// A short title.
        #[arg(long)]
        title: String,
        /// The content's size in bytes.
        #[arg(long, default_value_t = 0)]
        size_bytes: i64,
    },
    /// AddNote (a party).
    Note {
        /// The case and its concurrency tokens.
        #[command(flatten)]
        step: StepArgs,
        /// The note, at most 4000 characters.
        #[arg(long)]
        text: String,
    },
}

/// `netral case decree`.
#[derive(Debug, Args)]
pub struct DecreeArgs {
    /// The case and its concurrency tokens.
    #[command(flatten)]
    pub step: StepArgs,
    /// A sanction code of the catalogue (`netral directory sanctions`); repeat for several.
    #[arg(long = "sanction", value_name = "CODE", requires_all = ["decree_number", "decree_date"])]
    pub sanctions: Vec<String>,
    /// The decree (SK) number of the `--sanction`s.
    #[arg(long, value_name = "NUMBER")]
    pub decree_number: Option<String>,
    /// The date the decree was signed, YYYY-MM-DD.
    #[arg(long, value_parser = parse::date)]
    pub decree_date: Option<Date>,
    /// Instead: `{"sanctions": [{"code", "decree_number", "decree_date"}]}` (`-`: stdin).
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with = "sanctions",
        required_unless_present = "sanctions"
    )]
    pub file: Option<PathBuf>,
}

/// The RPC a step verb sends.
pub fn rpc_name(command: &CaseCommand) -> &'static str {
    match command {
        CaseCommand::Register(_) => "RegisterCase",
        CaseCommand::Get(_) => "GetCase",
        CaseCommand::List(_) => "ListCases",
        CaseCommand::ExtendReview { .. } => "ExtendReview",
        CaseCommand::Dismiss { .. } => "DismissCase",
        CaseCommand::Forward { .. } => "ForwardCase",
        CaseCommand::Accept { .. } => "AcceptCase",
        CaseCommand::NotProven { .. } => "ConcludeNotProven",
        CaseCommand::Recommend { .. } => "RecommendSanction",
        CaseCommand::Acknowledge { .. } => "AcknowledgeRecommendation",
        CaseCommand::Decree(_) => "RecordSanctionDecree",
        CaseCommand::Separated { .. } => "ReportSubjectSeparated",
        CaseCommand::Record { .. } => "RecordInRegistry",
        CaseCommand::Block { .. } => "BlockPersonnelData",
        CaseCommand::Unblock { .. } => "UnblockPersonnelData",
        CaseCommand::Warn { .. } => "SendWarningLetter",
        CaseCommand::Cancel { .. } => "CancelCase",
        CaseCommand::Attach { .. } => "AttachEvidence",
        CaseCommand::Note { .. } => "AddNote",
    }
}
