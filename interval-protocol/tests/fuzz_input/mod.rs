//! Fuzzed inputs for the decoder fuzz tests (shared by interval-protocol's
//! and interval-server's `tests/fuzz.rs`): JSON built from protocol-shaped
//! pieces, valid messages mutated byte by byte, and raw text.

#![allow(dead_code)] // each test file uses its own share

use arbtest::arbitrary::{Result, Unstructured};
use serde_json::{Map, Number, Value};

/// The time budget of one fuzz target (`FUZZ_BUDGET_MS`, default 1,500).
pub fn budget() -> u64 {
    std::env::var("FUZZ_BUDGET_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_500)
}

/// Runs `target` on fuzzed text for the budget; `target` says whether the
/// text decoded. Some of it must: a fuzzer whose inputs never get past the
/// first parser tests nothing behind it.
pub fn fuzz(seeds: &[&str], target: impl Fn(&str) -> bool) {
    let (tried, decoded) = (std::cell::Cell::new(0u64), std::cell::Cell::new(0u64));
    // On a busy machine one budget may run too few inputs for any to
    // decode: a few more rounds then, before calling the fuzzer blind.
    for _ in 0..5 {
        arbtest::arbtest(|u| {
            let text = text(u, seeds)?;
            tried.set(tried.get() + 1);
            if target(&text) {
                decoded.set(decoded.get() + 1);
            }
            Ok(())
        })
        .budget_ms(budget());
        if decoded.get() > 0 {
            break;
        }
    }
    assert!(
        decoded.get() > 0,
        "none of {} fuzzed inputs decoded",
        tried.get()
    );
}

pub const KEYS: &[&str] = &[
    "type",
    "id",
    "data",
    "kind",
    "methodName",
    "json",
    "meta",
    "values",
    "inputGroupKey",
    "transactionId",
    "toRender",
    "label",
    "props",
    "isStateful",
    "isOptional",
    "isMultiple",
    "value",
    "status",
    "error",
    "message",
    "children",
    "title",
    "page",
    "params",
    "paramsMeta",
    "referentialEqualities",
    "a",
    "0",
    "a.b",
    "a\\.b",
    "",
];

pub const WORDS: &[&str] = &[
    "MESSAGE",
    "ACK",
    "CALL",
    "RESPONSE",
    "RETURN",
    "SET_STATE",
    "CANCELED",
    "RENDER",
    "SUCCESS",
    "FAILURE",
    "bigint",
    "undefined",
    "Date",
    "number",
    "set",
    "map",
    "custom",
    "time",
    "INPUT_TEXT",
    "DISPLAY_TABLE",
    "INITIALIZE_HOST",
    "SEND_IO_CALL",
    "IO_RESPONSE",
    "START_TRANSACTION",
    "authenticated",
    "ping",
    "9007199254740993",
    "-1",
    "NaN",
    "a.b.0",
];

/// A JSON value built from protocol-shaped pieces, at most `depth` deep.
pub fn value(u: &mut Unstructured, depth: u32) -> Result<Value> {
    let leaf_only = depth == 0;
    Ok(match u.int_in_range(0..=if leaf_only { 5 } else { 8 })? {
        0 => Value::Null,
        1 => Value::Bool(u.arbitrary()?),
        2 => Value::Number(Number::from(u.arbitrary::<i64>()?)),
        3 => Number::from_f64(u.arbitrary()?).map_or(Value::Null, Value::Number),
        4 => Value::String((*u.choose(WORDS)?).to_owned()),
        5 => Value::String(u.arbitrary()?),
        6 => {
            let len = u.int_in_range(0..=4)?;
            Value::Array(
                (0..len)
                    .map(|_| value(u, depth - 1))
                    .collect::<Result<_>>()?,
            )
        }
        _ => {
            let len = u.int_in_range(0..=6)?;
            let mut map = Map::new();
            for _ in 0..len {
                let key = match u.ratio(4, 5)? {
                    true => (*u.choose(KEYS)?).to_owned(),
                    false => u.arbitrary()?,
                };
                map.insert(key, value(u, depth - 1)?);
            }
            Value::Object(map)
        }
    })
}

/// Fuzzed text: shaped JSON (sometimes as a JSON string inside JSON, as the
/// protocol nests it), a mutated seed, or raw text.
pub fn text(u: &mut Unstructured, seeds: &[&str]) -> Result<String> {
    Ok(match u.int_in_range(0..=3)? {
        0 => value(u, 5)?.to_string(),
        1 => {
            let inner = value(u, 4)?.to_string();
            let mut outer = value(u, 2)?;
            if let Value::Object(map) = &mut outer {
                let key = (*u.choose(KEYS)?).to_owned();
                map.insert(key, Value::String(inner));
            }
            outer.to_string()
        }
        2 if !seeds.is_empty() => {
            let seed = *u.choose(seeds)?;
            mutate(u, seed.as_bytes())?
        }
        _ => u.arbitrary()?,
    })
}

/// A few byte edits of `seed`: flips, inserts, deletions, repeats.
pub fn mutate(u: &mut Unstructured, seed: &[u8]) -> Result<String> {
    let mut bytes = seed.to_vec();
    for _ in 0..u.int_in_range(1..=8)? {
        let len = bytes.len();
        match u.int_in_range(0..=4)? {
            0 if len > 0 => {
                let i = u.choose_index(len)?;
                bytes[i] ^= 1 << u.int_in_range(0..=7)?;
            }
            1 => {
                let i = u.int_in_range(0..=len)?;
                let byte = *u.choose(b"{}[]\",:\\0123456789.-eEtrufalsn ")?;
                bytes.insert(i, byte);
            }
            2 if len > 0 => {
                let start = u.choose_index(len)?;
                let end = u.int_in_range(start..=len)?;
                bytes.drain(start..end);
            }
            3 if len > 0 => {
                let start = u.choose_index(len)?;
                let end = u.int_in_range(start..=len.min(start + 64))?;
                let piece = bytes[start..end].to_vec();
                let at = u.int_in_range(0..=len)?;
                bytes.splice(at..at, piece);
            }
            _ => {
                let i = u.int_in_range(0..=len)?;
                bytes.truncate(i);
            }
        }
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}
