//! The control plane controls that only require some flags of some
//! components: each is a [`FlagRule`] (which flag must hold which value, and
//! why) and its description, and [`FlagRule::evaluate`] does the reading, the
//! defaults and the messages for all of them. They are one table rather than
//! one file each, so that the requirements can be read and compared at a
//! glance; each control's documentation is the Markdown file
//! `flag_controls/<name>.md`.
//!
//! A control that reads more than flags (a configuration file, several pods
//! together) keeps a file of its own, like `etcd_unique_ca.rs`.

use vigie_resource::duration_seconds;

use super::super::prelude::*;
use super::flag_rule::{
    Check, FlagRule, Requirement, ETCD, KUBE_APISERVER, KUBE_CONTROLLER_MANAGER, KUBE_SCHEDULER,
};

/// One control of the table: its description, and the flags it requires.
struct FlagControl {
    about: Described,
    rule: FlagRule,
}

const TABLE: [FlagControl; 40] = [
    FlagControl {
        about: Described {
            id: "VG-C001",
            title: "API server accepts anonymous requests",
            severity: Severity::High,
            refs: Refs {
                kubescape: &["C-0113"],
                cis: &["1.2.1"],
                nsa: &["Authentication and authorization"],
                mitre: &["T1190"],
            },
            remediation: "Start kube-apiserver with --anonymous-auth=false.",
            doc: include_str!("flag_controls/api_server_anonymous_auth.md"),
        },
        rule: FlagRule {
            components: &[KUBE_APISERVER],
            requirements: &[Requirement {
                flag: "anonymous-auth",
                check: Check::OneOf {
                    values: &["false"],
                    default: "true",
                },
                risk: "requests without credentials are served as system:anonymous",
            }],
        },
    },
    FlagControl {
        about: Described {
            id: "VG-C002",
            title: "API server accepts static bearer tokens",
            severity: Severity::High,
            refs: Refs {
                kubescape: &["C-0114"],
                cis: &["1.2.2"],
                nsa: &["Authentication and authorization"],
                mitre: &["T1078"],
            },
            remediation: "Remove --token-auth-file from kube-apiserver and authenticate users with certificates, OIDC or a webhook.",
            doc: include_str!("flag_controls/api_server_token_auth_file.md"),
        },
        rule: FlagRule {
            components: &[KUBE_APISERVER],
            requirements: &[
                Requirement {
                    flag: "token-auth-file",
                    check: Check::Absent,
                    risk: "static tokens never expire and are only revoked by editing the file and restarting the API server",
                },
            ],
        },
    },
    FlagControl {
        about: Described {
            id: "VG-C003",
            title: "API server lets Services claim external IPs",
            severity: Severity::Medium,
            refs: Refs {
                kubescape: &["C-0283"],
                cis: &["1.2.3"],
                nsa: &["Network separation and hardening"],
                mitre: &["T1557"],
            },
            remediation: "Add DenyServiceExternalIPs to kube-apiserver --enable-admission-plugins (unless Services legitimately use spec.externalIPs).",
            doc: include_str!("flag_controls/api_server_deny_service_external_ips.md"),
        },
        rule: FlagRule {
            components: &[KUBE_APISERVER],
            requirements: &[Requirement {
                flag: "enable-admission-plugins",
                check: Check::Includes {
                    items: &["DenyServiceExternalIPs"],
                    default: &[],
                },
                risk: "anyone who may create a Service can set spec.externalIPs and capture traffic meant for those addresses (CVE-2020-8554)",
            }],
        },
    },
    FlagControl {
        about: Described {
            id: "VG-C004",
            title: "API server has no client certificate for kubelets",
            severity: Severity::High,
            refs: Refs {
                kubescape: &["C-0116"],
                cis: &["1.2.4"],
                nsa: &["Authentication and authorization"],
                mitre: &[],
            },
            remediation: "Set --kubelet-client-certificate and --kubelet-client-key on kube-apiserver.",
            doc: include_str!("flag_controls/api_server_kubelet_client_cert.md"),
        },
        rule: FlagRule {
            components: &[KUBE_APISERVER],
            requirements: &[
                Requirement {
                    flag: "kubelet-client-certificate",
                    check: Check::Set,
                    risk: "the API server cannot authenticate to kubelets, which must then serve unauthenticated requests",
                },
                Requirement {
                    flag: "kubelet-client-key",
                    check: Check::Set,
                    risk: "the API server cannot authenticate to kubelets, which must then serve unauthenticated requests",
                },
            ],
        },
    },
    FlagControl {
        about: Described {
            id: "VG-C005",
            title: "API server does not verify kubelet certificates",
            severity: Severity::High,
            refs: Refs {
                kubescape: &["C-0117"],
                cis: &["1.2.5"],
                nsa: &["Authentication and authorization"],
                mitre: &["T1557"],
            },
            remediation: "Set --kubelet-certificate-authority on kube-apiserver to the CA that signs the kubelets' serving certificates.",
            doc: include_str!("flag_controls/api_server_kubelet_certificate_authority.md"),
        },
        rule: FlagRule {
            components: &[KUBE_APISERVER],
            requirements: &[
                Requirement {
                    flag: "kubelet-certificate-authority",
                    check: Check::Set,
                    risk: "the API server does not verify the kubelets' serving certificates, so its connections to nodes can be intercepted",
                },
            ],
        },
    },
    FlagControl {
        about: Described {
            id: "VG-C006",
            title: "API server authorizes every request",
            severity: Severity::Critical,
            refs: Refs {
                kubescape: &["C-0118"],
                cis: &["1.2.6"],
                nsa: &["Authentication and authorization"],
                mitre: &["T1078"],
            },
            remediation: "Set kube-apiserver --authorization-mode to Node,RBAC (without AlwaysAllow).",
            doc: include_str!("flag_controls/api_server_authorization_always_allow.md"),
        },
        rule: FlagRule {
            components: &[KUBE_APISERVER],
            requirements: &[Requirement {
                flag: "authorization-mode",
                check: Check::Excludes {
                    item: "AlwaysAllow",
                    default: &["AlwaysAllow"],
                },
                risk: "every authenticated request is allowed, whatever Roles and bindings say",
            }],
        },
    },
    FlagControl {
        about: Described {
            id: "VG-C007",
            title: "API server does not use the Node authorizer",
            severity: Severity::Medium,
            refs: Refs {
                kubescape: &["C-0119"],
                cis: &["1.2.7"],
                nsa: &["Authentication and authorization"],
                mitre: &[],
            },
            remediation: "Include Node in kube-apiserver --authorization-mode (Node,RBAC).",
            doc: include_str!("flag_controls/api_server_authorization_node.md"),
        },
        rule: FlagRule {
            components: &[KUBE_APISERVER],
            requirements: &[Requirement {
                flag: "authorization-mode",
                check: Check::Includes {
                    items: &["Node"],
                    default: &["AlwaysAllow"],
                },
                risk: "kubelets are not limited to the Secrets, ConfigMaps and pods of their own node",
            }],
        },
    },
    FlagControl {
        about: Described {
            id: "VG-C008",
            title: "API server does not enforce RBAC",
            severity: Severity::High,
            refs: Refs {
                kubescape: &["C-0120", "C-0088"],
                cis: &["1.2.8"],
                nsa: &["Authentication and authorization"],
                mitre: &["T1078"],
            },
            remediation: "Include RBAC in kube-apiserver --authorization-mode (Node,RBAC).",
            doc: include_str!("flag_controls/api_server_authorization_rbac.md"),
        },
        rule: FlagRule {
            components: &[KUBE_APISERVER],
            requirements: &[Requirement {
                flag: "authorization-mode",
                check: Check::Includes {
                    items: &["RBAC"],
                    default: &["AlwaysAllow"],
                },
                risk: "Roles and bindings are not enforced",
            }],
        },
    },
    FlagControl {
        about: Described {
            id: "VG-C009",
            title: "API server does not rate-limit events",
            severity: Severity::Medium,
            refs: Refs {
                kubescape: &["C-0121"],
                cis: &["1.2.9"],
                nsa: &["Control plane hardening"],
                mitre: &["T1499"],
            },
            remediation: "Add EventRateLimit to kube-apiserver --enable-admission-plugins and give it a configuration with --admission-control-config-file.",
            doc: include_str!("flag_controls/admission_event_rate_limit.md"),
        },
        rule: FlagRule {
            components: &[KUBE_APISERVER],
            requirements: &[Requirement {
                flag: "enable-admission-plugins",
                check: Check::Includes {
                    items: &["EventRateLimit"],
                    default: &[],
                },
                risk: "nothing limits the rate of Event writes, so a flood of them can overload the API server and etcd",
            }],
        },
    },
    FlagControl {
        about: Described {
            id: "VG-C010",
            title: "API server enables the AlwaysAdmit plugin",
            severity: Severity::High,
            refs: Refs {
                kubescape: &["C-0122"],
                cis: &["1.2.10"],
                nsa: &["Control plane hardening"],
                mitre: &[],
            },
            remediation: "Remove AlwaysAdmit from kube-apiserver --enable-admission-plugins.",
            doc: include_str!("flag_controls/admission_always_admit.md"),
        },
        rule: FlagRule {
            components: &[KUBE_APISERVER],
            requirements: &[Requirement {
                flag: "enable-admission-plugins",
                check: Check::Excludes {
                    item: "AlwaysAdmit",
                    default: &[],
                },
                risk: "AlwaysAdmit is a testing plugin that admits every request, weakening admission control as a whole",
            }],
        },
    },
    FlagControl {
        about: Described {
            id: "VG-C011",
            title: "API server does not force image pulls",
            severity: Severity::Medium,
            refs: Refs {
                kubescape: &["C-0123"],
                cis: &["1.2.11"],
                nsa: &["Control plane hardening"],
                mitre: &["T1610"],
            },
            remediation: "Add AlwaysPullImages to kube-apiserver --enable-admission-plugins.",
            doc: include_str!("flag_controls/admission_always_pull_images.md"),
        },
        rule: FlagRule {
            components: &[KUBE_APISERVER],
            requirements: &[Requirement {
                flag: "enable-admission-plugins",
                check: Check::Includes {
                    items: &["AlwaysPullImages"],
                    default: &[],
                },
                risk: "a pod can run a private image already cached on its node without the credentials to pull it",
            }],
        },
    },
    FlagControl {
        about: Described {
            id: "VG-C012",
            title: "API server restricts no pod security contexts",
            severity: Severity::Medium,
            refs: Refs {
                kubescape: &["C-0124"],
                cis: &[],
                nsa: &["Kubernetes Pod security"],
                mitre: &["T1611"],
            },
            remediation: "Enable a pod security admission plugin in kube-apiserver --enable-admission-plugins: PodSecurity (1.23 and later), or PodSecurityPolicy / SecurityContextDeny on older clusters.",
            doc: include_str!("flag_controls/admission_security_context_deny.md"),
        },
        rule: FlagRule {
            components: &[KUBE_APISERVER],
            requirements: &[Requirement {
                flag: "enable-admission-plugins",
                check: Check::Includes {
                    items: &["SecurityContextDeny", "PodSecurityPolicy", "PodSecurity"],
                    default: &[],
                },
                risk: "no admission plugin is named to stop pods from requesting privileged security contexts",
            }],
        },
    },
    FlagControl {
        about: Described {
            id: "VG-C013",
            title: "API server disables the ServiceAccount plugin",
            severity: Severity::Medium,
            refs: Refs {
                kubescape: &["C-0125"],
                cis: &["1.2.12"],
                nsa: &["Authentication and authorization"],
                mitre: &[],
            },
            remediation: "Remove ServiceAccount from kube-apiserver --disable-admission-plugins.",
            doc: include_str!("flag_controls/admission_service_account.md"),
        },
        rule: FlagRule {
            components: &[KUBE_APISERVER],
            requirements: &[Requirement {
                flag: "disable-admission-plugins",
                check: Check::Excludes {
                    item: "ServiceAccount",
                    default: &[],
                },
                risk: "pods are neither given a service account nor checked for one that exists, which breaks per-workload identities",
            }],
        },
    },
    FlagControl {
        about: Described {
            id: "VG-C014",
            title: "API server disables the NamespaceLifecycle plugin",
            severity: Severity::Medium,
            refs: Refs {
                kubescape: &["C-0126"],
                cis: &["1.2.13"],
                nsa: &["Namespaces"],
                mitre: &[],
            },
            remediation: "Remove NamespaceLifecycle from kube-apiserver --disable-admission-plugins.",
            doc: include_str!("flag_controls/admission_namespace_lifecycle.md"),
        },
        rule: FlagRule {
            components: &[KUBE_APISERVER],
            requirements: &[Requirement {
                flag: "disable-admission-plugins",
                check: Check::Excludes {
                    item: "NamespaceLifecycle",
                    default: &[],
                },
                risk: "objects can be created in namespaces that do not exist or are being deleted, and system namespaces can be deleted",
            }],
        },
    },
    FlagControl {
        about: Described {
            id: "VG-C015",
            title: "API server does not restrict what kubelets may modify",
            severity: Severity::Medium,
            refs: Refs {
                kubescape: &["C-0127"],
                cis: &["1.2.14"],
                nsa: &["Authentication and authorization"],
                mitre: &[],
            },
            remediation: "Add NodeRestriction to kube-apiserver --enable-admission-plugins (with --authorization-mode including Node).",
            doc: include_str!("flag_controls/admission_node_restriction.md"),
        },
        rule: FlagRule {
            components: &[KUBE_APISERVER],
            requirements: &[Requirement {
                flag: "enable-admission-plugins",
                check: Check::Includes {
                    items: &["NodeRestriction"],
                    default: &[],
                },
                risk: "a kubelet can modify other Nodes and pods not bound to it, and label its Node to attract sensitive workloads",
            }],
        },
    },
    FlagControl {
        about: Described {
            id: "VG-C016",
            title: "Control plane component serves profiling data",
            severity: Severity::Low,
            refs: Refs {
                kubescape: &["C-0129", "C-0145", "C-0151"],
                cis: &["1.2.15", "1.3.2", "1.4.1"],
                nsa: &["Control plane hardening"],
                mitre: &[],
            },
            remediation:
                "Start kube-apiserver, kube-controller-manager and kube-scheduler with --profiling=false.",
            doc: include_str!("flag_controls/profiling_enabled.md"),
        },
        rule: FlagRule {
            components: &[KUBE_APISERVER, KUBE_CONTROLLER_MANAGER, KUBE_SCHEDULER],
            requirements: &[
                Requirement {
                    flag: "profiling",
                    check: Check::OneOf {
                        values: &["false"],
                        default: "true",
                    },
                    risk: "the /debug/pprof endpoints reveal program internals and can be used to load the component",
                },
            ],
        },
    },
    FlagControl {
        about: Described {
            id: "VG-C017",
            title: "API server disables its secure port",
            severity: Severity::High,
            refs: Refs {
                kubescape: &["C-0128"],
                cis: &[],
                nsa: &["Control plane hardening"],
                mitre: &["T1040"],
            },
            remediation:
                "Remove --secure-port=0 from kube-apiserver (or set it to the HTTPS port, usually 6443).",
            doc: include_str!("flag_controls/api_server_secure_port_disabled.md"),
        },
        rule: FlagRule {
            components: &[KUBE_APISERVER],
            requirements: &[
                Requirement {
                    flag: "secure-port",
                    check: Check::Not {
                        value: "0",
                        default: "6443",
                    },
                    risk: "the API server serves no HTTPS, so clients are left with unencrypted, unauthenticated access",
                },
            ],
        },
    },
    FlagControl {
        about: Described {
            id: "VG-C018",
            title: "API server writes no audit log",
            severity: Severity::Medium,
            refs: Refs {
                kubescape: &["C-0130"],
                cis: &["1.2.16"],
                nsa: &["Audit logging and threat detection"],
                mitre: &["T1562"],
            },
            remediation: "Set kube-apiserver --audit-log-path to a file on a persistent volume (and --audit-policy-file).",
            doc: include_str!("flag_controls/api_server_audit_log_path.md"),
        },
        rule: FlagRule {
            components: &[KUBE_APISERVER],
            requirements: &[
                Requirement {
                    flag: "audit-log-path",
                    check: Check::Set,
                    risk: "API requests are not written to an audit log, so who did what cannot be established afterwards",
                },
            ],
        },
    },
    FlagControl {
        about: Described {
            id: "VG-C019",
            title: "API server keeps audit logs for less than 30 days",
            severity: Severity::Low,
            refs: Refs {
                kubescape: &["C-0131"],
                cis: &["1.2.17"],
                nsa: &["Audit logging and threat detection"],
                mitre: &["T1562"],
            },
            remediation: "Set kube-apiserver --audit-log-maxage to 30 or more (days).",
            doc: include_str!("flag_controls/api_server_audit_log_maxage.md"),
        },
        rule: FlagRule {
            components: &[KUBE_APISERVER],
            requirements: &[Requirement {
                flag: "audit-log-maxage",
                check: Check::AtLeast { min: 30 },
                risk: "rotated audit logs may be deleted before an investigation needs them",
            }],
        },
    },
    FlagControl {
        about: Described {
            id: "VG-C020",
            title: "API server keeps fewer than 10 audit log files",
            severity: Severity::Low,
            refs: Refs {
                kubescape: &["C-0132"],
                cis: &["1.2.18"],
                nsa: &["Audit logging and threat detection"],
                mitre: &["T1562"],
            },
            remediation: "Set kube-apiserver --audit-log-maxbackup to 10 or more.",
            doc: include_str!("flag_controls/api_server_audit_log_maxbackup.md"),
        },
        rule: FlagRule {
            components: &[KUBE_APISERVER],
            requirements: &[Requirement {
                flag: "audit-log-maxbackup",
                check: Check::AtLeast { min: 10 },
                risk: "few rotated audit log files are kept, so older events are lost early",
            }],
        },
    },
    FlagControl {
        about: Described {
            id: "VG-C021",
            title: "API server rotates audit logs below 100 MB",
            severity: Severity::Low,
            refs: Refs {
                kubescape: &["C-0133"],
                cis: &["1.2.19"],
                nsa: &["Audit logging and threat detection"],
                mitre: &["T1562"],
            },
            remediation: "Set kube-apiserver --audit-log-maxsize to 100 or more (megabytes).",
            doc: include_str!("flag_controls/api_server_audit_log_maxsize.md"),
        },
        rule: FlagRule {
            components: &[KUBE_APISERVER],
            requirements: &[
                Requirement {
                    flag: "audit-log-maxsize",
                    check: Check::AtLeast { min: 100 },
                    risk: "small audit files rotate quickly, and with a fixed number of backups less history is kept",
                },
            ],
        },
    },
    FlagControl {
        about: Described {
            id: "VG-C022",
            title: "API server request timeout is not a valid duration",
            severity: Severity::Low,
            refs: Refs {
                kubescape: &["C-0134"],
                cis: &["1.2.20"],
                nsa: &["Control plane hardening"],
                mitre: &[],
            },
            remediation: "Set kube-apiserver --request-timeout to a positive duration such as 60s or 5m, or leave the 60s default.",
            doc: include_str!("flag_controls/api_server_request_timeout.md"),
        },
        rule: FlagRule {
            components: &[KUBE_APISERVER],
            requirements: &[Requirement {
                flag: "request-timeout",
                check: Check::Valid {
                    problem: timeout_problem,
                },
                risk: "requests need a time limit the API server can read (the default is 60s)",
            }],
        },
    },
    FlagControl {
        about: Described {
            id: "VG-C023",
            title: "API server accepts tokens of deleted service accounts",
            severity: Severity::Medium,
            refs: Refs {
                kubescape: &["C-0135"],
                cis: &["1.2.21"],
                nsa: &["Authentication and authorization"],
                mitre: &["T1078"],
            },
            remediation: "Remove --service-account-lookup=false from kube-apiserver (the default is true).",
            doc: include_str!("flag_controls/api_server_service_account_lookup.md"),
        },
        rule: FlagRule {
            components: &[KUBE_APISERVER],
            requirements: &[Requirement {
                flag: "service-account-lookup",
                check: Check::OneOf {
                    values: &["true"],
                    default: "true",
                },
                risk: "tokens of deleted service accounts stay valid until they expire",
            }],
        },
    },
    FlagControl {
        about: Described {
            id: "VG-C024",
            title: "API server has no service account verification key",
            severity: Severity::Medium,
            refs: Refs {
                kubescape: &["C-0136"],
                cis: &["1.2.22"],
                nsa: &["Authentication and authorization"],
                mitre: &[],
            },
            remediation: "Set kube-apiserver --service-account-key-file to the public key matching the controller manager's --service-account-private-key-file.",
            doc: include_str!("flag_controls/api_server_service_account_key_file.md"),
        },
        rule: FlagRule {
            components: &[KUBE_APISERVER],
            requirements: &[
                Requirement {
                    flag: "service-account-key-file",
                    check: Check::Set,
                    risk: "service account tokens are checked against the serving TLS key, which then cannot be rotated without invalidating every token",
                },
            ],
        },
    },
    FlagControl {
        about: Described {
            id: "VG-C025",
            title: "API server talks to etcd without mutual TLS",
            severity: Severity::High,
            refs: Refs {
                kubescape: &["C-0137", "C-0140"],
                cis: &["1.2.23", "1.2.26"],
                nsa: &["Etcd"],
                mitre: &["T1557"],
            },
            remediation: "Set --etcd-cafile, --etcd-certfile and --etcd-keyfile on kube-apiserver.",
            doc: include_str!("flag_controls/api_server_etcd_tls.md"),
        },
        rule: FlagRule {
            components: &[KUBE_APISERVER],
            requirements: &[
                Requirement {
                    flag: "etcd-cafile",
                    check: Check::Set,
                    risk: "the API server does not verify etcd's certificate, so its connection to etcd can be intercepted",
                },
                Requirement {
                    flag: "etcd-certfile",
                    check: Check::Set,
                    risk: "the API server presents no client certificate, so etcd must accept unauthenticated clients",
                },
                Requirement {
                    flag: "etcd-keyfile",
                    check: Check::Set,
                    risk: "the API server presents no client certificate, so etcd must accept unauthenticated clients",
                },
            ],
        },
    },
    FlagControl {
        about: Described {
            id: "VG-C026",
            title: "API server TLS is not fully configured",
            severity: Severity::High,
            refs: Refs {
                kubescape: &["C-0138", "C-0139"],
                cis: &["1.2.24", "1.2.25"],
                nsa: &["Authentication and authorization"],
                mitre: &["T1557"],
            },
            remediation:
                "Set --tls-cert-file, --tls-private-key-file and --client-ca-file on kube-apiserver.",
            doc: include_str!("flag_controls/api_server_tls.md"),
        },
        rule: FlagRule {
            components: &[KUBE_APISERVER],
            requirements: &[
                Requirement {
                    flag: "tls-cert-file",
                    check: Check::Set,
                    risk: "the API server serves a self-signed certificate made at start-up, which clients cannot verify",
                },
                Requirement {
                    flag: "tls-private-key-file",
                    check: Check::Set,
                    risk: "the API server serves a self-signed certificate made at start-up, which clients cannot verify",
                },
                Requirement {
                    flag: "client-ca-file",
                    check: Check::Set,
                    risk: "clients cannot authenticate with certificates, and kubelets' client certificates are not verified",
                },
            ],
        },
    },
    FlagControl {
        about: Described {
            id: "VG-C027",
            title: "API server does not encrypt Secrets at rest",
            severity: Severity::High,
            refs: Refs {
                kubescape: &["C-0141", "C-0066"],
                cis: &["1.2.27"],
                nsa: &["Encryption"],
                mitre: &["T1552"],
            },
            remediation: "Write an EncryptionConfiguration covering secrets (aescbc, secretbox or a KMS provider) and pass it with kube-apiserver --encryption-provider-config.",
            doc: include_str!("flag_controls/api_server_encryption_at_rest.md"),
        },
        rule: FlagRule {
            components: &[KUBE_APISERVER],
            requirements: &[
                Requirement {
                    flag: "encryption-provider-config",
                    check: Check::Set,
                    risk: "Secrets are stored in etcd in clear text, readable from any copy of its data or backups",
                },
            ],
        },
    },
    FlagControl {
        about: Described {
            id: "VG-C028",
            title: "API server allows weak TLS cipher suites",
            severity: Severity::Medium,
            refs: Refs {
                kubescape: &["C-0143", "C-0277"],
                cis: &["1.2.29"],
                nsa: &["Encryption"],
                mitre: &["T1557"],
            },
            remediation: "Set kube-apiserver --tls-cipher-suites to forward-secret AEAD suites only, e.g. TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305,TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305.",
            doc: include_str!("flag_controls/api_server_tls_cipher_suites.md"),
        },
        rule: FlagRule {
            components: &[KUBE_APISERVER],
            requirements: &[
                Requirement {
                    flag: "tls-cipher-suites",
                    check: Check::Within {
                        allowed: STRONG_CIPHER_SUITES,
                    },
                    risk: "the API server also negotiates suites without forward secrecy or with broken ciphers such as 3DES",
                },
            ],
        },
    },
    FlagControl {
        about: Described {
            id: "VG-C029",
            title: "API server extends service account token lifetimes",
            severity: Severity::Medium,
            refs: Refs {
                kubescape: &["C-0290"],
                cis: &["1.2.30"],
                nsa: &["Authentication and authorization"],
                mitre: &["T1528"],
            },
            remediation: "Start kube-apiserver with --service-account-extend-token-expiration=false.",
            doc: include_str!("flag_controls/api_server_extend_token_expiration.md"),
        },
        rule: FlagRule {
            components: &[KUBE_APISERVER],
            requirements: &[
                Requirement {
                    flag: "service-account-extend-token-expiration",
                    check: Check::OneOf {
                        values: &["false"],
                        default: "true",
                    },
                    risk: "projected service account tokens are quietly valid for a year, so a stolen one stays useful long after its nominal expiry",
                },
            ],
        },
    },
    FlagControl {
        about: Described {
            id: "VG-C030",
            title: "API server has no audit policy",
            severity: Severity::Medium,
            refs: Refs {
                kubescape: &["C-0067", "C-0160"],
                cis: &["3.2.1"],
                nsa: &["Audit logging and threat detection"],
                mitre: &["T1562"],
            },
            remediation: "Write an audit Policy and pass it with kube-apiserver --audit-policy-file (plus --audit-log-path or an audit webhook).",
            doc: include_str!("flag_controls/api_server_audit_policy.md"),
        },
        rule: FlagRule {
            components: &[KUBE_APISERVER],
            requirements: &[Requirement {
                flag: "audit-policy-file",
                check: Check::Set,
                risk: "without an audit policy the API server records no audit events at all",
            }],
        },
    },
    FlagControl {
        about: Described {
            id: "VG-C031",
            title: "API server serves an unauthenticated HTTP port",
            severity: Severity::Critical,
            refs: Refs {
                kubescape: &["C-0005"],
                cis: &[],
                nsa: &["Control plane hardening"],
                mitre: &["T1190"],
            },
            remediation: "Remove --insecure-port from kube-apiserver, or set it to 0.",
            doc: include_str!("flag_controls/api_server_insecure_port.md"),
        },
        rule: FlagRule {
            components: &[KUBE_APISERVER],
            requirements: &[
                Requirement {
                    flag: "insecure-port",
                    check: Check::OneOf {
                        values: &["0"],
                        default: "0",
                    },
                    risk: "the insecure port serves the whole API over plain HTTP with neither authentication nor authorization",
                },
            ],
        },
    },
    FlagControl {
        about: Described {
            id: "VG-C032",
            title: "Controller manager turns off kubelet serving certificate rotation",
            severity: Severity::Medium,
            refs: Refs {
                kubescape: &["C-0149"],
                cis: &["1.3.6"],
                nsa: &["Control plane hardening"],
                mitre: &[],
            },
            remediation:
                "Remove RotateKubeletServerCertificate=false from kube-controller-manager --feature-gates.",
            doc: include_str!("flag_controls/controller_manager_rotate_kubelet_server_certificate.md"),
        },
        rule: FlagRule {
            components: &[KUBE_CONTROLLER_MANAGER],
            requirements: &[
                Requirement {
                    flag: "feature-gates",
                    check: Check::Excludes {
                        item: "RotateKubeletServerCertificate=false",
                        default: &[],
                    },
                    risk: "kubelets' serving certificates are not renewed through the cluster CA, so they expire or outlive a compromise",
                },
            ],
        },
    },
    FlagControl {
        about: Described {
            id: "VG-C033",
            title: "Controller manager or scheduler listens beyond localhost",
            severity: Severity::Medium,
            refs: Refs {
                kubescape: &["C-0150", "C-0152"],
                cis: &["1.3.7", "1.4.2"],
                nsa: &["Control plane hardening"],
                mitre: &[],
            },
            remediation: "Start kube-controller-manager and kube-scheduler with --bind-address=127.0.0.1.",
            doc: include_str!("flag_controls/bind_address_not_localhost.md"),
        },
        rule: FlagRule {
            components: &[KUBE_CONTROLLER_MANAGER, KUBE_SCHEDULER],
            requirements: &[
                Requirement {
                    flag: "bind-address",
                    check: Check::OneOf {
                        values: &["127.0.0.1", "::1", "localhost"],
                        default: "0.0.0.0",
                    },
                    risk: "its health, metrics and debug endpoints are reachable from the network, not only from the node",
                },
            ],
        },
    },
    FlagControl {
        about: Described {
            id: "VG-C034",
            title: "Controller manager has no terminated pod threshold",
            severity: Severity::Low,
            refs: Refs {
                kubescape: &["C-0144"],
                cis: &["1.3.1"],
                nsa: &["Control plane hardening"],
                mitre: &[],
            },
            remediation: "Set kube-controller-manager --terminated-pod-gc-threshold to a positive number suited to the cluster (e.g. 10 per node).",
            doc: include_str!("flag_controls/controller_manager_terminated_pod_gc.md"),
        },
        rule: FlagRule {
            components: &[KUBE_CONTROLLER_MANAGER],
            requirements: &[
                Requirement {
                    flag: "terminated-pod-gc-threshold",
                    check: Check::AtLeast { min: 1 },
                    risk: "terminated pods pile up to the default 12500 before they are garbage-collected, weighing on etcd and the API server (0 or less disables collection)",
                },
            ],
        },
    },
    FlagControl {
        about: Described {
            id: "VG-C035",
            title: "Controller manager service account credentials are incomplete",
            severity: Severity::Medium,
            refs: Refs {
                kubescape: &["C-0146", "C-0147", "C-0148"],
                cis: &["1.3.3", "1.3.4", "1.3.5"],
                nsa: &["Authentication and authorization"],
                mitre: &[],
            },
            remediation: "Set --service-account-private-key-file, --root-ca-file and --use-service-account-credentials=true on kube-controller-manager.",
            doc: include_str!("flag_controls/controller_manager_service_account_credentials.md"),
        },
        rule: FlagRule {
            components: &[KUBE_CONTROLLER_MANAGER],
            requirements: &[
                Requirement {
                    flag: "service-account-private-key-file",
                    check: Check::Set,
                    risk: "the controller manager has no dedicated key to sign service account tokens with, so the key cannot be rotated on its own",
                },
                Requirement {
                    flag: "root-ca-file",
                    check: Check::Set,
                    risk: "pods are given no CA bundle to verify the API server's certificate with",
                },
                Requirement {
                    flag: "use-service-account-credentials",
                    check: Check::OneOf {
                        values: &["true"],
                        default: "false",
                    },
                    risk: "every controller acts with the controller manager's own broad credentials instead of a service account of its own",
                },
            ],
        },
    },
    FlagControl {
        about: Described {
            id: "VG-C036",
            title: "etcd serves clients without TLS",
            severity: Severity::High,
            refs: Refs {
                kubescape: &["C-0153"],
                cis: &["2.1"],
                nsa: &["Etcd"],
                mitre: &["T1040"],
            },
            remediation: "Set --cert-file and --key-file on etcd and serve clients over https.",
            doc: include_str!("flag_controls/etcd_client_tls.md"),
        },
        rule: FlagRule {
            components: &[ETCD],
            requirements: &[
                Requirement {
                    flag: "cert-file",
                    check: Check::Set,
                    risk: "etcd serves clients over plain HTTP, exposing every object, Secrets included, on the network",
                },
                Requirement {
                    flag: "key-file",
                    check: Check::Set,
                    risk: "etcd serves clients over plain HTTP, exposing every object, Secrets included, on the network",
                },
            ],
        },
    },
    FlagControl {
        about: Described {
            id: "VG-C037",
            title: "etcd does not authenticate clients by certificate",
            severity: Severity::High,
            refs: Refs {
                kubescape: &["C-0154"],
                cis: &["2.2"],
                nsa: &["Etcd"],
                mitre: &["T1190"],
            },
            remediation: "Start etcd with --client-cert-auth=true and --trusted-ca-file.",
            doc: include_str!("flag_controls/etcd_client_cert_auth.md"),
        },
        rule: FlagRule {
            components: &[ETCD],
            requirements: &[Requirement {
                flag: "client-cert-auth",
                check: Check::OneOf {
                    values: &["true"],
                    default: "false",
                },
                risk: "etcd serves any client that reaches it, without a certificate from its CA",
            }],
        },
    },
    FlagControl {
        about: Described {
            id: "VG-C038",
            title: "etcd uses self-signed certificates",
            severity: Severity::Medium,
            refs: Refs {
                kubescape: &["C-0155", "C-0158"],
                cis: &["2.3", "2.6"],
                nsa: &["Etcd"],
                mitre: &["T1557"],
            },
            remediation: "Remove --auto-tls and --peer-auto-tls from etcd (or set them to false) and give it certificates from the etcd CA.",
            doc: include_str!("flag_controls/etcd_auto_tls.md"),
        },
        rule: FlagRule {
            components: &[ETCD],
            requirements: &[
                Requirement {
                    flag: "auto-tls",
                    check: Check::OneOf {
                        values: &["false"],
                        default: "false",
                    },
                    risk: "clients are served a self-signed certificate they cannot verify",
                },
                Requirement {
                    flag: "peer-auto-tls",
                    check: Check::OneOf {
                        values: &["false"],
                        default: "false",
                    },
                    risk: "members use self-signed certificates for replication, which peers cannot verify",
                },
            ],
        },
    },
    FlagControl {
        about: Described {
            id: "VG-C039",
            title: "etcd replicates without TLS",
            severity: Severity::High,
            refs: Refs {
                kubescape: &["C-0156"],
                cis: &["2.4"],
                nsa: &["Etcd"],
                mitre: &["T1040"],
            },
            remediation: "Set --peer-cert-file and --peer-key-file on etcd and use https peer URLs.",
            doc: include_str!("flag_controls/etcd_peer_tls.md"),
        },
        rule: FlagRule {
            components: &[ETCD],
            requirements: &[
                Requirement {
                    flag: "peer-cert-file",
                    check: Check::Set,
                    risk: "etcd members replicate the cluster state to each other over plain HTTP",
                },
                Requirement {
                    flag: "peer-key-file",
                    check: Check::Set,
                    risk: "etcd members replicate the cluster state to each other over plain HTTP",
                },
            ],
        },
    },
    FlagControl {
        about: Described {
            id: "VG-C040",
            title: "etcd does not authenticate peers by certificate",
            severity: Severity::High,
            refs: Refs {
                kubescape: &["C-0157"],
                cis: &["2.5"],
                nsa: &["Etcd"],
                mitre: &[],
            },
            remediation: "Start etcd with --peer-client-cert-auth=true and --peer-trusted-ca-file.",
            doc: include_str!("flag_controls/etcd_peer_client_cert_auth.md"),
        },
        rule: FlagRule {
            components: &[ETCD],
            requirements: &[Requirement {
                flag: "peer-client-cert-auth",
                check: Check::OneOf {
                    values: &["true"],
                    default: "false",
                },
                risk: "any host that reaches the peer port can join the etcd cluster and receive its data",
            }],
        },
    },
];

/// The controls of the table, in ID order.
pub(crate) static CONTROLS: [Control; TABLE.len()] = rows!(control; 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39);

/// The control of row `ROW`.
const fn control<const ROW: usize>() -> Control {
    TABLE[ROW].about.control(Evaluator::Object {
        applies: applies::<ROW>,
        evaluate: evaluate::<ROW>,
    })
}

fn applies<const ROW: usize>(resource: &Resource) -> bool {
    TABLE[ROW].rule.applies(resource)
}

fn evaluate<const ROW: usize>(resource: &Resource, _: &Config, out: &mut Vec<Violation>) {
    TABLE[ROW].rule.evaluate(resource, out);
}

/// What is wrong with a `--request-timeout` value, if anything.
fn timeout_problem(value: &str) -> Option<String> {
    match duration_seconds(value) {
        Some(seconds) if seconds > 0.0 => None,
        Some(_) => Some("which is not a positive duration".to_string()),
        None => Some("which is not a duration such as 60s or 5m".to_string()),
    }
}

/// Suites accepted without a finding: TLS 1.3 suites and ECDHE key exchange
/// with AES or ChaCha20. Static-RSA key exchange (no forward secrecy), 3DES
/// (Sweet32) and the CBC-SHA256 suites (Lucky13) are left out. The kubelet's
/// control (VG-K011) holds it to the same list.
pub(crate) const STRONG_CIPHER_SUITES: &[&str] = &[
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
];
