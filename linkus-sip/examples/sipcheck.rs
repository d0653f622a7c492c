//! `sipcheck`: checks SIP messages stored one per file, as a UA would before
//! accepting them (syntax, limits, and the RFC 4475 §3.1.2 semantic checks).
//!
//! ```text
//! cargo run -p linkus-sip --example sipcheck -- FILE...
//! cargo run -p linkus-sip --example sipcheck -- --manifest ../shared/testdata/rfc4475/MANIFEST.tsv
//! ```
//!
//! Prints one JSON line per file:
//! `{"file":…, "ok":true, "kind":"request", "method":…, "uri":…, "status":null,
//! "headers":N, "body_len":N, "ua_response":null}` or `{"file":…, "ok":false,
//! "error":"…", "ua_response":400}`. `ua_response` is the status a UAS using
//! the default [`UasPolicy`] answers a request with (null when it accepts it);
//! responses carry `ua_discards` instead, the reason a UAC drops them (RFC 3261
//! §8.1.3.3), or null.
//!
//! Exit status: 0 when every file was accepted, 1 otherwise. With
//! `--manifest` (the RFC 4475 corpus's `MANIFEST.tsv`) the files are the ones
//! it lists, each line also carries `"expect"`, a summary goes to stderr, and
//! the exit status is 0 when every verdict matches the manifest (`valid` and
//! `backward-compatible` accepted, `invalid` rejected).

#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a command-line tool prints its results"
)]

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use linkus_sip::message::{Message, Rejection, UasPolicy, check_response};
use serde_json::{Value, json};

fn check_file(path: &Path, policy: &UasPolicy) -> (bool, Value) {
    let file = path.display().to_string();
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            return (
                false,
                json!({"file": file, "ok": false, "error": format!("read: {e}")}),
            );
        }
    };
    let parsed = Message::parse(&bytes).and_then(|m| m.check().map(|()| m));
    match parsed {
        Ok(msg) => {
            let ua_response = msg
                .as_request()
                .and_then(|r| policy.check_request(r).err())
                .map(|rej| rej.status.0);
            let mut line = json!({
                "file": file,
                "ok": true,
                "kind": if msg.as_request().is_some() { "request" } else { "response" },
                "method": msg.as_request().map(|r| r.method.to_string()),
                "uri": msg.as_request().map(|r| r.uri.to_string()),
                "status": msg.as_response().map(|r| r.status.0),
                "headers": msg.headers().len(),
                "body_len": msg.body().len(),
                "ua_response": ua_response,
            });
            if let Some(r) = msg.as_response() {
                line["reason"] = json!(r.reason);
                // What a UAC does with it: RFC 3261 §8.1.3.3 discards, e.g., two Vias.
                line["ua_discards"] = json!(check_response(r).err().map(|e| e.to_string()));
            }
            (true, line)
        }
        Err(e) => {
            let is_request = !bytes.starts_with(b"SIP/");
            let ua_response = is_request.then(|| Rejection::from_error(e.clone()).status.0);
            (
                false,
                json!({"file": file, "ok": false, "error": e.to_string(), "ua_response": ua_response}),
            )
        }
    }
}

fn run_manifest(manifest: &Path, policy: &UasPolicy) -> Result<bool, String> {
    let text = std::fs::read_to_string(manifest)
        .map_err(|e| format!("cannot read {}: {e}", manifest.display()))?;
    let dir = manifest.parent().unwrap_or(Path::new("."));
    let (mut total, mut matched) = (0, 0);
    let mut mismatches = Vec::new();
    for row in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let cols: Vec<&str> = row.split('\t').collect();
        let [file, section, _title, expect] = cols[..] else {
            return Err(format!("malformed manifest row: {row:?}"));
        };
        let (ok, mut line) = check_file(&dir.join(file), policy);
        line["expect"] = json!(expect);
        line["rfc4475_section"] = json!(section);
        println!("{line}");
        let good = match expect {
            "valid" | "backward-compatible" => ok,
            "invalid" => !ok,
            _ => true, // transaction/application: parseable or not, the verdict is the UA's
        };
        total += 1;
        if good {
            matched += 1;
        } else {
            mismatches.push(file.to_owned());
        }
    }
    eprintln!(
        "{}",
        json!({"summary": {"files": total, "as_expected": matched, "mismatches": mismatches}})
    );
    Ok(matched == total)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let policy = UasPolicy::default();
    if args.is_empty() || args.iter().any(|a| a == "-h" || a == "--help") {
        eprintln!("usage: sipcheck FILE... | sipcheck --manifest MANIFEST.tsv");
        return ExitCode::from(2);
    }
    if args[0] == "--manifest" {
        let Some(path) = args.get(1) else {
            eprintln!("--manifest needs a path");
            return ExitCode::from(2);
        };
        return match run_manifest(&PathBuf::from(path), &policy) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::FAILURE,
            Err(e) => {
                eprintln!("sipcheck: {e}");
                ExitCode::from(2)
            }
        };
    }
    let mut all_ok = true;
    for f in &args {
        let (ok, line) = check_file(Path::new(f), &policy);
        println!("{line}");
        all_ok &= ok;
    }
    if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
