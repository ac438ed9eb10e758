//! Container image references (`[registry/]path[:tag][@digest]`), as
//! Kyverno's `images` variable and CEL image library read them.

/// A container image reference split into its parts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageInfo {
    /// The registry host (`docker.io` when the reference names none).
    pub registry: String,
    /// The repository path within the registry (`team/app`).
    pub path: String,
    /// The last component of the path (`app`).
    pub name: String,
    /// The tag (`latest` when the reference has neither tag nor digest).
    pub tag: String,
    /// The digest (`sha256:...`), empty when there is none.
    pub digest: String,
}

/// Parses `[registry/]path[:tag][@digest]`, defaulting to `docker.io` and `latest`.
pub fn parse_image(image: &str) -> Option<ImageInfo> {
    let image = image.trim();
    if image.is_empty() || image.contains(char::is_whitespace) {
        return None;
    }
    let (rest, digest) = match image.split_once('@') {
        Some((r, d)) => (r, d.to_string()),
        None => (image, String::new()),
    };
    let (registry, remainder) = match rest.split_once('/') {
        Some((first, after)) if first.contains(['.', ':']) || first == "localhost" => {
            (first.to_string(), after)
        }
        _ => ("docker.io".to_string(), rest),
    };
    let (path, tag) = match remainder.rsplit_once(':') {
        Some((p, t)) if !t.contains('/') => (p.to_string(), t.to_string()),
        _ => (remainder.to_string(), String::new()),
    };
    if path.is_empty() {
        return None;
    }
    let tag = if tag.is_empty() && digest.is_empty() {
        "latest".to_string()
    } else {
        tag
    };
    let name = path.rsplit('/').next().unwrap_or(&path).to_string();
    Some(ImageInfo {
        registry,
        path,
        name,
        tag,
        digest,
    })
}

impl ImageInfo {
    /// The reference with registry and tag (or digest) written out.
    pub fn normalized(&self) -> String {
        let base = format!("{}/{}", self.registry, self.path);
        if !self.digest.is_empty() {
            format!("{base}@{}", self.digest)
        } else {
            format!("{base}:{}", self.tag)
        }
    }
}
