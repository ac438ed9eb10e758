//! Alerts: what a rule match produces, and its Falco text and JSON forms.

use std::fmt::Write;

use serde_json::{json, Map, Value};
use vigie_resource::Date;
use vigie_rules::{CompiledRule, Event, OutputValue, Priority};

/// One rule match: everything a sink writes about it, rendered once when the
/// rule matched so that sinks never touch the event.
#[derive(Clone, Debug, PartialEq)]
pub struct Alert {
    /// Event time, nanoseconds since the epoch.
    pub time_ns: i64,
    /// The name of the rule that matched.
    pub rule: String,
    /// The rule's priority (Falco's eight levels).
    pub priority: Priority,
    /// The event source the rule reads: `k8s_audit`, `syscall`.
    pub source: String,
    /// The rule's tags.
    pub tags: Vec<String>,
    /// The host vigie runs on.
    pub hostname: String,
    /// The rule's output line, its `%field` references filled in.
    pub output: String,
    /// Each field the output names, with its value (Falco's `output_fields`).
    pub output_fields: Vec<(String, OutputValue)>,
}

impl Alert {
    /// The alert `rule` raises on `event`, at `time_ns` on `hostname`.
    pub fn new(rule: &CompiledRule, event: &dyn Event, time_ns: i64, hostname: &str) -> Self {
        Self {
            time_ns,
            rule: rule.name.clone(),
            priority: rule.priority,
            source: rule.source.clone(),
            tags: rule.tags.clone(),
            hostname: hostname.to_string(),
            output: rule.output.render(event),
            output_fields: rule
                .output
                .values(event)
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        }
    }

    /// Falco's text line: `HH:MM:SS.nnnnnnnnn: Priority output`.
    pub fn to_text(&self) -> String {
        let ns = self.time_ns.rem_euclid(86_400_000_000_000);
        let secs = ns / 1_000_000_000;
        let mut out = String::with_capacity(self.output.len() + 40);
        let _ = write!(
            out,
            "{:02}:{:02}:{:02}.{:09}: {} {}",
            secs / 3600,
            secs / 60 % 60,
            secs % 60,
            ns % 1_000_000_000,
            self.priority,
            self.output
        );
        out
    }

    /// Falco's `json_output` object, which Falcosidekick also accepts as its input.
    pub fn to_json(&self) -> Value {
        let mut fields = Map::new();
        for (k, v) in &self.output_fields {
            let v = match v {
                OutputValue::Null => Value::Null,
                OutputValue::Str(s) => Value::String(s.clone()),
                OutputValue::Num(n) => json!(n),
                OutputValue::Bool(b) => json!(b),
            };
            fields.insert(k.clone(), v);
        }
        json!({
            "hostname": self.hostname,
            "output": format!("{} {} {}", iso8601(self.time_ns), self.priority, self.output),
            "output_fields": fields,
            "priority": self.priority.as_str(),
            "rule": self.rule,
            "source": self.source,
            "tags": self.tags,
            "time": iso8601(self.time_ns),
        })
    }

    /// [`Alert::to_json`] as one line of text, for JSON-lines sinks.
    pub fn to_json_line(&self) -> String {
        self.to_json().to_string()
    }
}

/// Nanoseconds since the epoch as `2024-05-01T10:00:00.123456789Z`.
pub fn iso8601(time_ns: i64) -> String {
    let secs = time_ns.div_euclid(1_000_000_000);
    let nanos = time_ns.rem_euclid(1_000_000_000);
    let date = Date::from_days_since_epoch(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400);
    format!(
        "{date}T{:02}:{:02}:{:02}.{nanos:09}Z",
        sod / 3600,
        sod / 60 % 60,
        sod % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc3339_in_utc_with_nanoseconds() {
        assert_eq!(
            iso8601(951_782_400_000_000_000),
            "2000-02-29T00:00:00.000000000Z"
        );
        assert_eq!(iso8601(-1), "1969-12-31T23:59:59.999999999Z");
    }

    fn alert() -> Alert {
        Alert {
            time_ns: 1_540_561_114_902_914_000,
            rule: "R".into(),
            priority: Priority::Warning,
            source: "k8s_audit".into(),
            tags: vec!["k8s".into()],
            hostname: "h".into(),
            output: "user=alice".into(),
            output_fields: vec![
                ("ka.user.name".into(), OutputValue::Str("alice".into())),
                ("jevt.rawtime".into(), OutputValue::Num(5)),
                ("ka.target.name".into(), OutputValue::Null),
            ],
        }
    }

    #[test]
    fn text_and_json_forms_follow_falco() {
        let a = alert();
        assert_eq!(a.to_text(), "13:38:34.902914000: Warning user=alice");
        let j = a.to_json();
        assert_eq!(j["time"], "2018-10-26T13:38:34.902914000Z");
        assert_eq!(j["priority"], "Warning");
        assert_eq!(j["rule"], "R");
        assert_eq!(j["tags"], json!(["k8s"]));
        assert_eq!(j["output_fields"]["jevt.rawtime"], json!(5));
        assert_eq!(j["output_fields"]["ka.target.name"], Value::Null);
        assert_eq!(
            j["output"],
            "2018-10-26T13:38:34.902914000Z Warning user=alice"
        );
    }
}
