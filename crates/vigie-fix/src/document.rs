//! Fixing one document: its edits made one after the other on its text, each
//! on a fresh parse, then the result checked against the parsed object with the
//! same edits made on the tree.

use vigie_controls::fix::Edit;
use vigie_resource::{parse_document, DocumentText, Node};

use crate::edit::{self, Refusal};
use crate::render::Style;
use crate::tree;

/// The document's new text, `None` when the edits change nothing, or why it
/// cannot be fixed (it is then left as it is).
pub(crate) fn fix_document(text: &str, edits: &[Edit]) -> Result<Option<String>, Refusal> {
    let original = parse(text)?;
    let style = Style::of(text, first_content(text).starts_with('{'));
    let mut current = text.to_string();
    let mut root = original.clone();
    for edit in edits {
        if let Some(changed) = edit::apply(&current, &root, edit, style)? {
            current = changed;
            root = parse(&current)
                .map_err(|e| format!("the edit of {} would not parse: {e}", edit.path()))?;
        }
    }
    if current == text {
        return Ok(None);
    }
    let mut expected = original;
    for edit in edits {
        if !tree::apply(&mut expected, edit) {
            return Err(format!("{} has no place for the fix", edit.path()));
        }
    }
    if !tree::same(&expected, &root) {
        return Err(
            "the edited text would read differently than the fix intends (anchors, aliases, \
             merge keys or a multi-line value the editor cannot follow): fix it by hand"
                .into(),
        );
    }
    Ok(Some(current))
}

/// The document's text from its first line that is not blank, a comment or a marker.
fn first_content(text: &str) -> &str {
    let mut rest = text;
    loop {
        let trimmed = rest.trim_start();
        if trimmed.starts_with('#') || trimmed.starts_with("---") || trimmed.starts_with('%') {
            match trimmed.find('\n') {
                Some(i) => rest = &trimmed[i + 1..],
                None => return "",
            }
        } else {
            return trimmed;
        }
    }
}

fn parse(text: &str) -> Result<Node, Refusal> {
    let document = DocumentText {
        index: 0,
        text,
        first_line: 0,
    };
    match parse_document(&document) {
        Some(Ok(parsed)) => Ok(parsed.root),
        Some(Err(e)) => Err(format!("{}: {}", e.pos, e.reason)),
        None => Err("an empty document".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigie_controls::fix::{FieldPath, FixValue};

    fn set(path: &str, value: FixValue) -> Edit {
        Edit::Set {
            path: FieldPath::parse(path).unwrap(),
            value,
        }
    }

    fn drop_all(path: &str) -> Edit {
        Edit::AddItem {
            path: FieldPath::parse(path).unwrap(),
            value: FixValue::String("ALL".into()),
        }
    }

    fn fixed(text: &str, edits: &[Edit]) -> String {
        fix_document(text, edits)
            .unwrap()
            .unwrap_or_else(|| text.to_string())
    }

    const APE: &str = "spec.containers[0].securityContext.allowPrivilegeEscalation";
    const DROP: &str = "spec.containers[0].securityContext.capabilities.drop";

    #[test]
    fn block_values_are_replaced_in_place() {
        let text = "kind: Pod\nspec:\n  containers:\n  - name: a # the app\n    securityContext:\n      allowPrivilegeEscalation: true   # why\n      runAsUser: 1000\n";
        let want = text.replace("Escalation: true", "Escalation: false");
        assert_eq!(fixed(text, &[set(APE, FixValue::Bool(false))]), want);
    }

    #[test]
    fn absent_parents_are_created_with_the_indentation_of_their_siblings() {
        let text = "kind: Pod\nspec:\n  containers:\n  - name: a\n    ports:\n    - containerPort: 80\n\n    # trailing comment\n  volumes: []\n";
        let want = "kind: Pod\nspec:\n  containers:\n  - name: a\n    ports:\n    - containerPort: 80\n    securityContext:\n      allowPrivilegeEscalation: false\n      capabilities:\n        drop:\n        - ALL\n\n    # trailing comment\n  volumes: []\n";
        assert_eq!(
            fixed(text, &[set(APE, FixValue::Bool(false)), drop_all(DROP)]),
            want
        );
    }

    #[test]
    fn flow_mappings_and_lists_stay_flow() {
        let text = "kind: Pod\nspec:\n  containers:\n  - {name: a, securityContext: {runAsUser: 1000, capabilities: {drop: [NET_RAW]}}}\n";
        let want = "kind: Pod\nspec:\n  containers:\n  - {name: a, securityContext: {runAsUser: 1000, capabilities: {drop: [NET_RAW, ALL]}, allowPrivilegeEscalation: false}}\n";
        assert_eq!(
            fixed(text, &[drop_all(DROP), set(APE, FixValue::Bool(false))]),
            want
        );
    }

    #[test]
    fn null_and_empty_parents_are_filled() {
        for value in ["", " null", " ~", " {}"] {
            let text = format!("kind: Pod\nspec:\n  containers:\n  - name: a\n    securityContext:{value} # none yet\n    image: x\n");
            let want = "kind: Pod\nspec:\n  containers:\n  - name: a\n    securityContext: # none yet\n      allowPrivilegeEscalation: false\n    image: x\n";
            assert_eq!(
                fixed(&text, &[set(APE, FixValue::Bool(false))]),
                want,
                "{value:?}"
            );
        }
    }

    #[test]
    fn json_documents_stay_json() {
        let text = "{\"kind\": \"Pod\", \"spec\": {\"containers\": [{\"name\": \"a\"}]}}\n";
        let want = "{\"kind\": \"Pod\", \"spec\": {\"containers\": [{\"name\": \"a\", \"securityContext\": {\"allowPrivilegeEscalation\": false}}]}}\n";
        assert_eq!(fixed(text, &[set(APE, FixValue::Bool(false))]), want);
    }

    #[test]
    fn new_lists_are_indented_as_the_document_indents_its_lists() {
        let text = "kind: Pod\nspec:\n  containers:\n  - name: a\n";
        let want = "kind: Pod\nspec:\n  containers:\n  - name: a\n    securityContext:\n      capabilities:\n        drop:\n        - ALL\n";
        assert_eq!(fixed(text, &[drop_all(DROP)]), want);
    }

    #[test]
    fn block_lists_get_a_new_item_line() {
        let text = "kind: Pod\nspec:\n  containers:\n  - name: a\n    securityContext:\n      capabilities:\n        drop:\n        - NET_RAW\n    image: x\n";
        let want = text.replace("- NET_RAW\n", "- NET_RAW\n        - ALL\n");
        assert_eq!(fixed(text, &[drop_all(DROP)]), want);
    }

    #[test]
    fn quoted_strings_keep_their_quotes() {
        let text = "kind: Pod\nspec:\n  containers:\n  - name: a\n    image: 'redis:7'\n";
        let edit = set(
            "spec.containers[0].image",
            FixValue::String("redis:7@sha256:ab".into()),
        );
        assert_eq!(
            fixed(text, &[edit]),
            text.replace("'redis:7'", "'redis:7@sha256:ab'")
        );
    }

    #[test]
    fn values_set_through_aliases_are_refused() {
        let text = "kind: Pod\nspec:\n  containers:\n  - name: a\n    securityContext: &sc\n      allowPrivilegeEscalation: true\n  - name: b\n    securityContext: *sc\n";
        let edit = set(
            "spec.containers[1].securityContext.allowPrivilegeEscalation",
            FixValue::Bool(false),
        );
        assert!(fix_document(text, &[edit]).is_err());
    }

    #[test]
    fn windows_line_endings_are_kept() {
        let text =
            "kind: Pod\r\nspec:\r\n  containers:\r\n  - name: a\r\n    securityContext: ~\r\n";
        let want = "kind: Pod\r\nspec:\r\n  containers:\r\n  - name: a\r\n    securityContext:\r\n      allowPrivilegeEscalation: false\r\n";
        assert_eq!(fixed(text, &[set(APE, FixValue::Bool(false))]), want);
        let text = "kind: Pod\r\nspec:\r\n  containers:\r\n  - name: a\r\n";
        let once = fixed(text, &[set(APE, FixValue::Bool(false))]);
        assert!(!once.replace("\r\n", "").contains('\n'), "{once:?}");
    }

    #[test]
    fn a_second_run_changes_nothing() {
        let text = "kind: Pod\nspec:\n  containers:\n  - name: a\n";
        let edits = [set(APE, FixValue::Bool(false)), drop_all(DROP)];
        let once = fixed(text, &edits);
        assert_eq!(fix_document(&once, &edits).unwrap(), None);
    }
}
