//! One `WatchInbox` stream: a task reads the agency's messages after its cursor into a
//! bounded buffer, then sleeps until the store signals news for the agency (no polling
//! loop). The buffer bounds what a stream costs in memory: when it stays full for the
//! slow-consumer timeout, the task stops and the stream ends, after the buffered messages,
//! with `UNAVAILABLE` / `INBOX_CONSUMER_TOO_SLOW` naming the last cursor sent, from which the
//! client resumes. A server shutting down ends every stream the same way (`SHUTTING_DOWN`),
//! so draining never waits on an idle stream.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use tracing::Instrument;

use futures::Stream;
use netral_domain::{AgencyId, Reason};
use netral_proto::v1 as pb;
use netral_store::{InboxQuery, Store};
use tokio::sync::{mpsc, watch};
use tonic::Status;

use crate::directory::DirectoryHandle;
use crate::error::Error;
use crate::settings::InboxSettings;

/// What every stream of this server shares: the bounds, the open streams per agency and
/// the shutdown signal.
#[derive(Clone, Debug)]
pub struct Streams {
    /// Buffer size, slow-consumer timeout, streams per agency.
    settings: InboxSettings,
    /// How many streams each agency holds open.
    open: Arc<Mutex<HashMap<AgencyId, u32>>>,
    /// Turns `true` when the server starts draining.
    closing: watch::Receiver<bool>,
}

/// Frees its agency's stream slot when the stream is dropped.
struct Slot {
    open: Arc<Mutex<HashMap<AgencyId, u32>>>,
    agency: AgencyId,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = open.get_mut(&self.agency) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.agency);
            }
        }
    }
}

/// Where a stream's task and the response stream meet.
pub(crate) struct Feed {
    /// The buffered messages.
    rx: mpsc::Receiver<pb::WatchInboxResponse>,
    /// The status to end with once the buffer is drained, when the task stopped early.
    end: Arc<Mutex<Option<Status>>>,
    /// The agency's stream slot, held as long as the response stream lives.
    _slot: Slot,
}

impl Stream for Feed {
    type Item = Result<pb::WatchInboxResponse, Status>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match self.rx.poll_recv(cx) {
            Poll::Ready(Some(message)) => Poll::Ready(Some(Ok(message))),
            Poll::Ready(None) => {
                let mut end = self.end.lock().unwrap_or_else(|p| p.into_inner());
                Poll::Ready(end.take().map(Err))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

/// What one stream's task needs.
pub(crate) struct Watch {
    /// Where messages are read.
    pub store: Store,
    /// To notice the agency's revocation while the stream is open.
    pub directory: DirectoryHandle,
    /// The certificate the stream was opened with, to notice its revocation too; `None` in
    /// insecure loopback development mode.
    pub certificate: Option<netral_store::CertificateFingerprint>,
    /// Whose inbox.
    pub agency: AgencyId,
    /// The cursor to continue after.
    pub after: i64,
}

impl Streams {
    /// Bounds from `settings`; streams end when `closing` turns `true`.
    pub fn new(settings: InboxSettings, closing: watch::Receiver<bool>) -> Self {
        Self {
            settings,
            open: Arc::default(),
            closing,
        }
    }

    /// Opens a stream for `watch.agency`, or refuses when it holds as many as it may.
    pub(crate) fn open(&self, watch: Watch) -> Result<Feed, Error> {
        let max = self.settings.max_streams_per_agency;
        {
            let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
            let held = open.entry(watch.agency.clone()).or_default();
            if *held >= max {
                return Err(Error::TooManyStreams { max });
            }
            *held += 1;
        }
        let slot = Slot {
            open: self.open.clone(),
            agency: watch.agency.clone(),
        };
        let (tx, rx) = mpsc::channel(self.settings.stream_buffer as usize);
        let end = Arc::new(Mutex::new(None));
        let pump = Pump {
            watch,
            stream_span: tracing::Span::current(),
            tx,
            end: end.clone(),
            closing: self.closing.clone(),
            settings: self.settings.clone(),
        };
        tokio::spawn(pump.run());
        Ok(Feed {
            rx,
            end,
            _slot: slot,
        })
    }
}

/// The task filling one stream's buffer.
struct Pump {
    watch: Watch,
    /// The `WatchInbox` call's span: each delivery follows from it.
    stream_span: tracing::Span,
    tx: mpsc::Sender<pb::WatchInboxResponse>,
    end: Arc<Mutex<Option<Status>>>,
    closing: watch::Receiver<bool>,
    settings: InboxSettings,
}

/// Why a pump stopped.
enum Stop {
    /// The client went away: nothing to say.
    Gone,
    /// End the stream with this.
    With(Error),
}

impl Pump {
    async fn run(mut self) {
        if let Err(Stop::With(err)) = self.deliver().await {
            let status = Status::from(err);
            *self.end.lock().unwrap_or_else(|p| p.into_inner()) = Some(status);
        }
    }

    fn cursor(&self) -> String {
        if self.watch.after == 0 {
            String::new()
        } else {
            self.watch.after.to_string()
        }
    }

    fn resume(&self, reason: Reason, message: &str) -> Stop {
        Stop::With(Error::Resume {
            reason,
            message: message.to_owned(),
            cursor: self.cursor(),
        })
    }

    async fn deliver(&mut self) -> Result<(), Stop> {
        let signals = self.watch.store.inbox_signals();
        let mut wake = signals.subscribe(self.watch.agency.as_str());
        // A revocation ends the stream without waiting for the agency's next message.
        let mut directory_changes = self.watch.directory.subscribe();
        let page = u64::from(self.settings.stream_buffer);
        loop {
            if *self.closing.borrow() || self.closing.has_changed().is_err() {
                return Err(self.resume(
                    Reason::ShuttingDown,
                    "the server is shutting down; resume from the last cursor",
                ));
            }
            // The caller is resolved by the same rule as each call's identity.
            let directory = self.watch.directory.snapshot();
            let certificate = self.watch.certificate.as_ref();
            certificate
                .map_or(Ok(()), |c| {
                    directory.check_certificate(c, Some(&self.watch.agency))
                })
                .and_then(|()| directory.resolve(&self.watch.agency).map(drop))
                .map_err(|err| Stop::With(Error::Unauthenticated(err)))?;
            wake.borrow_and_update();
            let query = InboxQuery {
                agency: self.watch.agency.clone(),
                after: self.watch.after,
                limit: page,
                unacknowledged_only: false,
                kind: None,
                case: None,
            };
            let messages = self
                .watch
                .store
                .inbox_messages(&query)
                .await
                .map_err(|e| Stop::With(e.into()))?;
            let full_page = messages.len() as u64 == page;
            for message in messages {
                let seq = message.seq;
                let delivery = self.delivery_span(&message);
                let response = pb::WatchInboxResponse {
                    message: Some(super::inbox_service::message(message)?),
                };
                self.send(response).instrument(delivery).await?;
                self.watch.after = seq;
            }
            if full_page {
                continue;
            }
            let woken = tokio::select! {
                changed = wake.changed() => changed.is_ok(),
                Ok(()) = directory_changes.changed() => true,
                () = self.tx.closed() => false,
                _ = self.closing.wait_for(|closing| *closing) => true,
            };
            if !woken {
                return Err(Stop::Gone);
            }
        }
    }

    /// The span of one message's delivery: a child of the step that produced it (its trace
    /// goes on in the recipient's system), following from this stream's call.
    fn delivery_span(&self, message: &netral_store::InboxMessage) -> tracing::Span {
        let span = tracing::info_span!(
            "inbox delivery",
            netral.recipient = %self.watch.agency,
            netral.case = %format!("cases/{}", message.case_id),
            netral.kind = message.kind.as_str(),
        );
        crate::telemetry::context::continue_from(&span, &message.traceparent);
        span.follows_from(&self.stream_span);
        span
    }

    /// Puts `response` into the buffer, waiting at most the slow-consumer timeout for room.
    async fn send(&mut self, response: pb::WatchInboxResponse) -> Result<(), Stop> {
        let timeout = self.settings.slow_consumer_timeout();
        let permit = tokio::select! {
            permit = tokio::time::timeout(timeout, self.tx.reserve()) => Some(permit),
            _ = self.closing.wait_for(|closing| *closing) => None,
        };
        match permit {
            None => Err(self.resume(
                Reason::ShuttingDown,
                "the server is shutting down; resume from the last cursor",
            )),
            Some(Ok(Ok(permit))) => {
                permit.send(response);
                Ok(())
            }
            Some(Ok(Err(_closed))) => Err(Stop::Gone),
            Some(Err(_elapsed)) => {
                tracing::info!(
                    agency = %self.watch.agency,
                    "an inbox consumer read too slowly and was cut off"
                );
                Err(self.resume(
                    Reason::InboxConsumerTooSlow,
                    "the stream's buffer stayed full too long; resume from the last cursor received",
                ))
            }
        }
    }
}

impl From<Error> for Stop {
    fn from(err: Error) -> Self {
        Self::With(err)
    }
}
