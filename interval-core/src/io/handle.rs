//! [`Io`], the handle every I/O method starts from. Each family of methods
//! (`input`, `select`, `display`, `group`, ...) adds its entry point to it
//! in its own module.

use std::sync::Arc;

use crate::state::HostState;
use crate::target::Target;

/// The I/O handle of one transaction (or of one page view, where it builds
/// the layout's display components). Cheap to clone.
#[derive(Clone)]
pub struct Io {
    pub(crate) host: Arc<HostState>,
    pub(crate) target: Target,
}

impl std::fmt::Debug for Io {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Io")
            .field("id", &self.target.id())
            .finish_non_exhaustive()
    }
}

impl Io {
    pub(crate) fn new(host: Arc<HostState>, target: Target) -> Self {
        Io { host, target }
    }
}
