//! A dashboard connection's forms answered: the raw fields the script
//! sends become typed responses to the render they answer (found by input
//! group key), state changes go to the host or are shown here, and upload
//! URLs are handed out for the files of a form.

use std::sync::atomic::Ordering;

use interval_protocol::io::{IoRender, IoResponseKind};
use serde_json::Value;

use crate::dashboard::io::rows;

use super::{Session, StateChange};
use crate::api::{BrowserResponse, Event, FieldError, FileUrls, UploadRequest};

impl Session {
    fn render_of(&self, key: &str, input_group_key: &str) -> Result<IoRender, String> {
        match self.shown().renders.get(key) {
            Some(renders) => renders
                .iter()
                .find(|r| r.input_group_key == input_group_key)
                .cloned()
                .ok_or_else(|| "This form was replaced by a newer one; look at it again.".into()),
            None => Err("Nothing is waiting for an answer here.".into()),
        }
    }

    /// The index of the `CONFIRM_IDENTITY` in what `key` shows last.
    pub fn identity_index(&self, key: &str) -> Option<usize> {
        self.shown().renders.get(key)?.iter().rev().find_map(|r| {
            r.to_render
                .iter()
                .position(|c| c.method_name == "CONFIRM_IDENTITY")
        })
    }

    /// The RETURN response for a submitted form, or the fields refused.
    pub fn submission(
        &self,
        key: &str,
        render_id: String,
        input_group_key: String,
        choice: Option<String>,
        fields: &[Vec<String>],
    ) -> Result<Result<BrowserResponse, Vec<FieldError>>, String> {
        let render = self.render_of(key, &input_group_key)?;
        let (values, values_meta) = match crate::dashboard::values::read_all(&render, fields) {
            Ok(read) => read,
            Err(errors) => return Ok(Err(errors)),
        };
        let confirm = render
            .to_render
            .iter()
            .any(|c| matches!(c.method_name.as_str(), "CONFIRM" | "CONFIRM_IDENTITY"));
        let choice = match confirm {
            true => None,
            false => Some(choice.unwrap_or_else(|| "Continue".into())),
        };
        let group = (key.to_owned(), input_group_key.clone());
        let mut shown = self.shown();
        shown.answers.insert(group.clone(), values.clone());
        match &choice {
            Some(choice) => shown.choices.insert(group, choice.clone()),
            None => shown.choices.remove(&group),
        };
        drop(shown);
        Ok(Ok(BrowserResponse {
            id: render_id,
            input_group_key,
            kind: IoResponseKind::Return,
            values,
            values_meta,
            choice,
        }))
    }

    /// What a component's new state from the browser leads to (the state
    /// is remembered, so the next render shows it): a SET_STATE response
    /// for the host, or, for a table or grid whose rows were all sent and
    /// whose search stays the same, the render again, sorted and paged here
    /// ([`crate::dashboard::io::rows`]) without troubling the host.
    pub fn state_change(
        &self,
        key: &str,
        input_group_key: String,
        index: usize,
        state: Value,
    ) -> Result<StateChange, String> {
        let render = self.render_of(key, &input_group_key)?;
        let Some(component) = render.to_render.get(index) else {
            return Err("No such component.".into());
        };
        let state_key = (key.to_owned(), input_group_key.clone(), index);
        let mut shown = self.shown();
        let local = self.html.load(Ordering::Relaxed)
            && matches!(
                component.method_name.as_str(),
                "DISPLAY_TABLE" | "SELECT_TABLE" | "DISPLAY_GRID"
            )
            && rows::is_complete(component)
            && rows::is_local_change(
                shown
                    .states
                    .get(&state_key)
                    .and_then(Value::as_object)
                    .unwrap_or(&serde_json::Map::new()),
                &state,
            );
        shown.states.insert(state_key, state.clone());
        if local {
            let event = match shown.layouts.get(key) {
                Some(layout) => Event::PageRender {
                    page_key: key.to_owned(),
                    layout: Some(layout.clone()),
                },
                None => Event::Render {
                    transaction_id: key.to_owned(),
                    append: shown.append.contains(key),
                    render,
                },
            };
            return Ok(StateChange::Shown(event));
        }
        let mut values = vec![Value::Null; render.to_render.len()];
        values[index] = state;
        Ok(StateChange::Host(BrowserResponse {
            id: render.id,
            input_group_key,
            kind: IoResponseKind::SetState,
            values,
            values_meta: None,
            choice: None,
        }))
    }

    /// Upload URLs for files of a transaction.
    pub fn upload_urls(
        &self,
        transaction_id: &str,
        files: &[UploadRequest],
    ) -> Result<Vec<FileUrls>, String> {
        let uploads = &self.dashboard.uploads;
        let app = &self.dashboard.app;
        // Files of transactions that ended unseen go now.
        uploads.sweep(|id| app.is_running(id));
        if !app.is_running(transaction_id) {
            return Err(format!("No running transaction {transaction_id}."));
        }
        uploads.urls(&app.base_url(), transaction_id, files)
    }

    /// URLs of this server that relay `count` files to the upload URLs the
    /// host gave component `index` of the render shown for
    /// `input_group_key` ([`crate::dashboard::relay`]), with the host's download URLs.
    pub fn relay_urls(
        &self,
        transaction_id: &str,
        input_group_key: &str,
        index: usize,
        count: usize,
    ) -> Result<Vec<FileUrls>, String> {
        let render = self.render_of(transaction_id, input_group_key)?;
        let given = render
            .to_render
            .get(index)
            .filter(|c| c.method_name == "UPLOAD_FILE")
            .and_then(|c| c.props.get("fileUrls"))
            .and_then(Value::as_array)
            .filter(|urls| urls.len() == count)
            .ok_or("The action has not given upload URLs for these files.")?;
        let base_url = self.dashboard.app.base_url();
        let relays = &self.dashboard.uploads.relays;
        given
            .iter()
            .map(|pair| {
                let url = |key| pair.get(key).and_then(Value::as_str).unwrap_or_default();
                Ok(FileUrls {
                    upload_url: relays.register(&base_url, transaction_id, url("uploadUrl"))?,
                    download_url: url("downloadUrl").to_owned(),
                })
            })
            .collect()
    }
}
