//! `UPLOAD_FILE` (§4.4): a file picker. The script (assets/uploads.js)
//! uploads each chosen file to a URL the server hands out
//! ([`crate::dashboard::uploads`]), or, when the host supplies its own URLs
//! (`fileUrls: null`, then a re-render with one pair per file), to the
//! server's relay to them ([`crate::dashboard::relay`]), and keeps the file
//! descriptors in the hidden field the form submits.

use maud::{html, Markup};
use serde_json::Value;

use super::{labelled, Field};
use crate::dashboard::uploads::MAX_UPLOAD_BYTES;

/// The file picker.
pub fn upload(field: Field<'_>) -> Markup {
    let accept = field
        .prop("allowedExtensions")
        .and_then(Value::as_array)
        .map(|exts| {
            exts.iter()
                .filter_map(Value::as_str)
                .map(|e| {
                    if e.starts_with('.') {
                        e.to_owned()
                    } else {
                        format!(".{e}")
                    }
                })
                .collect::<Vec<_>>()
                .join(",")
        });
    // `fileUrls` absent: the server hosts the files; null: the host will
    // send URLs; a list: the host's URLs for the files chosen.
    let host_urls = field
        .component
        .props
        .get("fileUrls")
        .map(|v| v.is_null() || v.is_array())
        .unwrap_or(false);
    // How many URLs the host gave (the files chosen); the script asks the
    // server for relay URLs to them (crate::dashboard::relay).
    let given_urls = field
        .prop("fileUrls")
        .and_then(Value::as_array)
        .map(Vec::len);
    let control = html! {
        input #(field.id()) type="file" data-upload=(field.index) multiple[field.component.is_multiple]
            accept=[accept.clone()] disabled[field.flag("disabled")]
            data-host-urls[host_urls] data-file-urls=[given_urls]
            aria-required=(field.required()) aria-describedby=(field.described_by());
        input type="hidden" name=(field.name()) value="" data-uploaded;
        ul.uploads data-upload-list aria-live="polite" {}
        p.help {
            @if let Some(accept) = &accept { "Allowed: " (accept) ". " }
            "Up to " (MAX_UPLOAD_BYTES / 1_000_000) " MB per file."
        }
    };
    labelled(field, control)
}

#[cfg(test)]
mod tests {
    use super::super::testing::one;
    use serde_json::json;

    #[test]
    fn a_file_picker_with_its_hidden_field() {
        let out = one(
            "UPLOAD_FILE",
            "Invoice",
            json!({"allowedExtensions": ["pdf", ".csv"]}),
        );
        assert!(out.contains(r#"<label for="c0">Invoice</label>"#), "{out}");
        assert!(out.contains(r#"accept=".pdf,.csv""#));
        assert!(out.contains(r#"type="hidden" name="c0""#));
        assert!(!out.contains("data-host-urls"));
        let out = one("UPLOAD_FILE", "Invoice", json!({"fileUrls": null}));
        assert!(out.contains("data-host-urls"));
    }
}
