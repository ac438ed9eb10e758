//! The write verbs and live watches, read with a plain HTTP client.

// Test code: an unwrap that fails is the test's own failure report.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

use api_standin::{Standin, StandinConfig};
use serde_json::{json, Value};

fn request(
    standin: &Standin,
    method: &str,
    path: &str,
    content_type: &str,
    body: &str,
) -> (u16, Value) {
    let headers = format!("Content-Type: {content_type}\r\n");
    let (status, body) = standin.exchange(method, path, &headers, body).unwrap();
    (status, serde_json::from_str(body.trim()).unwrap())
}

/// A server-side apply (`PATCH` with an apply patch) of `body` at `path`.
fn apply_patch(standin: &Standin, path: &str, body: &str) -> (u16, Value) {
    request(standin, "PATCH", path, "application/apply-patch+yaml", body)
}

/// A request whose body, if any, is JSON.
fn json_request(standin: &Standin, method: &str, path: &str, body: &str) -> (u16, Value) {
    request(standin, method, path, "application/json", body)
}

fn standin() -> Standin {
    let mut config = StandinConfig::new(vec![
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}),
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings", "namespace": "shop"}, "data": {"a": "1"}}),
    ]);
    config.extra_types = StandinConfig::report_types();
    // Bookmarks often, so that a test waits little for one; tests skip them
    // where they are not what is checked.
    config.bookmark_every = Duration::from_millis(100);
    Standin::start(config).unwrap()
}

const REPORTS: &str = "/apis/openreports.io/v1alpha1/namespaces/shop/reports";

fn report(results: usize) -> Value {
    json!({"apiVersion": "openreports.io/v1alpha1", "kind": "Report",
           "metadata": {"name": "vigie", "namespace": "shop", "labels": {"app.kubernetes.io/managed-by": "vigie"}},
           "summary": {"fail": results},
           "results": (0..results).map(|i| json!({"policy": format!("p{i}")})).collect::<Vec<_>>()})
}

#[test]
fn apply_creates_then_changes_and_drops_what_the_manager_no_longer_applies() {
    let standin = standin();
    let path = format!("{REPORTS}/vigie?fieldManager=vigie&force=true");
    let (status, created) = apply_patch(&standin, &path, &report(2).to_string());
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["results"].as_array().unwrap().len(), 2);
    assert_eq!(created["metadata"]["managedFields"][0]["manager"], "vigie");
    assert_eq!(
        created["metadata"]["managedFields"][0]["operation"],
        "Apply"
    );
    let first_version = created["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();

    // The same apply again changes nothing: no new version.
    let (status, same) = apply_patch(&standin, &path, &report(2).to_string());
    assert_eq!(
        (status, same["metadata"]["resourceVersion"].as_str()),
        (200, Some(first_version.as_str()))
    );

    // YAML is read too; a field the manager stops applying goes.
    let yaml = "apiVersion: openreports.io/v1alpha1\nkind: Report\nmetadata:\n  name: vigie\n  namespace: shop\nresults: []\n";
    let (status, changed) = apply_patch(&standin, &path, yaml);
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["results"], json!([]));
    assert!(changed.get("summary").is_none(), "{changed}");
    assert!(
        changed["metadata"]
            .get("labels")
            .is_none_or(|l| l.as_object().unwrap().is_empty()),
        "{changed}"
    );
    assert_ne!(
        changed["metadata"]["resourceVersion"].as_str(),
        Some(first_version.as_str())
    );
    assert_eq!(changed["metadata"]["uid"], created["metadata"]["uid"]);
    assert_eq!(
        standin
            .object("reports.openreports.io", Some("shop"), "vigie")
            .unwrap(),
        changed
    );
}

#[test]
fn apply_needs_a_field_manager_and_names_conflicts() {
    let standin = standin();
    let (status, refused) = apply_patch(
        &standin,
        &format!("{REPORTS}/vigie"),
        &report(1).to_string(),
    );
    assert_eq!(status, 400, "{refused}");
    assert!(refused["message"]
        .as_str()
        .unwrap()
        .contains("fieldManager"));
    let (status, _) = apply_patch(
        &standin,
        &format!("{REPORTS}/vigie?fieldManager=a"),
        &report(1).to_string(),
    );
    assert_eq!(status, 201);
    // Another manager setting the same field to another value: a conflict, unless forced.
    let (status, conflict) = apply_patch(
        &standin,
        &format!("{REPORTS}/vigie?fieldManager=b"),
        &report(3).to_string(),
    );
    assert_eq!(
        (status, conflict["reason"].as_str()),
        (409, Some("Conflict")),
        "{conflict}"
    );
    assert!(
        conflict["message"]
            .as_str()
            .unwrap()
            .contains("conflict with \"a\""),
        "{conflict}"
    );
    let (status, forced) = apply_patch(
        &standin,
        &format!("{REPORTS}/vigie?fieldManager=b&force=true"),
        &report(3).to_string(),
    );
    assert_eq!(status, 200, "{forced}");
    assert_eq!(forced["results"].as_array().unwrap().len(), 3);
    // A name that is not the URL's, a kind that is not the URL's type.
    let mut other = report(1);
    other["metadata"]["name"] = json!("other");
    let (status, _) = apply_patch(
        &standin,
        &format!("{REPORTS}/vigie?fieldManager=a"),
        &other.to_string(),
    );
    assert_eq!(status, 400);
    let mut wrong_kind = report(1);
    wrong_kind["kind"] = json!("ClusterReport");
    let (status, _) = apply_patch(
        &standin,
        &format!("{REPORTS}/vigie?fieldManager=a"),
        &wrong_kind.to_string(),
    );
    assert_eq!(status, 400);
}

#[test]
fn create_update_with_resource_versions_and_delete() {
    let standin = standin();
    let (status, created) = json_request(&standin, "POST", REPORTS, &report(1).to_string());
    assert_eq!(status, 201, "{created}");
    let (status, again) = json_request(&standin, "POST", REPORTS, &report(1).to_string());
    assert_eq!(
        (status, again["reason"].as_str()),
        (409, Some("AlreadyExists"))
    );
    let mut update = created.clone();
    update["results"] = json!([]);
    let (status, updated) = json_request(
        &standin,
        "PUT",
        &format!("{REPORTS}/vigie"),
        &update.to_string(),
    );
    assert_eq!(status, 200, "{updated}");
    // The same update again carries a stale resourceVersion.
    let (status, stale) = json_request(
        &standin,
        "PUT",
        &format!("{REPORTS}/vigie"),
        &update.to_string(),
    );
    assert_eq!(
        (status, stale["reason"].as_str()),
        (409, Some("Conflict")),
        "{stale}"
    );
    let (status, patched) = request(
        &standin,
        "PATCH",
        "/api/v1/namespaces/shop/configmaps/settings",
        "application/merge-patch+json",
        r#"{"data": {"a": null, "b": "2"}}"#,
    );
    assert_eq!(status, 200);
    assert_eq!(patched["data"], json!({"b": "2"}));
    let (status, _) = request(
        &standin,
        "PATCH",
        "/api/v1/namespaces/shop/configmaps/settings",
        "application/strategic-merge-patch+json",
        "{}",
    );
    assert_eq!(status, 415);
    let (status, _) = json_request(&standin, "DELETE", &format!("{REPORTS}/vigie"), "");
    assert_eq!(status, 200);
    assert!(standin
        .object("reports.openreports.io", Some("shop"), "vigie")
        .is_none());
    let (status, _) = json_request(&standin, "DELETE", &format!("{REPORTS}/vigie"), "");
    assert_eq!(status, 404);
    // Writes are forbidden where reads are.
    let mut config = StandinConfig::new(Vec::new());
    config.forbidden = vec!["configmaps".into()];
    let forbidding = Standin::start(config).unwrap();
    let (status, refused) = json_request(
        &forbidding,
        "POST",
        "/api/v1/namespaces/shop/configmaps",
        r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}}"#,
    );
    assert_eq!(status, 403);
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("cannot create"),
        "{refused}"
    );
}

/// Opens a watch and reads its events line by line.
struct Watch {
    lines: BufReader<TcpStream>,
}

impl Watch {
    fn open(standin: &Standin, path: &str) -> Watch {
        let address = standin.url().trim_start_matches("http://").to_string();
        let mut stream = TcpStream::connect(&address).unwrap();
        // Only a guard against a hung test: events are read as they come.
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut lines = BufReader::new(stream);
        let mut line = String::new();
        // Headers, up to the blank line.
        loop {
            line.clear();
            lines.read_line(&mut line).unwrap();
            if line == "\r\n" {
                break;
            }
        }
        Watch { lines }
    }

    /// The next event that is not a bookmark.
    fn next_change(&mut self) -> Option<Value> {
        std::iter::from_fn(|| self.next()).find(|e| e["type"] != "BOOKMARK")
    }

    /// The next event (chunked encoding: a size line, the event, a blank line).
    fn next(&mut self) -> Option<Value> {
        loop {
            let mut line = String::new();
            if self.lines.read_line(&mut line).unwrap() == 0 {
                return None;
            }
            let line = line.trim();
            if line.starts_with('{') {
                return Some(serde_json::from_str(line).unwrap());
            }
            if line == "0" {
                return None;
            }
        }
    }
}

#[test]
fn watches_stream_changes_resume_from_versions_and_expire() {
    let standin = standin();
    let (_, list) = json_request(&standin, "GET", "/api/v1/namespaces/shop/configmaps", "");
    let listed = list["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();
    let mut watch = Watch::open(
        &standin,
        &format!("/api/v1/configmaps?watch=true&resourceVersion={listed}&allowWatchBookmarks=true"),
    );
    let body = r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"extra","namespace":"shop","labels":{"app":"web"}}}"#;
    let (status, created) =
        json_request(&standin, "POST", "/api/v1/namespaces/shop/configmaps", body);
    assert_eq!(status, 201);
    let event = watch.next_change().unwrap();
    assert_eq!(
        (
            event["type"].as_str(),
            event["object"]["metadata"]["name"].as_str()
        ),
        (Some("ADDED"), Some("extra"))
    );
    // A change of another type is not this watch's.
    apply_patch(
        &standin,
        &format!("{REPORTS}/vigie?fieldManager=vigie"),
        &report(1).to_string(),
    );
    json_request(
        &standin,
        "DELETE",
        "/api/v1/namespaces/shop/configmaps/extra",
        "",
    );
    let event = watch.next_change().unwrap();
    assert_eq!(event["type"], "DELETED");
    let deleted_at = event["object"]["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();
    // Bookmarks carry the version reached (the next one after the delete, at the latest).
    let bookmark = std::iter::from_fn(|| watch.next())
        .find(|e| e["object"]["metadata"]["resourceVersion"].as_str() == Some(deleted_at.as_str()))
        .unwrap();
    assert_eq!(bookmark["type"], "BOOKMARK", "{bookmark}");
    assert_eq!(bookmark["object"]["kind"], "ConfigMap");

    // Resuming from the list's version replays the changes since, filtered by labels.
    let mut resumed = Watch::open(&standin, &format!("/api/v1/namespaces/shop/configmaps?watch=true&resourceVersion={listed}&labelSelector=app%3Dweb"));
    let replayed: Vec<&str> = [resumed.next().unwrap(), resumed.next().unwrap()]
        .iter()
        .map(|e| {
            if e["type"] == "ADDED" {
                "ADDED"
            } else {
                "DELETED"
            }
        })
        .collect();
    assert_eq!(replayed, ["ADDED", "DELETED"]);
    assert_eq!(created["metadata"]["name"], "extra");

    // After compaction, the old version is gone: an ERROR event with 410.
    standin.compact();
    let mut expired = Watch::open(
        &standin,
        &format!("/api/v1/configmaps?watch=true&resourceVersion={listed}"),
    );
    let event = expired.next().unwrap();
    assert_eq!(
        (event["type"].as_str(), event["object"]["code"].as_u64()),
        (Some("ERROR"), Some(410))
    );
    assert!(expired.next().is_none());

    // Without a version: the current objects, then the end at timeoutSeconds.
    let mut fresh = Watch::open(&standin, "/api/v1/configmaps?watch=true&timeoutSeconds=1");
    assert_eq!(
        fresh.next().unwrap()["object"]["metadata"]["name"],
        "settings"
    );
    assert!(fresh.next().is_none());
}
