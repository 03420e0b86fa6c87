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

/// The `traceparent` of `span` (`00-<trace id>-<span id>-<flags>`); empty when it has no
/// valid context (no OpenTelemetry layer installed, or a disabled span).
pub fn traceparent_of(span: &tracing::Span) -> String {
    let context = span.context();
    let span = context.span();
    let span = span.span_context();
    if !span.is_valid() {
        return String::new();
    }
    format!(
        "00-{}-{}-{:02x}",
        span.trace_id(),
        span.span_id(),
        span.trace_flags().to_u8()
    )
}

/// The `traceparent` of the current span (see [`traceparent_of`]).
pub fn current_traceparent() -> String {
    traceparent_of(&tracing::Span::current())
}

/// The trace id in a `traceparent`, 32 hex digits; empty when it is not a valid one.
pub fn trace_id_of(traceparent: &str) -> String {
    parse(traceparent).map_or_else(String::new, |span| span.trace_id().to_string())
}

/// The span id in a `traceparent`, 16 hex digits; empty when it is not a valid one.
pub fn span_id_of(traceparent: &str) -> String {
    parse(traceparent).map_or_else(String::new, |span| span.span_id().to_string())
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
        assert_eq!(trace_id_of(CALLER), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(span_id_of(CALLER), "00f067aa0ba902b7");
        assert_eq!(trace_id_of(&CALLER.to_ascii_uppercase()), "");
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
