//! Secrets and credentials: where they are kept and how workloads get them.

mod sensitive;

pub(crate) mod credentials_in_config;
pub(crate) mod external_secret_storage;
pub(crate) mod mounted_secret;
pub(crate) mod secret_data_in_manifest;
pub(crate) mod secret_env_var;
