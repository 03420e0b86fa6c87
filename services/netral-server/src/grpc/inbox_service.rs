//! `netral.v1.InboxService`: each agency's feed of what concerns it. Messages are written in
//! the transaction of the step that causes them (see `Exchange`); here an agency streams
//! them (`WatchInbox`, see [`super::inbox_stream`]), pages through them (`ListInbox`),
//! acknowledges them (`AckInbox`) and sees how far behind it is (`GetInboxStatus`).
//!
//! An agency reads only its own inbox: requests name no other (`parent` may only be the
//! caller's own, and naming another is refused and audited). Messages carry no personal
//! data (see `convert::inbox_snapshot`), so reading them is no disclosure.

use std::pin::Pin;

use futures::Stream;
use netral_domain::inbox::MessageKind;
use netral_domain::policy::Denial;
use netral_domain::{AgencyId, CaseId};
use netral_proto::v1 as pb;
use netral_proto::v1::inbox_service_server::InboxService;
use netral_store::{AckRequest, InboxQuery};
use prost::Message;
use tonic::{Request, Response, Status};

use super::fields::Fields;
use super::inbox_stream::{Streams, Watch};
use super::{AppState, convert, filter};
use crate::directory::DirectoryEntry;
use crate::error::Error;

/// Default and largest page of `ListInbox`.
const DEFAULT_PAGE: u64 = 100;
const MAX_PAGE: u64 = 1_000;

/// The `InboxService` implementation.
#[derive(Clone)]
pub struct InboxApi {
    /// Shared server state.
    state: AppState,
    /// The open streams, their bounds and the shutdown signal.
    streams: Streams,
}

impl InboxApi {
    /// A service over `state` whose streams follow `streams`.
    pub fn new(state: AppState, streams: Streams) -> Self {
        Self { state, streams }
    }

    /// The caller, if `parent` is empty or names it; a request for another agency's inbox is
    /// refused and audited.
    async fn owner<R>(&self, req: &Request<R>, parent: &str) -> Result<AgencyId, Error> {
        let caller: &DirectoryEntry = self.state.caller(req).await?;
        let own = caller.id().clone();
        if parent.is_empty() || parent == convert::agency_name(&own) {
            return Ok(own);
        }
        let mut fields = Fields::default();
        fields.agency_name("parent", parent);
        fields.finish()?;
        let refused = Err(Error::Denied(Denial::NotOwnInbox));
        self.state.audited(req, caller, None, refused).await
    }

    async fn watch(&self, req: Request<pb::WatchInboxRequest>) -> Result<Feed, Error> {
        let agency = self.owner(&req, &req.get_ref().parent).await?;
        let after = match req.get_ref().after_cursor.as_str() {
            "" => self.state.store.inbox_acknowledged(&agency).await?,
            cursor => parse_cursor(cursor).map_err(|d| Error::invalid("after_cursor", d))?,
        };
        let certificate = req
            .extensions()
            .get::<super::identify::Caller>()
            .and_then(|caller| caller.certificate);
        self.streams.open(Watch {
            store: self.state.store.clone(),
            directory: self.state.directory.clone(),
            certificate,
            agency,
            after,
        })
    }

    async fn list(
        &self,
        req: Request<pb::ListInboxRequest>,
    ) -> Result<pb::ListInboxResponse, Error> {
        let m = req.get_ref();
        let agency = self.owner(&req, &m.parent).await?;
        let terms = parse_filter(&m.filter)?;
        let after = filter::parse_cursor_token(&m.page_token, &m.filter, |s| s.parse().ok())?;
        let size = match m.page_size {
            n if n < 0 => return Err(Error::invalid("page_size", "must not be negative")),
            0 => DEFAULT_PAGE,
            n => (n as u64).min(MAX_PAGE),
        };
        let query = InboxQuery {
            agency,
            after: after.unwrap_or(0),
            limit: size + 1,
            unacknowledged_only: terms.unacknowledged_only,
            kind: terms.kind,
            case: terms.case,
        };
        let rows = self.state.store.inbox_messages(&query).await?;
        let more = rows.len() as u64 > size;
        let messages = rows
            .into_iter()
            .take(size as usize)
            .map(message)
            .collect::<Result<Vec<_>, _>>()?;
        let next_page_token = match (more, messages.last()) {
            (true, Some(last)) => filter::cursor_token(&last.cursor, &m.filter),
            _ => String::new(),
        };
        Ok(pb::ListInboxResponse {
            messages,
            next_page_token,
        })
    }

    async fn ack(&self, req: Request<pb::AckInboxRequest>) -> Result<pb::AckInboxResponse, Error> {
        let m = req.get_ref();
        let agency = self.owner(&req, &m.parent).await?;
        let mut fields = Fields::default();
        let request_id = fields.request_id("request_id", &m.request_id);
        let cursor = match m.cursor.as_str() {
            "" => {
                fields.violate(
                    "cursor",
                    "is required: the cursor of the last message processed",
                );
                None
            }
            cursor => fields.parse("cursor", parse_cursor(cursor)),
        };
        fields.finish()?;
        let (Some(request_id), Some(cursor)) = (request_id, cursor) else {
            return Err(Error::Unexpected("a field parsed without a value".into()));
        };
        let acknowledged_count = self
            .state
            .store
            .ack_inbox(AckRequest {
                agency,
                request_id,
                cursor,
                at: self.state.clock.now(),
            })
            .await?;
        Ok(pb::AckInboxResponse { acknowledged_count })
    }

    async fn status(
        &self,
        req: Request<pb::GetInboxStatusRequest>,
    ) -> Result<pb::GetInboxStatusResponse, Error> {
        let agency = self.owner(&req, &req.get_ref().parent).await?;
        let status = self.state.store.inbox_status(&agency).await?;
        let cursor = |seq: Option<i64>| seq.map(|s| s.to_string()).unwrap_or_default();
        let status = pb::InboxStatus {
            agency: convert::agency_name(&agency),
            last_cursor: cursor(status.last),
            acknowledged_cursor: cursor(status.acknowledged),
            unacknowledged_count: status.unacknowledged,
            oldest_unacknowledged_time: status.oldest_unacknowledged.map(convert::timestamp),
        };
        Ok(pb::GetInboxStatusResponse {
            status: Some(status),
        })
    }
}

/// A cursor as agencies see it: the decimal place of a message in the feeds.
fn parse_cursor(cursor: &str) -> Result<i64, &'static str> {
    cursor
        .parse::<i64>()
        .ok()
        .filter(|_| cursor.bytes().all(|b| b.is_ascii_digit()))
        .ok_or("is not a cursor this inbox issued")
}

/// What a `ListInbox` filter selects.
#[derive(Debug, Default, PartialEq, Eq)]
struct Terms {
    unacknowledged_only: bool,
    kind: Option<MessageKind>,
    case: Option<CaseId>,
}

/// Parses `acknowledged = false`, `kind = …` and `case = "cases/…"`, joined by ` AND `.
fn parse_filter(text: &str) -> Result<Terms, Error> {
    let bad = |description: String| Error::invalid("filter", description);
    let mut terms = Terms::default();
    if text.trim().is_empty() {
        return Ok(terms);
    }
    for term in text.split(" AND ") {
        let (key, value) = term
            .split_once('=')
            .map(|(k, v)| (k.trim(), filter::unquote(v.trim())))
            .ok_or_else(|| bad(format!("`{}` is not a `field = value` term", term.trim())))?;
        match key {
            "acknowledged" if value == "false" => terms.unacknowledged_only = true,
            "acknowledged" => {
                return Err(bad("only `acknowledged = false` is supported".into()));
            }
            "kind" => {
                let name = value.strip_prefix("INBOX_MESSAGE_KIND_").unwrap_or(value);
                terms.kind = Some(MessageKind::parse(name).ok_or_else(|| {
                    bad(format!(
                        "`{value}` is not a kind: CASE_CHANGED, DEADLINE_REMINDER, DEADLINE_MISSED or ESCALATION"
                    ))
                })?);
            }
            "case" => {
                terms.case =
                    Some(CaseId::from_resource_name(value).map_err(|_| {
                        bad(format!("`{value}` is not a case name cases/{{case_id}}"))
                    })?);
            }
            other => {
                return Err(bad(format!(
                    "`{other}` is not supported; use acknowledged, kind or case"
                )));
            }
        }
    }
    Ok(terms)
}

/// The wire kind of a message.
fn kind(kind: MessageKind) -> pb::InboxMessageKind {
    match kind {
        MessageKind::CaseChanged => pb::InboxMessageKind::CaseChanged,
        MessageKind::DeadlineReminder => pb::InboxMessageKind::DeadlineReminder,
        MessageKind::DeadlineMissed => pb::InboxMessageKind::DeadlineMissed,
        MessageKind::Escalation => pb::InboxMessageKind::Escalation,
    }
}

/// A stored message as its recipient sees it.
pub(crate) fn message(m: netral_store::InboxMessage) -> Result<pb::InboxMessage, Error> {
    let corrupt = |what: &str| Error::Unexpected(format!("inbox message {}: {what}", m.seq));
    let state: netral_domain::CaseState =
        m.case_state.parse().map_err(|_| corrupt("case_state"))?;
    let actor: AgencyId = m.actor.parse().map_err(|_| corrupt("actor"))?;
    let recipient: AgencyId = m.recipient.parse().map_err(|_| corrupt("recipient"))?;
    let snapshot = pb::Case::decode(m.snapshot.as_slice()).map_err(|_| corrupt("snapshot"))?;
    let cursor = m.seq.to_string();
    Ok(pb::InboxMessage {
        name: format!("{}/inbox/{cursor}", convert::agency_name(&recipient)),
        cursor,
        kind: kind(m.kind) as i32,
        case: m.case_id.resource_name(),
        case_state: convert::state(state) as i32,
        action: m.action,
        // netral's own steps (the deadline engine's notices) have no agency behind them.
        actor: if actor.as_str() == crate::exchange::NETRAL_ACTOR {
            String::new()
        } else {
            convert::agency_name(&actor)
        },
        create_time: Some(convert::timestamp(m.created_at)),
        traceparent: m.traceparent,
        acknowledged: m.acknowledged,
        snapshot: Some(snapshot),
    })
}

type Feed = super::inbox_stream::Feed;

#[tonic::async_trait]
impl InboxService for InboxApi {
    type WatchInboxStream =
        Pin<Box<dyn Stream<Item = Result<pb::WatchInboxResponse, Status>> + Send + 'static>>;

    async fn watch_inbox(
        &self,
        req: Request<pb::WatchInboxRequest>,
    ) -> Result<Response<Self::WatchInboxStream>, Status> {
        let feed = self.watch(req).await.map_err(Status::from)?;
        Ok(Response::new(Box::pin(feed)))
    }

    async fn list_inbox(
        &self,
        req: Request<pb::ListInboxRequest>,
    ) -> Result<Response<pb::ListInboxResponse>, Status> {
        self.list(req)
            .await
            .map(Response::new)
            .map_err(Status::from)
    }

    async fn ack_inbox(
        &self,
        req: Request<pb::AckInboxRequest>,
    ) -> Result<Response<pb::AckInboxResponse>, Status> {
        self.ack(req).await.map(Response::new).map_err(Status::from)
    }

    async fn get_inbox_status(
        &self,
        req: Request<pb::GetInboxStatusRequest>,
    ) -> Result<Response<pb::GetInboxStatusResponse>, Status> {
        self.status(req)
            .await
            .map(Response::new)
            .map_err(Status::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_parse_every_supported_term() {
        let terms = parse_filter(
            "acknowledged = false AND kind = INBOX_MESSAGE_KIND_ESCALATION \
             AND case = \"cases/0b5f3c6e-1d2a-4e8b-9c7d-2f1e3a4b5c6d\"",
        )
        .unwrap();
        assert!(terms.unacknowledged_only);
        assert_eq!(terms.kind, Some(MessageKind::Escalation));
        assert!(terms.case.is_some());
        assert_eq!(parse_filter("").unwrap(), Terms::default());
    }

    #[test]
    fn bad_filters_name_their_field_and_bad_cursors_are_refused() {
        for text in [
            "acknowledged = true",
            "kind = LATE",
            "case = x",
            "actor = \"agencies/bkn\"",
            "nonsense",
        ] {
            let err = parse_filter(text).unwrap_err();
            assert!(
                matches!(&err, Error::Invalid(v) if v[0].field == "filter"),
                "{text}: {err:?}"
            );
        }
        for cursor in ["-1", "+3", "abc", "1e3", "99999999999999999999", ""] {
            assert!(parse_cursor(cursor).is_err(), "{cursor}");
        }
        assert_eq!(parse_cursor("42"), Ok(42));
    }
}
