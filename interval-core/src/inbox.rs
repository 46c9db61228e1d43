//! Inboxes: where what arrives for one input group (its IO responses, a
//! request to render again after a reconnect, the end) waits for the
//! group's render loop.
//!
//! A parked transaction holds one inbox, so it is kept small: no events, no
//! allocation beyond the inbox itself until something arrives (a tokio
//! bounded channel would reserve a block of slots up front). The owner of a
//! transaction or page keeps [`Groups`] of weak references: an inbox lives
//! as long as its render loop, and a group whose loop returned is gone.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll, Waker};

use interval_protocol::io::IoResponse;
use uuid::Uuid;

use crate::socket::lock;

/// Events buffered per input group before new ones are dropped.
const CAPACITY: usize = 32;

/// What reaches a waiting IO call.
#[derive(Debug)]
pub(crate) enum GroupEvent {
    /// The browser answered (or the server canceled). Boxed: responses are
    /// rare next to the time an inbox waits.
    Response(Box<IoResponse>),
    /// The connection came back: send the render again.
    Resend,
    /// Nothing more will come.
    Closed(Closed),
}

/// Why an inbox was closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Closed {
    /// The transaction was closed (or the page).
    Transaction,
    /// The client was closed.
    Client,
    /// The server refused the transaction's replayed call after a reconnect
    /// (it no longer runs it): ends the call as a cancel by the runner.
    Canceled,
}

/// Why an event was not delivered.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Undelivered {
    /// No open group has that key.
    UnknownGroup,
    /// The group has [`CAPACITY`] events waiting.
    Full,
}

/// The inbox of one input group.
#[derive(Debug)]
pub(crate) struct Inbox {
    key: Uuid,
    state: Mutex<InboxState>,
}

#[derive(Debug, Default)]
struct InboxState {
    events: VecDeque<GroupEvent>,
    waker: Option<Waker>,
    closed: Option<Closed>,
}

impl Inbox {
    /// The input group key.
    pub fn key(&self) -> Uuid {
        self.key
    }

    /// Queues an event and wakes the loop.
    pub fn push(&self, event: GroupEvent) -> Result<(), Undelivered> {
        let waker = {
            let mut state = lock(&self.state);
            if state.closed.is_some() {
                return Err(Undelivered::UnknownGroup);
            }
            if state.events.len() >= CAPACITY {
                return Err(Undelivered::Full);
            }
            state.events.push_back(event);
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
        Ok(())
    }

    /// Closes the inbox: once the queued events are taken, `recv` returns
    /// `Closed(why)`.
    pub fn close(&self, why: Closed) {
        let waker = {
            let mut state = lock(&self.state);
            state.closed.get_or_insert(why);
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// The next event.
    #[cfg(test)]
    pub async fn recv(&self) -> GroupEvent {
        std::future::poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// The next event, if there is one; otherwise `cx` is woken when one
    /// arrives.
    pub fn poll_recv(&self, cx: &mut Context<'_>) -> Poll<GroupEvent> {
        let mut state = lock(&self.state);
        if let Some(event) = state.events.pop_front() {
            return Poll::Ready(event);
        }
        if let Some(why) = state.closed {
            return Poll::Ready(GroupEvent::Closed(why));
        }
        match &mut state.waker {
            Some(waker) => waker.clone_from(cx.waker()),
            None => state.waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

/// The open input groups of a transaction or page. Usually one (the call
/// waiting now), kept without a separate allocation.
#[derive(Debug, Default)]
pub(crate) struct Groups {
    latest: Option<Weak<Inbox>>,
    /// Groups opened before the latest whose loops still run, oldest first.
    older: Vec<Weak<Inbox>>,
}

impl Groups {
    /// Opens the inbox of a new group (the render loop keeps it alive).
    pub fn open(&mut self, key: Uuid) -> Arc<Inbox> {
        self.older.retain(|inbox| inbox.strong_count() > 0);
        if let Some(previous) = self.latest.take().filter(|i| i.strong_count() > 0) {
            self.older.push(previous);
        }
        let inbox = Arc::new(Inbox {
            key,
            state: Mutex::default(),
        });
        self.latest = Some(Arc::downgrade(&inbox));
        inbox
    }

    /// The inbox of the group with `key`, or (no key) of the latest group.
    pub fn get(&self, key: Option<&str>) -> Option<Arc<Inbox>> {
        match key {
            Some(key) => {
                let key = Uuid::parse_str(key).ok()?;
                self.latest
                    .iter()
                    .chain(self.older.iter().rev())
                    .filter_map(Weak::upgrade)
                    .find(|inbox| inbox.key == key)
            }
            None => self.latest(),
        }
    }

    /// The inbox of the group opened last, if its loop still runs.
    pub fn latest(&self) -> Option<Arc<Inbox>> {
        self.latest.as_ref().and_then(Weak::upgrade)
    }

    /// Delivers `event` to the group with `key` (or the latest group).
    pub fn deliver(&self, key: Option<&str>, event: GroupEvent) -> Result<(), Undelivered> {
        self.get(key).ok_or(Undelivered::UnknownGroup)?.push(event)
    }

    /// Closes every group.
    pub fn close_all(&mut self, why: Closed) {
        let all = self.latest.take().into_iter().chain(self.older.drain(..));
        for inbox in all.filter_map(|inbox| inbox.upgrade()) {
            inbox.close(why);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn events_reach_their_group_in_order_then_close() {
        let mut groups = Groups::default();
        let first = groups.open(interval_protocol::new_id());
        let second = groups.open(interval_protocol::new_id());
        let key = second.key().to_string();
        groups.deliver(Some(&key), GroupEvent::Resend).unwrap();
        // No key: the latest group.
        groups.deliver(None, GroupEvent::Resend).unwrap();
        second.close(Closed::Transaction);
        assert!(matches!(second.recv().await, GroupEvent::Resend));
        assert!(matches!(second.recv().await, GroupEvent::Resend));
        assert!(matches!(
            second.recv().await,
            GroupEvent::Closed(Closed::Transaction)
        ));
        assert_eq!(
            groups.deliver(Some("not-a-key"), GroupEvent::Resend),
            Err(Undelivered::UnknownGroup)
        );
        groups.close_all(Closed::Client);
        assert!(matches!(
            first.recv().await,
            GroupEvent::Closed(Closed::Client)
        ));
        assert_eq!(
            first.push(GroupEvent::Resend),
            Err(Undelivered::UnknownGroup)
        );
    }

    #[tokio::test]
    async fn a_dropped_loop_takes_its_group_along_and_a_full_inbox_refuses() {
        let mut groups = Groups::default();
        let gone = groups.open(interval_protocol::new_id());
        let key = gone.key().to_string();
        drop(gone);
        assert_eq!(
            groups.deliver(Some(&key), GroupEvent::Resend),
            Err(Undelivered::UnknownGroup)
        );
        let inbox = groups.open(interval_protocol::new_id());
        for _ in 0..CAPACITY {
            inbox.push(GroupEvent::Resend).unwrap();
        }
        assert_eq!(inbox.push(GroupEvent::Resend), Err(Undelivered::Full));
    }

    #[tokio::test]
    async fn recv_waits_for_a_push_from_another_task() {
        let mut groups = Groups::default();
        let inbox = groups.open(interval_protocol::new_id());
        let waiting = tokio::spawn({
            let inbox = inbox.clone();
            async move { matches!(inbox.recv().await, GroupEvent::Resend) }
        });
        tokio::task::yield_now().await;
        inbox.push(GroupEvent::Resend).unwrap();
        assert!(waiting.await.unwrap());
    }
}
