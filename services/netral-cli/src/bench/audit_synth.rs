//! The synthetic audit log of `netral bench audit`: N events that look like a real
//! deployment's, each a real `AuditLeaf` encoding with what the server puts in one.
//!
//! Everything is a pure function of the log's size N and an event's position, so a log
//! seeded once can be described again later (which cases exist, which days it spans)
//! without reading it back:
//!
//! - times grow with the position, evenly from 2024-01-01 to 2027-01-01 (the log is
//!   appended in time order);
//! - N / 100 cases; case `k` is registered (`REGISTER`) at position `k × stride` with a
//!   UUIDv7 id of that instant, as the server makes them; every other event concerns one of
//!   the (at most) 2 000 most recently registered cases, so a case's ~100 events span about
//!   three weeks of the log;
//! - 40 agencies act, each with its certificate's fingerprint; reads (`READ_CASE`,
//!   `LIST_CASES`) are most events, transitions about 1 % each, notes and evidence more;
//!   2 % are refusals (`DENIED`, the RPC's name as action, a reason, no subject);
//! - mutations carry a request id, the states before and after and a ~300-byte canonical
//!   JSON payload; successful events carry the case's subject digest.

use chrono::{DateTime, TimeZone, Utc};
use netral_domain::Reason;
use netral_proto::v1::{AuditLeaf, AuditOutcome, CaseState};
use sha2::{Digest, Sha256};

/// 2024-01-01T00:00:00Z, the first event's time, in Unix milliseconds.
const START_MS: i64 = 1_704_067_200_000;
/// Three years (2024 is a leap year): the last event is just before 2027-01-01.
const SPAN_MS: i64 = 1_096 * 86_400_000;
/// A day, in milliseconds.
const DAY_MS: i64 = 86_400_000;
/// Events per case on average.
pub const EVENTS_PER_CASE: u64 = 100;
/// How many recently registered cases the events of any moment are spread over.
const ACTIVE_CASES: u64 = 2_000;

/// The acting agencies: the development directory's eighteen and twenty-two more.
pub const AGENCIES: [&str; 40] = [
    "bawaslu-batang-hari",
    "bawaslu-hulu-sungai-selatan",
    "bawaslu-kalsel",
    "bawaslu-kotabaru",
    "bawaslu-oku-selatan",
    "bawaslu-ri",
    "bkn",
    "bpk",
    "kasn",
    "kemendagri",
    "kemenpan-rb",
    "pemkab-batang-hari",
    "pemkab-hulu-sungai-selatan",
    "pemkab-kotabaru",
    "pemkab-oku-selatan",
    "pemprov-jambi",
    "pemprov-kalsel",
    "pemprov-sumsel",
    "bawaslu-aceh",
    "bawaslu-sumut",
    "bawaslu-sumbar",
    "bawaslu-riau",
    "bawaslu-jambi",
    "bawaslu-sumsel",
    "bawaslu-bengkulu",
    "bawaslu-lampung",
    "bawaslu-banten",
    "bawaslu-jabar",
    "bawaslu-jateng",
    "bawaslu-diy",
    "bawaslu-jatim",
    "bawaslu-bali",
    "bawaslu-ntb",
    "bawaslu-ntt",
    "pemkab-banjar",
    "pemkab-tanah-laut",
    "pemprov-jabar",
    "pemprov-jatim",
    "ombudsman",
    "bkd-kalsel",
];

/// What an event after the registration is: its action, how it ended, the states of a
/// transition (`None` for reads and refusals) and its weight per thousand events.
type Kind = (
    &'static str,
    AuditOutcome,
    Option<(CaseState, CaseState)>,
    u64,
);

/// Every kind of event after the registration.
const KINDS: [Kind; 19] = {
    use AuditOutcome::{Denied, Success};
    use CaseState::*;
    [
        ("READ_CASE", Success, None, 480),
        ("LIST_CASES", Success, None, 282),
        (
            "ADD_NOTE",
            Success,
            Some((UnderExamination, UnderExamination)),
            90,
        ),
        (
            "ATTACH_EVIDENCE",
            Success,
            Some((Registered, Registered)),
            70,
        ),
        ("FORWARD", Success, Some((Registered, Forwarded)), 10),
        ("ACCEPT", Success, Some((Forwarded, UnderExamination)), 10),
        (
            "RECOMMEND_SANCTION",
            Success,
            Some((UnderExamination, SanctionRecommended)),
            8,
        ),
        (
            "RECORD_SANCTION_DECREE",
            Success,
            Some((SanctionRecommended, Sanctioned)),
            7,
        ),
        (
            "RECORD_IN_REGISTRY",
            Success,
            Some((Sanctioned, Recorded)),
            7,
        ),
        (
            "ACKNOWLEDGE",
            Success,
            Some((SanctionRecommended, SanctionRecommended)),
            7,
        ),
        ("EXTEND_REVIEW", Success, Some((Registered, Registered)), 5),
        ("DISMISS", Success, Some((Registered, Dismissed)), 2),
        (
            "CONCLUDE_NOT_PROVEN",
            Success,
            Some((UnderExamination, NotProven)),
            1,
        ),
        ("CANCEL", Success, Some((Registered, Cancelled)), 1),
        ("GetCase", Denied, None, 8),
        ("ForwardCase", Denied, None, 4),
        ("AcceptCase", Denied, None, 3),
        ("RecordInRegistry", Denied, None, 3),
        ("ListAuditEvents", Denied, None, 2),
    ]
};

/// SplitMix64: a small, fast, deterministic generator (no cryptographic claim).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// The generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        match n {
            0 => 0,
            n => self.next_u64() % n,
        }
    }

    /// `bytes` random bytes as lowercase hex.
    fn hex(&mut self, bytes: usize) -> String {
        let mut out = Vec::with_capacity(bytes);
        while out.len() < bytes {
            out.extend(self.next_u64().to_le_bytes());
        }
        out.truncate(bytes);
        hex::encode(out)
    }
}

/// One seeded event: its leaf and the columns that index it, as the store writes them.
#[derive(Debug, Clone)]
pub struct SeedEvent {
    /// The case's UUID (the `case_id` column: no `cases/` prefix).
    pub case_id: String,
    /// The leaf's action.
    pub action: &'static str,
    /// `SUCCESS` or `DENIED`.
    pub outcome: &'static str,
    /// The acting agency's id (no `agencies/` prefix).
    pub actor: &'static str,
    /// The leaf's time, to the microsecond like the store's.
    pub at: DateTime<Utc>,
    /// The deterministic `AuditLeaf` encoding.
    pub leaf: Vec<u8>,
}

/// The shape of a synthetic log of `events` events.
#[derive(Debug, Clone)]
pub struct Synth {
    /// Its size.
    pub events: u64,
    /// How many cases it concerns.
    pub cases: u64,
    /// Positions between two registrations.
    stride: u64,
    /// Each agency's certificate fingerprint (SHA-256 hex of a stand-in certificate).
    fingerprints: Vec<String>,
}

impl Synth {
    /// The log of `events` (≥ 1) events.
    pub fn new(events: u64) -> Self {
        let events = events.max(1);
        let cases = (events / EVENTS_PER_CASE).max(1);
        let fingerprints = AGENCIES
            .iter()
            .map(|a| hex::encode(Sha256::digest(format!("certificate of {a}"))))
            .collect();
        Self {
            events,
            cases,
            stride: (events / cases).max(1),
            fingerprints,
        }
    }

    /// The time of the event at `position`, in Unix milliseconds.
    fn time_ms(&self, position: u64) -> i64 {
        let offset = i128::from(position) * i128::from(SPAN_MS) / i128::from(self.events);
        START_MS + offset as i64
    }

    /// The id of case `k` (a UUIDv7 of its registration's instant).
    pub fn case_id(&self, k: u64) -> uuid::Uuid {
        let millis = self.time_ms(k * self.stride);
        let mut rng = Rng::new(k ^ 0x0CA5_E000_0000_0000);
        let mut random = [0u8; 10];
        random[..8].copy_from_slice(&rng.next_u64().to_le_bytes());
        random[8..].copy_from_slice(&rng.next_u64().to_le_bytes()[..2]);
        uuid::Builder::from_unix_timestamp_millis(millis.max(0) as u64, &random).into_uuid()
    }

    /// A random midnight (UTC) within the log's span, for time filters.
    pub fn random_day(&self, rng: &mut Rng) -> DateTime<Utc> {
        let days = (self.time_ms(self.events - 1) - START_MS) / DAY_MS + 1;
        let day = rng.below(days as u64) as i64;
        instant(START_MS + day * DAY_MS)
    }

    /// The event at `position` (< `events`).
    pub fn event(&self, position: u64) -> SeedEvent {
        let mut rng = Rng::new(position.wrapping_mul(0xD1B5_4A32_D192_ED03) ^ 0x5EED);
        let registered = position / self.stride;
        let (k, kind) = if position.is_multiple_of(self.stride) && registered < self.cases {
            let kind = ("REGISTER", AuditOutcome::Success, None, 0);
            (registered, kind)
        } else {
            let newest = registered.min(self.cases - 1);
            let oldest = newest.saturating_sub(ACTIVE_CASES - 1);
            let k = oldest + rng.below(newest - oldest + 1);
            (k, pick_kind(rng.below(1_000)))
        };
        let (action, outcome, states, _) = kind;
        let agency = rng.below(AGENCIES.len() as u64) as usize;
        let case_id = self.case_id(k);
        let at = instant(self.time_ms(position) + rng.below(1_000) as i64);
        let mutation = states.is_some() || action == "REGISTER";
        let (from_state, to_state) = match (action, states) {
            ("REGISTER", _) => (0, CaseState::Registered as i32),
            (_, Some((from, to))) => (from as i32, to as i32),
            _ => (0, 0),
        };
        let denied = outcome == AuditOutcome::Denied;
        let leaf = AuditLeaf {
            action: action.to_owned(),
            outcome: outcome as i32,
            reason: if denied {
                [Reason::NotAParty, Reason::RoleNotHeld][rng.below(2) as usize].to_string()
            } else {
                String::new()
            },
            time: Some(prost_types::Timestamp {
                seconds: at.timestamp(),
                nanos: at.timestamp_subsec_nanos() as i32,
            }),
            actor: format!("agencies/{}", AGENCIES[agency]),
            certificate_fingerprint: self.fingerprints[agency].clone(),
            r#case: format!("cases/{case_id}"),
            request_id: if mutation {
                uuid::Builder::from_random_bytes(rng.next_u128_bytes())
                    .into_uuid()
                    .to_string()
            } else {
                String::new()
            },
            trace_id: if rng.below(10) < 9 {
                rng.hex(16)
            } else {
                String::new()
            },
            span_id: rng.hex(8),
            peer: format!(
                "10.{}.{}.{}:{}",
                agency,
                rng.below(256),
                rng.below(256),
                32_768 + rng.below(28_000)
            ),
            from_state,
            to_state,
            payload_json: if mutation {
                payload(action, &case_id, at, &mut rng)
            } else {
                String::new()
            },
            subject_digest: if denied {
                String::new()
            } else {
                subject_digest(k)
            },
        };
        SeedEvent {
            case_id: case_id.to_string(),
            action,
            outcome: if denied { "DENIED" } else { "SUCCESS" },
            actor: AGENCIES[agency],
            at,
            leaf: netral_audit::leaf::encode(&leaf),
        }
    }
}

impl Rng {
    /// Sixteen random bytes.
    fn next_u128_bytes(&mut self) -> [u8; 16] {
        let mut out = [0u8; 16];
        out[..8].copy_from_slice(&self.next_u64().to_le_bytes());
        out[8..].copy_from_slice(&self.next_u64().to_le_bytes());
        out
    }
}

/// The kind whose weight range holds `draw` (0..1000).
fn pick_kind(draw: u64) -> Kind {
    let mut left = draw;
    for kind in KINDS {
        if left < kind.3 {
            return kind;
        }
        left -= kind.3;
    }
    KINDS[0]
}

/// The instant of `ms` Unix milliseconds (the epoch if out of range, which cannot happen
/// within the span).
fn instant(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

/// Case `k`'s subject digest: the shape of the server's keyed HMAC.
fn subject_digest(k: u64) -> String {
    let digest = Sha256::digest(format!("subject of case {k}"));
    format!("hmac-sha256:{}", hex::encode(digest))
}

/// A ~300-byte canonical JSON payload (keys sorted, no spaces), personal data as digests.
fn payload(action: &str, case_id: &uuid::Uuid, at: DateTime<Utc>, rng: &mut Rng) -> String {
    let short = &case_id.simple().to_string()[..8];
    format!(
        "{{\"action\":\"{action}\",\"case_number\":\"{:03}/REG/BWSL/{}/{short}\",\
         \"decided_on\":\"{}\",\"document\":{{\"kind\":\"LETTER\",\"sha256\":\"{}\"}},\
         \"letter_number\":\"{:03}/PP.01.02/K.KS-{:02}/{}\",\"note_digest\":\"sha256:{}\",\
         \"region_code\":\"63.{:02}\"}}",
        rng.below(1_000),
        at.format("%m/%Y"),
        at.format("%Y-%m-%d"),
        rng.hex(32),
        rng.below(1_000),
        rng.below(40),
        at.format("%m/%Y"),
        rng.hex(16),
        rng.below(14),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_is_a_function_of_its_size_and_looks_real() {
        let synth = Synth::new(10_000);
        assert_eq!(synth.cases, 100);
        let first = synth.event(0);
        assert_eq!(first.action, "REGISTER");
        assert_eq!(first.case_id, synth.case_id(0).to_string());
        assert_eq!(synth.event(4_321).leaf, synth.event(4_321).leaf);
        let events: Vec<SeedEvent> = (0..10_000).map(|i| synth.event(i)).collect();
        assert!(events.windows(2).all(|w| w[0].at <= w[1].at));
        let denied = events.iter().filter(|e| e.outcome == "DENIED").count();
        assert!((100..350).contains(&denied), "{denied} denied");
        let registrations = events.iter().filter(|e| e.action == "REGISTER").count();
        assert_eq!(registrations, 100);
        let leaf = netral_audit::leaf::decode(&events[1].leaf).unwrap();
        assert_eq!(leaf.actor, format!("agencies/{}", events[1].actor));
        assert_eq!(leaf.r#case, format!("cases/{}", events[1].case_id));
        let mean = events.iter().map(|e| e.leaf.len()).sum::<usize>() / events.len();
        assert!((250..800).contains(&mean), "mean leaf {mean} bytes");
        let forward = events.iter().find(|e| e.action == "FORWARD").unwrap();
        assert!(
            netral_audit::leaf::decode(&forward.leaf)
                .unwrap()
                .payload_json
                .len()
                > 250
        );
        assert_eq!(KINDS.iter().map(|k| k.3).sum::<u64>(), 1_000);
    }
}
