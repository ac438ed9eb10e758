//! The files `vigie policy` reads: what the paths a user named come to, read with
//! a size cap. Walking, the cap and decoding belong to `vigie_resource::input`;
//! this module sorts what it finds for the policy commands, which read standard
//! input and special files once, up front, as a run may load its resources twice.

use std::path::Path;
use std::sync::Arc;

use vigie_resource::input::{read_text, walk, ReadError, Source, WalkDiagnostic, WalkOptions};
use vigie_resource::{load_each, LoadOptions, Node, Origin, Resource, SourceFile};

/// What the paths a user named come to.
#[derive(Debug, Default)]
pub struct Gathered {
    /// Regular files within the cap, and kustomization directories (when rendering
    /// them), for the resource loader.
    pub paths: Vec<String>,
    /// Standard input and special files named directly, already read: (name, text).
    pub texts: Vec<(String, String)>,
    /// Files that could not be read or are over the cap.
    pub errors: Vec<ReadError>,
    /// Files skipped on purpose (FIFOs, sockets, devices inside a directory).
    pub notes: Vec<String>,
    /// The inputs that name a file (or `-`, as `<stdin>`) rather than a directory:
    /// a caller may expect something of each.
    pub named: Vec<String>,
}

impl Gathered {
    /// Every resource gathered, files through the loader and then the texts
    /// read up front, each turned by `visit` and handed to `consume`. Returns
    /// the documents that are not objects, as `file:line: reason` (the
    /// loader's first).
    pub fn load_each<T: Send>(
        &self,
        options: &LoadOptions,
        visit: impl Fn(Resource) -> T + Sync,
        mut consume: impl FnMut(T),
    ) -> Vec<String> {
        let summary = load_each(&self.paths, options, &visit, &mut consume);
        let mut errors: Vec<String> = summary
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| d.located().to_string())
            .collect();
        for (name, text) in &self.texts {
            let (resources, text_errors) = resources_of_text(name, text);
            errors.extend(
                text_errors
                    .into_iter()
                    .map(|(line, reason)| format!("{name}:{line}: {reason}")),
            );
            resources.into_iter().map(&visit).for_each(&mut consume);
        }
        errors
    }
}

/// Turns the paths a user named into what can safely be loaded (see
/// [`vigie_resource::input::walk`]): regular files over `limit` are refused by their
/// size, standard input and special files named directly are read here within the
/// cap, and FIFOs, sockets and devices inside a directory are skipped with a note.
/// With `kustomize`, a directory holding a kustomization is kept whole for the
/// loader to render.
pub fn gather(inputs: &[String], limit: u64, kustomize: bool) -> Gathered {
    let walked = walk(
        inputs,
        &WalkOptions {
            render_kustomizations: kustomize,
            max_file_bytes: Some(limit),
        },
    );
    let mut out = Gathered {
        named: walked.named,
        ..Default::default()
    };
    for diagnostic in walked.diagnostics {
        match diagnostic {
            WalkDiagnostic::Unreadable(e) => out.errors.push(e),
            WalkDiagnostic::NotRegular(_) => out.notes.push(diagnostic.to_string()),
            // Kustomization files sit beside policies and test resources: passed
            // over without a word (a named one still gets "holds no policy").
            WalkDiagnostic::KustomizationFile(_) => {}
        }
    }
    for source in walked.sources {
        let (name, path) = match source {
            Source::File(path) | Source::Kustomization(path) => {
                out.paths.push(path.display().to_string());
                continue;
            }
            Source::Stdin => ("<stdin>".to_string(), Path::new("-").to_path_buf()),
            Source::Special(path) => (path.display().to_string(), path),
        };
        match read_text(&path, limit) {
            Ok(text) => out.texts.push((name, text)),
            Err(e) => out.errors.push(e),
        }
    }
    out
}

/// Kubernetes objects in a text read here (standard input, a special file), with
/// `List`s unpacked as the loader does, and an error (line, reason) for each
/// document that is not one.
pub fn resources_of_text(name: &str, text: &str) -> (Vec<Resource>, Vec<(u32, String)>) {
    let file = Arc::new(SourceFile {
        path: name.to_string(),
        rendered_by: None,
    });
    let mut resources = Vec::new();
    let mut errors = Vec::new();
    for document in vigie_resource::parse_documents(text) {
        let document = match document {
            Ok(d) => d,
            Err(e) => {
                errors.push((
                    e.pos.line,
                    format!("document {}: invalid YAML: {}", e.index + 1, e.reason),
                ));
                continue;
            }
        };
        let origin = Origin {
            file: file.clone(),
            document: document.index,
            item: None,
            cluster: None,
        };
        let is_list = document
            .root
            .get("kind")
            .and_then(Node::as_str)
            .is_some_and(|k| k.ends_with("List"))
            && document.root.get("items").is_some();
        if !is_list {
            match Resource::from_node(document.root, origin) {
                Ok(r) => resources.push(r),
                Err((pos, reason)) => errors.push((
                    pos.line,
                    format!("document {}: {reason}", document.index + 1),
                )),
            }
            continue;
        }
        let items = document.root.get("items").map(Node::items).unwrap_or(&[]);
        for (i, item) in items.iter().enumerate() {
            let origin = Origin {
                item: Some(i as u32),
                ..origin.clone()
            };
            match Resource::from_node(item.clone(), origin) {
                Ok(r) => resources.push(r),
                Err((pos, reason)) => errors.push((
                    pos.line,
                    format!("document {}, item {}: {reason}", document.index + 1, i + 1),
                )),
            }
        }
    }
    (resources, errors)
}
