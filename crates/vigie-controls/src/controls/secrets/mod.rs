//! Secrets and credentials: where they are kept and how workloads get them.

mod sensitive;

pub(crate) mod credentials_in_config;
pub(crate) mod external_secret_storage;
pub(crate) mod mounted_secret;
pub(crate) mod secret_data_in_manifest;
pub(crate) mod secret_env_var;

/// The controls of this category (register new ones here), in ID order.
pub(crate) static CONTROLS: [crate::control::Control; 5] = [
    credentials_in_config::CONTROL,
    secret_env_var::CONTROL,
    external_secret_storage::CONTROL,
    mounted_secret::CONTROL,
    secret_data_in_manifest::CONTROL,
];
