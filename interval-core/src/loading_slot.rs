//! The loading state a transaction or page keeps ([`LoadingSlot`]), and
//! `SEND_LOADING_CALL`, which shows it.

use interval_protocol::host::{SendLoadingCall, SendLoadingCallInputs};
use interval_protocol::types::LoadingState;

use crate::state::HostState;

/// The loading state of a transaction or page, kept by it (so that a
/// transaction that never shows one pays for no more than this).
#[derive(Debug, Default)]
pub(crate) struct LoadingSlot {
    /// Boxed: most transactions never show a loading state.
    pub state: Option<Box<LoadingState>>,
    /// A send is scheduled (changes within the debounce go with it).
    pub armed: bool,
}

/// `SEND_LOADING_CALL`, errors logged.
pub(crate) async fn send_loading(host: &HostState, id: &str, state: LoadingState) {
    let inputs = SendLoadingCallInputs {
        transaction_id: id.to_owned(),
        state,
        skip_client_call: None,
    };
    match host.rpc.call::<SendLoadingCall>(&inputs).await {
        Ok(true) => {}
        Ok(false) => tracing::debug!("The server refused a loading state for {id}"),
        Err(e) => tracing::warn!("Could not send a loading state: {e}"),
    }
}
