//! What runs on this node now: connected hosts and what they declared,
//! running transactions and open pages, attached dashboards, and what this
//! node knows of the others. Kept by [`crate::state::AppState`] behind one
//! lock; persistent state lives in the store.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::access;
use crate::api::{Event, ServerMessage};
use crate::db::StepRecord;
use crate::keys::KeyKind;
use crate::outbox::{queued_size, Outbox};
use crate::people::Person;
use crate::wire::Wire;
use interval_protocol::layout::Layout;
use interval_protocol::types::{ActionDefinition, LinkTarget, LoadingState, PageDefinition};

/// One connected (or recently dropped) host.
pub(crate) struct Host {
    pub wire: Arc<Wire>,
    pub conn_id: u64,
    pub key: KeyKind,
    /// The key it connected with: its instance id is bound to it.
    pub key_id: String,
    /// The owner of its development key: the developer whose environment
    /// it serves.
    pub owner: Option<String>,
    pub sdk_version: String,
    /// Its INITIALIZE_HOST answer was delivered: it may get transactions.
    pub ready: bool,
    pub shutting_down: bool,
    pub actions: Vec<ActionDefinition>,
    pub pages: Vec<PageDefinition>,
}

impl Host {
    pub fn is_live(&self) -> bool {
        self.ready && !self.shutting_down && !self.wire.is_closed()
    }

    /// Whether the SDK understands `{type:"ERROR"}` replies to SEND_IO_CALL
    /// (a string comparison, as Interval's server does).
    pub fn understands_io_errors(&self) -> bool {
        self.sdk_version.as_str() >= "1.4.0"
    }

    /// Whether the SDK runs transactions in append-UI mode (PROTOCOL §6.6):
    /// display calls resolve at once and the host keeps a transaction until
    /// CLOSE_TRANSACTION (a string comparison, as Interval's server does).
    pub fn appends_ui(&self) -> bool {
        self.sdk_version.as_str() >= "0.38.0"
    }
}

/// How many bytes of steps a finished transaction keeps for its history:
/// past this, the earliest steps go (a table of many rows is large).
const MAX_STORED_STEPS_BYTES: usize = 1 << 20;

/// A transaction that is running (or finished, while dashboards look at it).
pub(crate) struct LiveTransaction {
    /// Full slug of the action.
    pub slug: String,
    pub host: String,
    /// The account of the person who runs it: the only one who may answer.
    pub runner: String,
    /// The `ioCall` text of the newest input group: what waits for an
    /// answer (and what a cancel names).
    pub pending_render: Option<String>,
    /// Append-UI (PROTOCOL §6.6): started with `displayResolvesImmediately`
    /// for a host with `sdkVersion >= "0.38.0"`; it gets CLOSE_TRANSACTION.
    pub append_ui: bool,
    /// In append-UI mode, the last `ioCall` text of every input group shown,
    /// in the order they came (replayed to dashboards that attach): a
    /// re-render of an earlier group (a table paged) replaces its step.
    pub steps: Vec<(String, String)>,
    /// In append-UI mode, the values answered per input group: a dashboard
    /// that attaches later shows the earlier steps with them.
    pub answers: HashMap<String, Vec<serde_json::Value>>,
    /// In append-UI mode, the value of the button each input group was
    /// answered with.
    pub choices: HashMap<String, String>,
    pub loading: Option<LoadingState>,
    pub redirect: Option<(LinkTarget, bool)>,
    pub browsers: HashSet<u64>,
    pub completed: bool,
    pub host_gone: bool,
    /// An identity confirmation the pending `CONFIRM_IDENTITY` asks for;
    /// until it is met, answers to this transaction are refused.
    pub identity: Option<IdentityRequirement>,
    /// The status last written to the store by a render: the next render
    /// with the same one writes nothing (a form of many steps).
    pub stored_status: Option<&'static str>,
}

impl LiveTransaction {
    /// A transaction of action `slug` run by host instance `host` for
    /// account `runner`, nothing shown yet.
    pub fn new(slug: String, host: String, runner: String) -> Self {
        LiveTransaction {
            slug,
            host,
            runner,
            pending_render: None,
            append_ui: false,
            steps: Vec::new(),
            answers: HashMap::new(),
            choices: HashMap::new(),
            loading: None,
            redirect: None,
            browsers: HashSet::new(),
            completed: false,
            host_gone: false,
            identity: None,
            stored_status: None,
        }
    }

    /// The steps of this append-UI transaction, finished, as its page
    /// shows them (the last render of each input group and what was
    /// answered): the latest that fit in [`MAX_STORED_STEPS_BYTES`].
    pub fn steps_to_keep(&self) -> Vec<StepRecord> {
        if !self.append_ui {
            return Vec::new();
        }
        let mut budget = MAX_STORED_STEPS_BYTES;
        let mut kept: Vec<StepRecord> = self
            .steps
            .iter()
            .rev()
            .map_while(|(group, io_call)| {
                let answers = self.answers.get(group).cloned();
                let size = io_call.len()
                    + answers
                        .as_ref()
                        .map_or(0, |a| a.iter().map(|v| v.to_string().len()).sum());
                budget = budget.checked_sub(size)?;
                let render = serde_json::from_str(io_call).ok()?;
                let choice = self.choices.get(group).cloned();
                Some(StepRecord {
                    render,
                    answers,
                    choice,
                })
            })
            .collect();
        kept.reverse();
        kept
    }
}

/// The identity-confirmation requirement recorded when a host renders
/// `CONFIRM_IDENTITY` (PROTOCOL.md, SEND_IO_CALL): tied to that render's id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IdentityRequirement {
    pub render_id: String,
    /// `props.gracePeriodMs`: a session that authenticated this recently
    /// is not asked again.
    pub grace_period_ms: Option<u64>,
}

/// An open page.
pub(crate) struct LivePage {
    pub host: String,
    pub browser: u64,
    pub layout: Option<Layout>,
}

#[derive(Default)]
pub(crate) struct Registry {
    pub hosts: HashMap<String, Host>,
    pub transactions: HashMap<String, LiveTransaction>,
    pub pages: HashMap<String, LivePage>,
    pub browsers: HashMap<u64, Arc<Outbox>>,
    /// What this node knows of the other nodes.
    pub remote: crate::cluster::RemoteState,
}

impl Registry {
    /// Queues `event` for every dashboard attached to `id` (a transaction
    /// or a page).
    pub fn emit(&self, id: &str, event: Event) {
        let targets: Vec<u64> = match (self.transactions.get(id), self.pages.get(id)) {
            (Some(t), _) => t.browsers.iter().copied().collect(),
            (None, Some(p)) => vec![p.browser],
            (None, None) => return,
        };
        let outboxes: Vec<&Arc<Outbox>> = targets
            .iter()
            .filter_map(|browser| self.browsers.get(browser))
            .collect();
        if outboxes.is_empty() {
            return;
        }
        let message = ServerMessage::Event { event };
        // Measured once for all its dashboards.
        let bytes = queued_size(&message);
        for outbox in outboxes {
            outbox.push(message.clone(), bytes);
        }
    }

    /// Queues a message for one dashboard connection (which is closed if
    /// the message does not fit its byte budget: it is not reading).
    pub fn send_to(&self, browser: u64, message: ServerMessage) {
        if let Some(outbox) = self.browsers.get(&browser) {
            outbox.push_message(message);
        }
    }

    /// Whether `conn_id` is the current connection of host `instance` (an
    /// older connection of the same instance, being closed, is not).
    fn is_current(&self, instance: &str, conn_id: u64) -> bool {
        self.hosts.get(instance).map(|h| h.conn_id) == Some(conn_id)
    }

    /// The live transaction `id` when connection `conn_id` of host
    /// `instance` runs it; `None` for unknown transactions and for those of
    /// other hosts alike, so that a host learns nothing about the latter.
    pub fn own_transaction(
        &mut self,
        instance: &str,
        conn_id: u64,
        id: &str,
    ) -> Option<&mut LiveTransaction> {
        if !self.is_current(instance, conn_id) {
            return None;
        }
        self.transactions.get_mut(id).filter(|t| t.host == instance)
    }

    /// The open page `key` when connection `conn_id` of host `instance`
    /// renders it (as [`Registry::own_transaction`]).
    pub fn own_page(&mut self, instance: &str, conn_id: u64, key: &str) -> Option<&mut LivePage> {
        if !self.is_current(instance, conn_id) {
            return None;
        }
        self.pages.get_mut(key).filter(|p| p.host == instance)
    }

    /// Whether host `host` serves `person` in `environment` (see
    /// [`crate::access::host_serves`]).
    pub fn serves(host: &Host, person: &Person, environment: KeyKind) -> bool {
        host.is_live() && access::host_serves(host.key, host.owner.as_deref(), person, environment)
    }

    /// Whether host `host` of another node serves `person` in
    /// `environment` (as [`Registry::serves`]).
    pub fn remote_serves(
        host: &crate::cluster::RemoteHost,
        person: &Person,
        environment: KeyKind,
    ) -> bool {
        access::host_serves(host.key, host.owner.as_deref(), person, environment)
    }

    /// What the hosts serving `person` in `environment` declared: this
    /// node's first, then other nodes'.
    pub fn declared(
        &self,
        person: &Person,
        environment: KeyKind,
    ) -> Vec<(&[ActionDefinition], &[PageDefinition])> {
        let here = self
            .hosts
            .values()
            .filter(|h| Self::serves(h, person, environment))
            .map(|h| (h.actions.as_slice(), h.pages.as_slice()));
        let elsewhere = self
            .remote
            .hosts
            .iter()
            .filter(|h| Self::remote_serves(h, person, environment))
            .map(|h| (h.actions.as_slice(), h.pages.as_slice()));
        here.chain(elsewhere).collect()
    }

    /// The live host serving `person` in `environment` that should run
    /// `slug`: the least busy one.
    pub fn pick_host(
        &self,
        slug: &str,
        person: &Person,
        environment: KeyKind,
        exclude: &HashSet<String>,
    ) -> Option<(String, Arc<Wire>)> {
        self.hosts
            .iter()
            .filter(|(id, host)| {
                Self::serves(host, person, environment)
                    && !exclude.contains(*id)
                    && host.actions.iter().any(|a| a.full_slug() == slug)
            })
            .min_by_key(|(id, _)| {
                self.transactions
                    .values()
                    .filter(|t| &t.host == *id && !t.completed)
                    .count()
            })
            .map(|(id, host)| (id.clone(), host.wire.clone()))
    }

    /// Forgets transaction `id` once it is over and no dashboard shows it:
    /// the store has its outcome (a dashboard that attaches later gets it
    /// from there), and memory does not grow with the history.
    pub fn forget_if_done(&mut self, id: &str) {
        if self
            .transactions
            .get(id)
            .is_some_and(|t| t.completed && t.browsers.is_empty())
        {
            self.transactions.remove(id);
        }
    }

    /// Whether transaction `id` is unfinished, watched by no dashboard, and
    /// of an action that may not run in the background.
    pub fn is_abandoned(&self, id: &str) -> bool {
        let Some(t) = self.transactions.get(id) else {
            return false;
        };
        let backgroundable = self
            .hosts
            .get(&t.host)
            .and_then(|h| h.actions.iter().find(|a| a.full_slug() == t.slug))
            .and_then(|a| a.backgroundable)
            .unwrap_or(false);
        !t.completed && t.browsers.is_empty() && !backgroundable
    }

    /// The live host serving `person` in `environment` that renders page
    /// `slug`.
    pub fn pick_page_host(
        &self,
        slug: &str,
        person: &Person,
        environment: KeyKind,
    ) -> Option<(String, Arc<Wire>)> {
        self.hosts
            .iter()
            .find(|(_, host)| {
                Self::serves(host, person, environment)
                    && host
                        .pages
                        .iter()
                        .any(|p| p.slug == slug && p.has_handler.or(p.has_index).unwrap_or(false))
            })
            .map(|(id, host)| (id.clone(), host.wire.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(group: &str, filler: usize) -> (String, String) {
        let render = serde_json::json!({"inputGroupKey": group, "filler": "x".repeat(filler)});
        (group.to_owned(), render.to_string())
    }

    #[test]
    fn a_finished_run_keeps_its_latest_steps_within_the_budget() {
        let mut t = LiveTransaction::new("a".into(), "h".into(), "r".into());
        t.steps = vec![step("one", 10), step("two", 10)];
        assert!(t.steps_to_keep().is_empty(), "not append-UI: nothing kept");
        t.append_ui = true;
        t.answers
            .insert("two".into(), vec![serde_json::json!("Ada")]);
        let kept = t.steps_to_keep();
        assert_eq!(kept.len(), 2);
        assert_eq!(kept[0].render["inputGroupKey"], "one");
        assert_eq!(kept[0].answers, None);
        assert_eq!(kept[1].answers, Some(vec![serde_json::json!("Ada")]));
        // A large earlier step goes; the later ones stay, in order.
        t.steps = vec![
            step("big", MAX_STORED_STEPS_BYTES),
            step("one", 10),
            step("two", 10),
        ];
        let groups: Vec<String> = t
            .steps_to_keep()
            .iter()
            .map(|s| {
                s.render["inputGroupKey"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned()
            })
            .collect();
        assert_eq!(groups, ["one", "two"]);
    }
}
