//! What one dashboard connection has queued for its socket, kept within the
//! connection's budgets ([`crate::Limits::browser_requests_in_flight`],
//! [`crate::Limits::browser_queued_bytes`]).
//!
//! * Requests: the connection's read loop takes a permit before it reads
//!   a request, and the permit is given back only once the request's reply
//!   has been written to the socket (or dropped). With all permits taken the
//!   read loop stops reading: a dashboard that asks and never reads stalls,
//!   and holds at most that many replies. Requests in flight are counted
//!   apart from the permits ([`InFlight`]), from the moment the read loop
//!   hands a request on.
//! * Bytes: everything queued for the writer is counted by its JSON size.
//!   A reply waits for room (it holds a permit, so the waiting is bounded);
//!   an event, which the server cannot hold back, closes the connection
//!   when it does not fit ([`TOO_MUCH_UNREAD`]). One message larger than
//!   the budget still goes when nothing else is queued.
//!
//! When the connection closes (for any reason), the outbox is closed: what
//! it holds is dropped, waiting replies are dropped, and nothing more is
//! queued.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use serde::Serialize;
use tokio::sync::{mpsc, Notify, OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;

use crate::api::ServerMessage;
use crate::config::Limits;

/// The close reason (with code 1008, policy violation) of a dashboard
/// connection whose unread messages went over its byte budget.
pub const TOO_MUCH_UNREAD: &str =
    "Too much unread data: this dashboard is not reading its messages.";

/// Bytes counted for each queued message besides its JSON text: the queue
/// entry itself.
const ENTRY_OVERHEAD: usize = std::mem::size_of::<Outgoing>();

/// The budgets' accounting of one dashboard connection, as
/// [`crate::AppState::dashboard_backlogs`] reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DashboardBacklog {
    /// The connection's id.
    pub connection: u64,
    /// Bytes queued for its socket and not yet written (JSON size of the
    /// replies and events, plus a small overhead per message).
    pub queued_bytes: usize,
    /// The most bytes it ever had queued.
    pub peak_queued_bytes: usize,
    /// Its requests started and not yet answered on the socket.
    pub requests_in_flight: usize,
    /// The most requests it ever had in flight.
    pub peak_requests_in_flight: usize,
    /// Whether an event did not fit its byte budget: the connection is
    /// being closed ([`TOO_MUCH_UNREAD`]).
    pub overflowed: bool,
}

/// What the writer sends.
pub(crate) enum Payload {
    /// A serialized reply (sent as it is).
    Text(String),
    /// An event (presented by the connection's session, then serialized).
    Message(Box<ServerMessage>),
}

/// One request in flight: read from the socket, not yet answered on it.
/// Holds the request's permit; counted until dropped (once its reply has
/// been written, or dropped with it).
pub(crate) struct InFlight {
    _permit: OwnedSemaphorePermit,
    count: Arc<AtomicUsize>,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.count.fetch_sub(1, Ordering::AcqRel);
    }
}

/// One queued message with what it holds of the budgets.
pub(crate) struct Outgoing {
    payload: Payload,
    bytes: usize,
    _request: Option<InFlight>,
}

impl Outgoing {
    /// Takes the message to write; the entry still holds its share of the
    /// budgets until it is given to [`Outbox::done`].
    pub fn take_payload(&mut self) -> Payload {
        std::mem::replace(&mut self.payload, Payload::Text(String::new()))
    }
}

/// One dashboard connection's queue to its writer.
pub(crate) struct Outbox {
    connection: u64,
    tx: mpsc::UnboundedSender<Outgoing>,
    budget: usize,
    queued: AtomicUsize,
    peak_queued: AtomicUsize,
    /// Signaled when queued bytes are released.
    room: Notify,
    requests: Arc<Semaphore>,
    max_requests: usize,
    in_flight: Arc<AtomicUsize>,
    peak_requests: AtomicUsize,
    overflowed: AtomicBool,
    closed: CancellationToken,
}

impl Outbox {
    /// The outbox of `connection` and the receiving end for its writer.
    pub fn new(
        connection: u64,
        limits: &Limits,
    ) -> (Arc<Outbox>, mpsc::UnboundedReceiver<Outgoing>) {
        // The byte budget bounds the queue; the channel needs no bound of
        // its own.
        let (tx, rx) = mpsc::unbounded_channel();
        let max_requests = limits
            .browser_requests_in_flight
            .clamp(1, u32::MAX as usize);
        let outbox = Outbox {
            connection,
            tx,
            budget: limits.browser_queued_bytes,
            queued: AtomicUsize::new(0),
            peak_queued: AtomicUsize::new(0),
            room: Notify::new(),
            requests: Arc::new(Semaphore::new(max_requests)),
            max_requests,
            in_flight: Arc::default(),
            peak_requests: AtomicUsize::new(0),
            overflowed: AtomicBool::new(false),
            closed: CancellationToken::new(),
        };
        (Arc::new(outbox), rx)
    }

    /// A permit to read and start one request, once one is free; `None`
    /// once the outbox is closed.
    pub async fn request_permit(&self) -> Option<OwnedSemaphorePermit> {
        tokio::select! {
            biased;
            _ = self.closed.cancelled() => None,
            permit = self.requests.clone().acquire_owned() => permit.ok(),
        }
    }

    /// A request read with `permit` is handed on: it is in flight until
    /// its reply has been written (see [`Outbox::reply`]).
    pub fn start(&self, permit: OwnedSemaphorePermit) -> InFlight {
        let now = self.in_flight.fetch_add(1, Ordering::AcqRel) + 1;
        self.peak_requests.fetch_max(now, Ordering::Relaxed);
        InFlight {
            _permit: permit,
            count: self.in_flight.clone(),
        }
    }

    /// Resolves once no request holds a permit: every request started has
    /// ended, and its reply was written or dropped.
    pub async fn requests_ended(&self) {
        let all = u32::try_from(self.max_requests).unwrap_or(u32::MAX);
        let _ = self.requests.acquire_many(all).await;
    }

    /// Queues an event (or another message the server cannot hold back) of
    /// `bytes` (see [`queued_size`]); when it does not fit the budget, the
    /// connection is closed instead.
    pub fn push(&self, message: ServerMessage, bytes: usize) {
        if self.is_closed() {
            return;
        }
        if !self.reserve(bytes) {
            self.overflow();
            return;
        }
        self.enqueue(Payload::Message(Box::new(message)), bytes, None);
    }

    /// Queues `message`, measuring it.
    pub fn push_message(&self, message: ServerMessage) {
        let bytes = queued_size(&message);
        self.push(message, bytes);
    }

    /// Queues the reply to `request`, waiting for room in the budget; the
    /// request stays in flight until the reply is written. Returns at once
    /// when the outbox is (or gets) closed: the reply is dropped.
    pub async fn reply(&self, message: &ServerMessage, request: InFlight) {
        let text = match serde_json::to_string(message) {
            Ok(text) => text,
            Err(e) => {
                tracing::error!("could not serialize a dashboard reply: {e}");
                return;
            }
        };
        let bytes = text.len() + ENTRY_OVERHEAD;
        loop {
            // Registered before the check, so that a release in between
            // is not missed.
            let room = self.room.notified();
            if self.is_closed() {
                return;
            }
            if self.reserve(bytes) {
                self.enqueue(Payload::Text(text), bytes, Some(request));
                return;
            }
            tokio::select! {
                _ = room => {}
                _ = self.closed.cancelled() => return,
            }
        }
    }

    fn enqueue(&self, payload: Payload, bytes: usize, request: Option<InFlight>) {
        let entry = Outgoing {
            payload,
            bytes,
            _request: request,
        };
        if let Err(mpsc::error::SendError(entry)) = self.tx.send(entry) {
            // The writer is gone.
            self.done(entry);
        }
    }

    /// Takes `bytes` from the budget: it fits, or nothing else is queued.
    fn reserve(&self, bytes: usize) -> bool {
        let mut current = self.queued.load(Ordering::Acquire);
        loop {
            if current != 0 && current.saturating_add(bytes) > self.budget {
                return false;
            }
            let next = current.saturating_add(bytes);
            match self.queued.compare_exchange_weak(
                current,
                next,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    self.peak_queued.fetch_max(next, Ordering::Relaxed);
                    return true;
                }
                Err(actual) => current = actual,
            }
        }
    }

    /// `entry` was written (or dropped): its bytes and its request (with
    /// the request's permit) are given back.
    pub fn done(&self, entry: Outgoing) {
        self.queued.fetch_sub(entry.bytes, Ordering::AcqRel);
        drop(entry);
        self.room.notify_waiters();
    }

    fn overflow(&self) {
        if !self.overflowed.swap(true, Ordering::AcqRel) {
            tracing::warn!(
                "dashboard connection {} is not reading its messages ({} bytes queued); \
                 closing it",
                self.connection,
                self.queued.load(Ordering::Relaxed)
            );
        }
        self.close();
    }

    /// Whether the connection is being closed because it did not read.
    pub fn overflowed(&self) -> bool {
        self.overflowed.load(Ordering::Acquire)
    }

    /// Closes the outbox: nothing more is queued, waiting replies are
    /// dropped, and the connection's loops end.
    pub fn close(&self) {
        self.closed.cancel();
    }

    /// Whether the outbox is closed.
    pub fn is_closed(&self) -> bool {
        self.closed.is_cancelled()
    }

    /// Resolves once the outbox is closed.
    pub async fn closed(&self) {
        self.closed.cancelled().await
    }

    /// The accounting of its budgets.
    pub fn backlog(&self) -> DashboardBacklog {
        DashboardBacklog {
            connection: self.connection,
            queued_bytes: self.queued.load(Ordering::Acquire),
            peak_queued_bytes: self.peak_queued.load(Ordering::Relaxed),
            requests_in_flight: self.in_flight.load(Ordering::Acquire),
            peak_requests_in_flight: self.peak_requests.load(Ordering::Relaxed),
            overflowed: self.overflowed(),
        }
    }
}

/// The bytes `message` takes of a byte budget: its JSON size, plus the
/// queue entry.
pub(crate) fn queued_size(message: &impl Serialize) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 += bytes.len();
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    let _ = serde_json::to_writer(&mut count, message);
    count.0 + ENTRY_OVERHEAD
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(requests: usize, bytes: usize) -> Limits {
        Limits {
            browser_requests_in_flight: requests,
            browser_queued_bytes: bytes,
            ..Limits::default()
        }
    }

    fn event() -> ServerMessage {
        ServerMessage::Failed {
            id: 1,
            message: "x".repeat(100),
        }
    }

    #[tokio::test]
    async fn an_event_over_the_budget_closes_the_outbox() {
        let (outbox, mut rx) = Outbox::new(1, &limits(2, 1000));
        let size = queued_size(&event());
        let fits = 1000 / size;
        for _ in 0..fits {
            outbox.push_message(event());
        }
        assert!(!outbox.is_closed());
        assert_eq!(outbox.backlog().queued_bytes, fits * size);
        outbox.push_message(event());
        assert!(outbox.is_closed() && outbox.overflowed());
        assert!(outbox.backlog().peak_queued_bytes <= 1000);
        while let Ok(entry) = rx.try_recv() {
            outbox.done(entry);
        }
        assert_eq!(outbox.backlog().queued_bytes, 0);
    }

    #[tokio::test]
    async fn one_large_message_goes_when_nothing_else_is_queued() {
        let (outbox, mut rx) = Outbox::new(1, &limits(2, 10));
        outbox.push_message(event());
        assert!(!outbox.is_closed());
        outbox.done(rx.try_recv().unwrap());
        assert_eq!(outbox.backlog().queued_bytes, 0);
    }

    #[tokio::test]
    async fn a_reply_waits_for_room_and_holds_its_permit() {
        let (outbox, mut rx) = Outbox::new(1, &limits(2, 1000));
        let first = outbox.start(outbox.request_permit().await.unwrap());
        let second = outbox.start(outbox.request_permit().await.unwrap());
        assert_eq!(outbox.backlog().requests_in_flight, 2);
        let big = ServerMessage::Failed {
            id: 2,
            message: "x".repeat(600),
        };
        outbox.reply(&big, first).await;
        let waiting = {
            let outbox = outbox.clone();
            let big = big.clone();
            tokio::spawn(async move { outbox.reply(&big, second).await })
        };
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        assert_eq!(outbox.backlog().requests_in_flight, 2);
        outbox.done(rx.recv().await.unwrap());
        waiting.await.unwrap();
        assert_eq!(outbox.backlog().requests_in_flight, 1);
        outbox.done(rx.recv().await.unwrap());
        assert_eq!(outbox.backlog().requests_in_flight, 0);
        assert!(outbox.backlog().peak_queued_bytes <= 1000);
    }

    #[tokio::test]
    async fn closing_drops_waiting_replies_and_stops_permits() {
        let (outbox, _rx) = Outbox::new(1, &limits(1, 10));
        let request = outbox.start(outbox.request_permit().await.unwrap());
        outbox.push_message(event());
        let waiting = {
            let outbox = outbox.clone();
            tokio::spawn(async move { outbox.reply(&event(), request).await })
        };
        tokio::task::yield_now().await;
        outbox.close();
        waiting.await.unwrap();
        assert_eq!(outbox.backlog().requests_in_flight, 0);
        assert!(outbox.request_permit().await.is_none());
    }
}
