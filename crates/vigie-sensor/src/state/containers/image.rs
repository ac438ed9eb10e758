//! Image references split the way `container.image.*` fields read them:
//! `[registry/]path[:tag][@digest]`.

/// An image reference and its parts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImageName {
    /// `container.image`: the reference as given.
    pub full: String,
    /// `container.image.repository`: the reference without tag and digest.
    pub repository: String,
    /// `container.image.tag`, or empty.
    pub tag: String,
    /// `container.image.digest` (`sha256:...`), or empty.
    pub digest: String,
}

impl ImageName {
    /// Splits `reference`. A digest missing from it is taken from `digested`, the
    /// runtime's digested reference of the same image (`repo@sha256:...`), when
    /// there is one.
    pub fn parse(reference: &str, digested: &str) -> ImageName {
        let (rest, digest) = match reference.split_once('@') {
            Some((r, d)) => (r, d.to_string()),
            None => (
                reference,
                digested
                    .split_once('@')
                    .map(|(_, d)| d.to_string())
                    .unwrap_or_default(),
            ),
        };
        // A colon after the last slash starts the tag; one before it is a
        // registry's port (`registry:5000/app`).
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (repository, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => (&rest[..last_slash + i], &rest[last_slash + i + 1..]),
            None => (rest, ""),
        };
        ImageName {
            full: reference.to_string(),
            repository: repository.to_string(),
            tag: tag.to_string(),
            digest,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_references() {
        let d = "sha256:0123abcd";
        for (reference, digested, repo, tag, digest) in [
            ("nginx", "", "nginx", "", ""),
            ("nginx:1.27", "", "nginx", "1.27", ""),
            (
                "docker.io/library/nginx:1.27",
                "docker.io/library/nginx@sha256:0123abcd",
                "docker.io/library/nginx",
                "1.27",
                d,
            ),
            (
                "registry:5000/team/app",
                "",
                "registry:5000/team/app",
                "",
                "",
            ),
            (
                "registry:5000/team/app:v2@sha256:0123abcd",
                "",
                "registry:5000/team/app",
                "v2",
                d,
            ),
            ("app@sha256:0123abcd", "", "app", "", d),
        ] {
            let name = ImageName::parse(reference, digested);
            assert_eq!(
                (
                    name.repository.as_str(),
                    name.tag.as_str(),
                    name.digest.as_str()
                ),
                (repo, tag, digest),
                "{reference}"
            );
            assert_eq!(name.full, reference);
        }
    }
}
