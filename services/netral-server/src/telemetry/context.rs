//! W3C trace context in and out: taken from a call's metadata (`traceparent`, `tracestate`,
//! `baggage`), written as a `traceparent` string where the exchange keeps it (the case's
//! registration, each case event, audit event and inbox message), and turned back into a
//! parent or a link when a later step, the deadline engine or an inbox stream continues a
//! case's trace.
//!
//! Baggage is carried in the call's context and never recorded: a caller may put anything
//! in it.

use std::collections::HashMap;

use opentelemetry::propagation::{Extractor, TextMapCompositePropagator, TextMapPropagator};
use opentelemetry::trace::{SpanContext, TraceContextExt};
use opentelemetry_sdk::propagation::{BaggagePropagator, TraceContextPropagator};
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// The propagators the exchange understands: W3C trace context and W3C baggage.
fn propagator() -> TextMapCompositePropagator {
    TextMapCompositePropagator::new(vec![
        Box::new(TraceContextPropagator::new()),
        Box::new(BaggagePropagator::new()),
    ])
}

/// Reads propagation fields from HTTP/2 headers (gRPC metadata).
struct Headers<'a>(&'a http::HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

/// The caller's context from a request's headers: its span as the remote parent (when it
/// sent a valid `traceparent`) and its baggage.
pub fn from_headers(headers: &http::HeaderMap) -> opentelemetry::Context {
    propagator().extract(&Headers(headers))
}

/// The span context a stored `traceparent` names, if it is a valid one: W3C's shape
/// exactly (lower-case hex of 2, 32, 16 and 2 digits; the SDK alone accepts shorter ids)
/// and neither id all zeros.
pub fn parse(traceparent: &str) -> Option<SpanContext> {
    let traceparent = traceparent.trim();
    let lengths: Vec<usize> = traceparent.split('-').map(str::len).collect();
    let hex = traceparent
        .bytes()
        .all(|b| b == b'-' || b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if lengths != [2, 32, 16, 2] || !hex {
        return None;
    }
    let fields = HashMap::from([("traceparent".to_owned(), traceparent.to_owned())]);
    let context = TraceContextPropagator::new().extract(&fields);
    let span = context.span().span_context().clone();
    span.is_valid().then_some(span)
}

/// A span's context in the forms the exchange stores it: the whole W3C `traceparent` (case
/// rows, case events, inbox messages) and its two ids (audit leaves). All empty without a
/// valid context (no OpenTelemetry layer, a disabled span, a malformed value).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpanIds {
    /// `00-<trace id>-<span id>-<flags>`.
    pub traceparent: String,
    /// 32 hex digits.
    pub trace_id: String,
    /// 16 hex digits.
    pub span_id: String,
}

impl SpanIds {
    /// The ids of `span`, formatted once.
    fn of(span: &SpanContext) -> Self {
        if !span.is_valid() {
            return Self::default();
        }
        let (trace_id, span_id) = (span.trace_id().to_string(), span.span_id().to_string());
        Self {
            traceparent: format!("00-{trace_id}-{span_id}-{:02x}", span.trace_flags().to_u8()),
            trace_id,
            span_id,
        }
    }

    /// The ids of the current span (in a handler: the call's server span).
    pub fn current() -> Self {
        let context = tracing::Span::current().context();
        Self::of(context.span().span_context())
    }

    /// The ids a stored or received `traceparent` names (see [`parse`]).
    pub fn parse(traceparent: &str) -> Self {
        parse(traceparent).map_or_else(Self::default, |span| Self::of(&span))
    }

    /// Whether there is no context.
    pub fn is_empty(&self) -> bool {
        self.traceparent.is_empty()
    }
}

/// Links `span` to the span a stored `traceparent` names (a case's registration, the step
/// that produced an inbox message); nothing when it is empty or not valid.
pub fn link(span: &tracing::Span, traceparent: &str) {
    if let Some(context) = parse(traceparent) {
        span.add_link(context);
    }
}

/// Makes the span a stored `traceparent` names the parent of `span`, which must not have
/// been entered yet; nothing when it is empty or not valid.
pub fn continue_from(span: &tracing::Span, traceparent: &str) {
    if let Some(context) = parse(traceparent) {
        let parent = opentelemetry::Context::new().with_remote_span_context(context);
        let _ = span.set_parent(parent);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CALLER: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn a_valid_traceparent_names_its_trace_and_span() {
        let ids = SpanIds::parse(CALLER);
        assert_eq!(ids.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(ids.span_id, "00f067aa0ba902b7");
        assert_eq!(ids.traceparent, CALLER);
        assert!(SpanIds::parse(&CALLER.to_ascii_uppercase()).is_empty());
    }

    #[test]
    fn malformed_or_empty_trace_context_names_nothing() {
        for bad in [
            "",
            "garbage",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
        ] {
            assert!(parse(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn the_caller_context_comes_from_the_headers() {
        let mut headers = http::HeaderMap::new();
        headers.insert("traceparent", CALLER.parse().unwrap());
        headers.insert("baggage", "agency.system=sipp".parse().unwrap());
        let context = from_headers(&headers);
        assert_eq!(
            context.span().span_context().trace_id().to_string(),
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
        assert!(context.span().span_context().is_remote());
        use opentelemetry::baggage::BaggageExt;
        assert_eq!(
            context
                .baggage()
                .get("agency.system")
                .map(|v| v.to_string()),
            Some("sipp".into())
        );
    }
}
