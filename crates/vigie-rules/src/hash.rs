//! The hasher of the string sets conditions and the rule index look values up in.
//!
//! The standard SipHash resists collision attacks on tables an attacker fills; these
//! tables are filled from rule files at load time and only looked up with event
//! values, so a lookup cannot be made slow by choosing keys, and the speed of a
//! multiply-fold hash is what matters. The workspace has one such hasher,
//! `foldhash` (also behind the controls' inventory index); its fixed-seed variant
//! keeps iteration order the same from run to run.

use std::collections::{HashMap, HashSet};

/// A map keyed by rule-file values.
pub type FastMap<K, V> = HashMap<K, V, foldhash::fast::FixedState>;
/// A set of rule-file values.
pub type FastSet<T> = HashSet<T, foldhash::fast::FixedState>;
