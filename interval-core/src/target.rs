//! What an [`Io`](crate::Io) renders into: a transaction (`SEND_IO_CALL`)
//! or an open page (the children of its layout).

use std::future::{ready, Future};
use std::sync::Arc;

use futures_util::future::Either;
use interval_protocol::host::{SendIoCall, SendIoCallInputs};
use interval_protocol::io::IoRender;
use uuid::Uuid;

use crate::error::{Error, IoError, IoErrorKind, Result};
use crate::inbox::Inbox;
use crate::loading_slot::LoadingSlot;
use crate::page_view::PageView;
use crate::state::HostState;
use crate::transaction::Transaction;

/// Where the renders of an [`Io`](crate::Io) go, and where a
/// [`Loading`](crate::Loading) keeps its state.
#[derive(Clone)]
pub(crate) enum Target {
    /// `SEND_IO_CALL` for a transaction.
    Transaction(Arc<Transaction>),
    /// The `children` of a page's layout, sent with `SEND_PAGE`.
    Page(Arc<PageView>),
}

impl Target {
    /// The transaction was canceled or closed, or the page closed.
    pub fn is_canceled(&self) -> bool {
        match self {
            Target::Transaction(t) => t.is_canceled(),
            Target::Page(p) => p.is_closed(),
        }
    }

    /// The server refused a replayed call: a transaction ends as if the
    /// runner canceled it (a page has nothing to end).
    pub fn cancel_by_server(&self) {
        if let Target::Transaction(t) = self {
            t.cancel_by_server();
        }
    }

    /// Displays resolve at once (append-UI transactions).
    pub fn append_ui(&self) -> bool {
        match self {
            Target::Transaction(t) => t.append_ui,
            Target::Page(_) => false,
        }
    }

    /// Runs `f` on the loading state of the transaction or page.
    pub fn with_loading<T>(&self, f: impl FnOnce(&mut LoadingSlot) -> T) -> T {
        match self {
            Target::Transaction(t) => t.with_loading(f),
            Target::Page(p) => p.with_loading(f),
        }
    }

    /// Opens the inbox of a new input group.
    pub fn open_group(&self, key: Uuid) -> Arc<Inbox> {
        match self {
            Target::Transaction(t) => t.open_group(key),
            Target::Page(p) => p.open_group(key),
        }
    }

    /// The id the server knows it by (transaction id or page key).
    pub fn id(&self) -> &str {
        match self {
            Target::Transaction(t) => &t.id,
            Target::Page(p) => &p.key,
        }
    }

    /// Sends one render; `settled` when no call will wait on it. For a
    /// transaction, while disconnected the render is sent again after the
    /// reconnect (by the waiting call, or the replay of a settled render).
    /// (Not an `async fn`: the render is encoded and dropped before the
    /// future that waits for the server's answer is made.)
    pub fn send<'a>(
        &'a self,
        host: &'a Arc<HostState>,
        render: IoRender,
        settled: bool,
    ) -> impl Future<Output = Result<()>> + 'a {
        self.send_render(host, render, Some(settled))
    }

    /// Sends a new render of an input group that is not the latest (a step
    /// of an append-UI transaction that resolved at once, still paging):
    /// what a reconnect replays stays the latest call's.
    pub fn send_earlier<'a>(
        &'a self,
        host: &'a Arc<HostState>,
        render: IoRender,
    ) -> impl Future<Output = Result<()>> + 'a {
        self.send_render(host, render, None)
    }

    /// Sends one render; `latest` says whether it is the latest call's, and
    /// settled, for what a reconnect replays.
    fn send_render<'a>(
        &'a self,
        host: &'a Arc<HostState>,
        render: IoRender,
        latest: Option<bool>,
    ) -> impl Future<Output = Result<()>> + 'a {
        let transaction = match self {
            Target::Page(page) => {
                page.set_children(host, render);
                return Either::Left(ready(Ok(())));
            }
            Target::Transaction(transaction) => transaction,
        };
        let io_call = serde_json::to_string(&render).expect("a render serializes");
        drop(render);
        if let Some(settled) = latest {
            transaction.rendered(settled.then(|| io_call.clone()));
        }
        let inputs = SendIoCallInputs {
            transaction_id: transaction.id.to_string(),
            io_call,
            skip_client_call: None,
        };
        Either::Right(async move {
            match host.rpc.call::<SendIoCall>(&inputs).await {
                Ok(reply) => match reply.refusal() {
                    None => Ok(()),
                    Some(message) => Err(IoError::new(IoErrorKind::RenderError, message).into()),
                },
                Err(Error::NotConnected) if !host.is_closed() => {
                    tracing::debug!("Not connected: the IO call will be sent after reconnecting");
                    Ok(())
                }
                Err(e) => Err(e),
            }
        })
    }
}
