//! Every reason netral gives for refusing or ending a call: the closed set of
//! `google.rpc.ErrorInfo.reason` values (domain `netral`) it sends, and of the refusal reasons
//! its audit log records.
//!
//! Agencies' systems match on these strings, so each is written exactly once, here, with the
//! text an agency engineer reads about it: [`Reason::description`] (when it is sent) and
//! [`Reason::what_to_do`]. `docs/errors.md` is rendered from this table (and from the gRPC code
//! each reason goes out with, which is the server's to decide) and checked against it by a
//! test in `netral-server`, so the page and the code cannot drift apart. A reason is never
//! renamed: its wire string is part of the contract.
//!
//! The domain raises the reasons it decides ([`crate::policy::Denial`],
//! [`crate::state::TransitionError`], [`crate::case::StepError::Precondition`]); the server
//! raises the rest (identity, storage, streams, request shape).

use std::fmt;
use std::str::FromStr;

use crate::state::UnknownName;

/// Declares [`Reason`]: each entry is the variant, its wire string, and the two texts the
/// variant's documentation and `docs/errors.md` show, written once. Extra `///` lines before
/// an entry are notes for netral's developers, appended to the variant's documentation.
macro_rules! reasons {
    ($(
        $(#[doc = $note:literal])*
        $variant:ident = $wire:literal {
            description: $description:literal,
            what_to_do: $what_to_do:literal $(,)?
        }
    )+) => {
        /// Why netral refused or ended a call, as sent in `ErrorInfo.reason` (domain `netral`)
        /// and recorded in the audit log for a refusal. See the module documentation.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Reason {
            $(
                #[doc = $description]
                #[doc = ""]
                #[doc = concat!("What to do: ", $what_to_do)]
                #[doc = ""]
                $(#[doc = $note])*
                $variant,
            )+
        }

        impl Reason {
            /// Every reason, in the order `docs/errors.md` lists them.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The exact UPPER_SNAKE wire string, e.g. `"NOT_A_PARTY"`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $wire,)+
                }
            }

            /// When the reason is sent, in one or two sentences for the agency engineer.
            pub const fn description(self) -> &'static str {
                match self {
                    $(Self::$variant => $description,)+
                }
            }

            /// What the calling agency should do about it: retry or not, and how.
            pub const fn what_to_do(self) -> &'static str {
                match self {
                    $(Self::$variant => $what_to_do,)+
                }
            }
        }
    };
}

reasons! {
    // Who is calling: read from the client certificate and the directory.
    NoClientCertificate = "NO_CLIENT_CERTIFICATE" {
        description: "The call carried no client certificate: netral identifies every agency by the certificate it presents over mutual TLS.",
        what_to_do: "Connect with mutual TLS, presenting the certificate the exchange issued to your agency. Do not retry without one.",
    }
    NoAgencyName = "NO_AGENCY_NAME" {
        description: "The client certificate chains to the exchange's CA but carries no `netral:agency/<id>` URI SAN naming the calling agency.",
        what_to_do: "Use your agency's client certificate, not another certificate of the exchange's PKI; ask the exchange operator for one if you have none.",
    }
    MalformedCertificate = "MALFORMED_CERTIFICATE" {
        description: "The client certificate cannot be parsed, names more than one agency, or names an agency id that is not valid.",
        what_to_do: "Do not retry with this certificate; ask the exchange operator for a new one.",
    }
    UnknownAgency = "UNKNOWN_AGENCY" {
        description: "The client certificate names an agency the exchange's directory does not know.",
        what_to_do: "Check that you use your agency's current certificate; if you do, ask the exchange operator to add your agency to the directory.",
    }
    AgencyRevoked = "AGENCY_REVOKED" {
        description: "The agency's access to the exchange was revoked in the directory: the agency is known but no longer allowed.",
        what_to_do: "Do not retry; contact the exchange operator if the revocation is unexpected.",
    }
    /// Added ahead of its use: the revocation of single certificates raises it.
    CertificateRevoked = "CERTIFICATE_REVOKED" {
        description: "The client certificate itself was revoked (for instance after its key leaked), whether or not the agency still has access with another one.",
        what_to_do: "Do not retry with this certificate; use the one that replaced it, or ask the exchange operator for a new one.",
    }

    // What the policy allows (`Denial`).
    RoleNotHeld = "ROLE_NOT_HELD" {
        description: "The step or read needs a role (Bawaslu, examiner, PPK, personnel registry, regional oversight, …) that the directory does not grant the calling agency on the relevant date; the message names the role.",
        what_to_do: "Do not retry. If your agency should hold the role on that date, ask the exchange operator to correct its grants in the directory.",
    }
    OutsideJurisdiction = "OUTSIDE_JURISDICTION" {
        description: "The calling agency holds the role the step needs, but the case's region lies outside its jurisdiction (for instance a regency's Bawaslu acting on another regency's case).",
        what_to_do: "Do not retry; the office whose jurisdiction covers the case's region takes this step.",
    }
    NotAParty = "NOT_A_PARTY" {
        description: "The case does not concern the calling agency in a way that allows this step: it is not the PPK the case names, or it has no part in the case yet (the personnel registry and the regional overseer have one once a sanction is recommended).",
        what_to_do: "Do not retry; the agency the case names for this step takes it.",
    }
    CaseNotAccessible = "CASE_NOT_ACCESSIBLE" {
        description: "There is no case the calling agency may see under this name: either it does not exist or the agency has no need to know it. The two are answered alike on purpose, so the answer says nothing about a case the agency may not see.",
        what_to_do: "Do not retry; check the case name you were given.",
    }
    NotOwnInbox = "NOT_OWN_INBOX" {
        description: "The call named another agency's inbox: every agency reads and acknowledges only its own.",
        what_to_do: "Name your own agency's inbox (`agencies/<your id>`) or leave `parent` empty.",
    }
    NotTheExaminer = "NOT_THE_EXAMINER" {
        description: "The step is the examiner's, and the case was not forwarded to the calling agency (or not forwarded at all).",
        what_to_do: "Do not retry; the examiner the case was forwarded to takes this step (or the examiner of the day, which takes the case over once the former examiner's grant ends).",
    }
    NoExaminerOnDate = "NO_EXAMINER_ON_DATE" {
        description: "The directory names no agency holding the EXAMINER role on the date the step needs one (the day a case is forwarded); the message names the date.",
        what_to_do: "Do not retry until the directory is corrected; tell the exchange operator, who fixes the examiner's grants.",
    }
    /// A server refuses to start with such a directory, so this is not expected on the wire.
    AmbiguousExaminer = "AMBIGUOUS_EXAMINER" {
        description: "The directory names more than one agency holding the EXAMINER role on the date the step needs one; the message names the date.",
        what_to_do: "Do not retry; tell the exchange operator, who fixes the overlapping grants.",
    }
    NetralOnly = "NETRAL_ONLY" {
        description: "The action is netral's own (the deadline engine's reminders, overdue notices and proposals): no agency takes it.",
        what_to_do: "Do not send it; the notices reach the agencies concerned in their inboxes.",
    }

    // What the case's state allows (`TransitionError`).
    CaseClosed = "CASE_CLOSED" {
        description: "The case is in a final state and accepts no more steps; the message names the state.",
        what_to_do: "Do not retry; read the case to see how it ended.",
    }
    AlreadyRegistered = "ALREADY_REGISTERED" {
        description: "A registration named a case that is already registered.",
        what_to_do: "Do not retry; read the existing case.",
    }
    InvalidTransition = "INVALID_TRANSITION" {
        description: "The step exists but does not apply in the case's current state (for instance accepting a case that was never forwarded); the message names the step and the state.",
        what_to_do: "Do not retry as is; read the case again (another agency may have moved it on) and take a step its state allows.",
    }

    // What the case's facts allow (`StepError::Precondition`, and the server's own).
    ReviewAlreadyExtended = "REVIEW_ALREADY_EXTENDED" {
        description: "Bawaslu's review of the case was already extended; it is extended at most once.",
        what_to_do: "Do not retry; forward or dismiss the case within the extended deadline.",
    }
    AlreadyAcknowledged = "ALREADY_ACKNOWLEDGED" {
        description: "The PPK already acknowledged the examiner's recommendation on this case.",
        what_to_do: "Do not retry: the acknowledgement is on record.",
    }
    AlreadyBlocked = "ALREADY_BLOCKED" {
        description: "The subject's personnel data is already blocked for this case.",
        what_to_do: "Do not retry: the block is in place.",
    }
    NotBlocked = "NOT_BLOCKED" {
        description: "An unblock was asked for personnel data that is not blocked for this case.",
        what_to_do: "Do not retry: there is no block to lift.",
    }
    PpkNotOverdue = "PPK_NOT_OVERDUE" {
        description: "Blocking the personnel data and sending a warning letter answer a PPK that let its deadline pass, and the PPK's deadline on this case has not passed (or the PPK has acted).",
        what_to_do: "Do not retry before the PPK's deadline has passed without a decree; the case's deadlines show when it falls.",
    }
    PpkNotARegionalHead = "PPK_NOT_A_REGIONAL_HEAD" {
        description: "A warning letter goes to a regional head acting as PPK, and this case's PPK is not one.",
        what_to_do: "Do not retry: a warning letter does not apply to this case.",
    }
    SanctionOutsideRecommendedLevel = "SANCTION_OUTSIDE_RECOMMENDED_LEVEL" {
        description: "A decree's disciplinary sanction lies outside what the examiner's recommended level allows (the catalogue's decree levels); the message names the sanction and the recommendation.",
        what_to_do: "Choose a sanction the recommendation allows (moral sanctions may always accompany it) and send it as a new request.",
    }
    CalendarNotCovered = "CALENDAR_NOT_COVERED" {
        description: "The step starts a deadline netral cannot compute: the working-day calendar does not cover the year it falls in. Nothing was written.",
        what_to_do: "Do not retry; tell the exchange operator, who extends the calendar.",
    }
    CaseLimitReached = "CASE_LIMIT_REACHED" {
        description: "The case already holds as many notes, attachments or bytes of free text as a per-case limit allows; ErrorInfo metadata `limit` names which and `max` its value. Nothing was written.",
        what_to_do: "Do not retry. Steps that move the case on are never limited, so the case can still go on.",
    }
    HistoryTooLong = "HISTORY_TOO_LONG" {
        description: "`GetCaseHistory` answers a bounded number of events, and the case has more.",
        what_to_do: "Page through the events with `ListAuditEvents`, filtered on `case = \"cases/<id>\"`.",
    }
    TreeSizeBeyondLog = "TREE_SIZE_BEYOND_LOG" {
        description: "An audit proof was asked for a tree size larger than the number of events the log has sequenced.",
        what_to_do: "Ask for proofs against the tree size of a signed checkpoint (`GetCheckpoint`).",
    }
    /// Raised and consumed inside the deadline engine, which then leaves the deadline alone.
    NothingDue = "NOTHING_DUE" {
        description: "Internal to netral's deadline engine: a notice was to be raised on a deadline with nothing due. It is never sent to an agency.",
        what_to_do: "Nothing; if a call ever answers it, report it to the exchange operator.",
    }

    // The request itself.
    InvalidArgument = "INVALID_ARGUMENT" {
        description: "The request is malformed; a `BadRequest` detail lists every bad field at once. Nothing was written.",
        what_to_do: "Fix the named fields; do not retry as is.",
    }
    NotFound = "NOT_FOUND" {
        description: "The named resource does not exist: an agency of the directory, an audit event or checkpoint, or a case when the caller is an agency that sees every case (others are answered `CASE_NOT_ACCESSIBLE`).",
        what_to_do: "Do not retry; check the name.",
    }
    EtagMismatch = "ETAG_MISMATCH" {
        description: "The request's `etag` is stale: another agency changed the case since you read it. Nothing was written.",
        what_to_do: "Read the case again (`GetCase`), decide again, and send a new request (a new `request_id`) with the new `etag`.",
    }
    RequestIdReused = "REQUEST_ID_REUSED" {
        description: "This `request_id` was already used for a different request.",
        what_to_do: "A bug in the client: use one `request_id` per intent, and send the very same request when retrying.",
    }
    DuplicateRegistration = "DUPLICATE_REGISTRATION" {
        description: "Your office already registered this subject under this registration number (a report naming several civil servants is one case per person under one number).",
        what_to_do: "Do not retry; find the case with the filter `registration_number = \"...\" AND reporting_office = \"agencies/...\"`.",
    }
    TooManyStreams = "TOO_MANY_STREAMS" {
        description: "The agency already holds as many open `WatchInbox` streams as it may; the message names the limit.",
        what_to_do: "Close a stream you no longer read (one stream per agency is enough), then open the new one.",
    }
    /// Added ahead of its use: the bound on request sizes raises it.
    MessageTooLarge = "MESSAGE_TOO_LARGE" {
        description: "The request is larger than the server accepts in one message.",
        what_to_do: "Do not retry as is; send less in one request.",
    }

    // The service's availability.
    StorageUnavailable = "STORAGE_UNAVAILABLE" {
        description: "The database is unreachable, restarting or busy, or the step's commit failed: nothing was written. A `RetryInfo` detail gives the delay.",
        what_to_do: "Wait the `RetryInfo` delay and send the very same request (same `request_id`) again, backing off exponentially.",
    }
    ShuttingDown = "SHUTTING_DOWN" {
        description: "The server is shutting down (a rolling restart) and ended an inbox stream; ErrorInfo metadata `resume_after_cursor` names the last message it sent (empty if none), and a `RetryInfo` detail gives the delay.",
        what_to_do: "After the delay, open `WatchInbox` again with `after_cursor` set to the last cursor you received: another replica, or this one once restarted, answers.",
    }
    InboxConsumerTooSlow = "INBOX_CONSUMER_TOO_SLOW" {
        description: "An inbox stream's buffer stayed full longer than the slow-consumer timeout, so the stream was cut off; ErrorInfo metadata `resume_after_cursor` names the last message sent, and a `RetryInfo` detail gives the delay.",
        what_to_do: "Open `WatchInbox` again from the last cursor you received, and read the stream faster (process messages off the reading loop).",
    }
    Internal = "INTERNAL" {
        description: "A failure inside netral (a bug, or an unexpected storage error); the details are in netral's log and are never sent.",
        what_to_do: "Report it to the exchange operator with the time of the call. A retry with the same `request_id` is safe but will likely fail again.",
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Reason {
    type Err = UnknownName;

    /// Parses the exact wire string given by [`Reason::as_str`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .iter()
            .copied()
            .find(|reason| reason.as_str() == s)
            .ok_or_else(|| UnknownName::new("reason", s))
    }
}

#[cfg(test)]
#[path = "reason_tests.rs"]
mod tests;
