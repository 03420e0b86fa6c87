//! W3C trace context on every call the `netral` command makes, so the exchange's spans of
//! one command are one trace (and an operator finds them together): with `TRACEPARENT` set
//! (as a script or CI job that traces itself sets it), every call continues that span;
//! otherwise the command starts a trace of its own, each call a span of it. A consumer of
//! inbox messages continues the producing step's trace instead ([`continuing`]).

use std::sync::OnceLock;

use tonic::metadata::MetadataValue;
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

/// A channel whose calls carry this command's trace context.
pub type Traced = InterceptedService<Channel, TraceContext>;

/// The environment variable a calling process passes its span's `traceparent` in.
pub const TRACEPARENT_VAR: &str = "TRACEPARENT";

/// Adds `traceparent` to every call that does not carry one already.
#[derive(Debug, Clone, Copy, Default)]
pub struct TraceContext;

/// `channel` with this command's trace context on every call.
pub fn traced(channel: Channel) -> Traced {
    InterceptedService::new(channel, TraceContext)
}

/// This command's trace: the caller's `TRACEPARENT` when valid, else a fresh trace id.
fn command_trace() -> &'static Origin {
    static TRACE: OnceLock<Origin> = OnceLock::new();
    TRACE.get_or_init(|| {
        match std::env::var(TRACEPARENT_VAR)
            .ok()
            .filter(|t| ids_of(t).is_some())
        {
            Some(parent) => Origin::Parent(parent.trim().to_ascii_lowercase()),
            None => Origin::Trace(uuid::Uuid::new_v4().simple().to_string()),
        }
    })
}

/// Where this command's calls hang.
#[derive(Debug)]
enum Origin {
    /// Under the calling process's span.
    Parent(String),
    /// In a trace of the command's own.
    Trace(String),
}

/// A new span id, 16 hex digits.
fn span_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()[16..].to_owned()
}

/// The `(trace id, span id)` of a valid `traceparent`.
fn ids_of(traceparent: &str) -> Option<(&str, &str)> {
    let parts: Vec<&str> = traceparent.trim().split('-').collect();
    let hex = |s: &str, n: usize| {
        s.len() == n
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    match parts.as_slice() {
        [version, trace, span, flags]
            if hex(version, 2)
                && hex(trace, 32)
                && hex(span, 16)
                && hex(flags, 2)
                && trace.bytes().any(|b| b != b'0')
                && span.bytes().any(|b| b != b'0') =>
        {
            Some((trace, span))
        }
        _ => None,
    }
}

/// The `traceparent` of one call of this command.
pub fn for_call() -> String {
    command_trace().for_call()
}

impl Origin {
    /// The `traceparent` of one call: the calling process's span, or a new span of the
    /// command's own trace.
    fn for_call(&self) -> String {
        match self {
            Self::Parent(parent) => parent.clone(),
            Self::Trace(trace) => format!("00-{trace}-{}-01", span_id()),
        }
    }
}

/// A `traceparent` continuing the trace of `producer` (an inbox message's), as a new span of
/// it; `None` when `producer` is not a valid one.
pub fn continuing(producer: &str) -> Option<String> {
    let (trace, _) = ids_of(producer)?;
    Some(format!("00-{trace}-{}-01", span_id()))
}

impl Interceptor for TraceContext {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        if !request.metadata().contains_key("traceparent")
            && let Ok(value) = MetadataValue::try_from(for_call())
        {
            request.metadata_mut().insert("traceparent", value);
        }
        Ok(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CALLER: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn every_call_of_a_command_is_a_new_span_of_one_trace() {
        let own = Origin::Trace("0af7651916cd43dd8448eb211c80319c".into());
        let (first, second) = (own.for_call(), own.for_call());
        let (a, b) = (ids_of(&first).unwrap(), ids_of(&second).unwrap());
        assert_eq!(a.0, "0af7651916cd43dd8448eb211c80319c", "one trace");
        assert_eq!(b.0, a.0, "one trace");
        assert_ne!(a.1, b.1, "two spans");
    }

    #[test]
    fn under_a_calling_script_every_call_is_a_child_of_its_span() {
        let parent = Origin::Parent(CALLER.into());
        assert_eq!(parent.for_call(), CALLER);
        assert_eq!(parent.for_call(), CALLER);
    }

    #[test]
    fn an_inbox_consumer_continues_the_producers_trace() {
        let continued = continuing(CALLER).unwrap();
        let (trace, span) = ids_of(&continued).unwrap();
        assert_eq!(trace, "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_ne!(span, "00f067aa0ba902b7");
        assert_eq!(continuing(""), None);
        assert_eq!(
            continuing("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"),
            None
        );
    }

    #[test]
    fn a_call_that_carries_its_own_context_keeps_it() {
        let mut request = tonic::Request::new(());
        request.metadata_mut().insert(
            "traceparent",
            MetadataValue::from_static("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
        );
        let request = TraceContext.call(request).unwrap();
        assert_eq!(
            request.metadata().get("traceparent").unwrap(),
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        );
        let fresh = TraceContext.call(tonic::Request::new(())).unwrap();
        assert!(
            ids_of(
                fresh
                    .metadata()
                    .get("traceparent")
                    .unwrap()
                    .to_str()
                    .unwrap()
            )
            .is_some()
        );
    }
}
