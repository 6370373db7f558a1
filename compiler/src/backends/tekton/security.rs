//! The security context of every step and sidecar.
//!
//! Invariant: no container is privileged and none may gain privileges
//! (`allowPrivilegeEscalation: false`). On top of that, a step runs as a non-root user, with
//! every capability dropped and the runtime's default seccomp profile, when its image is known
//! to work that way: the image is listed in [`NON_ROOT_IMAGES`] with the user id it is built
//! for. Every other image keeps the user it was built with. That is root for the official
//! toolchain images (maven, node, python, golang), for `alpine/git` (the clone step writes into
//! the workspace volume, which belongs to root) and for kaniko (which must unpack image layers
//! as root, without privileges); forcing another user onto them would break builds that write
//! to the workspace or to their home folder.

use super::model::{Capabilities, SeccompProfile, SecurityContext};

/// Images that run as a non-root user, by repository (without tag or digest), with that user's
/// numeric id.
pub const NON_ROOT_IMAGES: &[(&str, u64)] = &[
    // `USER curl_user` (uid 100) in the curl-container Dockerfile.
    ("docker.io/curlimages/curl", 100),
    // `USER 999` (argocd) in the Argo CD Dockerfile.
    ("quay.io/argoproj/argocd", 999),
];

/// The repository of an image reference: without `@digest` and without a `:tag` after the
/// last `/`.
pub fn repository(image: &str) -> &str {
    let no_digest = image.split('@').next().unwrap_or(image);
    let last_slash = no_digest.rfind('/').map_or(0, |i| i + 1);
    match no_digest[last_slash..].find(':') {
        Some(i) => &no_digest[..last_slash + i],
        None => no_digest,
    }
}

/// The security context of a container running `image`.
pub fn for_image(image: &str) -> SecurityContext {
    let repo = repository(image);
    let user = NON_ROOT_IMAGES
        .iter()
        .find(|(r, _)| *r == repo)
        .map(|(_, uid)| *uid);
    SecurityContext {
        allow_privilege_escalation: false,
        privileged: false,
        run_as_non_root: user.map(|_| true),
        run_as_user: user,
        capabilities: user.map(|_| Capabilities {
            drop: vec!["ALL".to_string()],
        }),
        seccomp_profile: user.map(|_| SeccompProfile {
            ty: "RuntimeDefault".to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repositories_drop_tag_and_digest() {
        assert_eq!(
            repository("docker.io/curlimages/curl:8.22.0@sha256:abc"),
            "docker.io/curlimages/curl"
        );
        assert_eq!(repository("localhost:5000/x"), "localhost:5000/x");
        assert_eq!(repository("localhost:5000/x:1"), "localhost:5000/x");
    }

    #[test]
    fn known_images_run_as_non_root() {
        let s = for_image("docker.io/curlimages/curl:8.22.0");
        assert_eq!(s.run_as_non_root, Some(true));
        assert_eq!(s.run_as_user, Some(100));
        let s = for_image("gcr.io/kaniko-project/executor:v1.24.0");
        assert_eq!(s.run_as_non_root, None);
        assert!(!s.allow_privilege_escalation && !s.privileged);
    }
}
