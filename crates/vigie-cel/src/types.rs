//! CEL types as the type checker sees them, and the signatures of the
//! functions it knows.

use std::collections::HashMap;
use std::fmt;

/// A CEL type. `Param` is a type parameter of a function signature (or a
/// type not yet deduced); whatever is still a parameter once an expression
/// is checked is reported as `dyn`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CelType {
    /// Any type, known only at run time.
    Dyn,
    /// `null_type`.
    Null,
    /// `bool`.
    Bool,
    /// `int`.
    Int,
    /// `uint`.
    Uint,
    /// `double`.
    Double,
    /// `string`.
    String,
    /// `bytes`.
    Bytes,
    /// `google.protobuf.Duration`.
    Duration,
    /// `google.protobuf.Timestamp`.
    Timestamp,
    /// `list(E)`.
    List(Box<CelType>),
    /// `map(K, V)`.
    Map(Box<CelType>, Box<CelType>),
    /// `type(T)`: the type of a type value.
    Type(Box<CelType>),
    /// A named type with parameters: `optional_type(T)`, `net.IP`, or an
    /// application's abstract type.
    Abstract(String, Vec<CelType>),
    /// A type parameter.
    Param(String),
}

impl CelType {
    /// `list(e)`.
    pub fn list(e: CelType) -> CelType {
        CelType::List(Box::new(e))
    }

    /// `map(k, v)`.
    pub fn map(k: CelType, v: CelType) -> CelType {
        CelType::Map(Box::new(k), Box::new(v))
    }

    /// `optional_type(t)`.
    pub fn optional(t: CelType) -> CelType {
        CelType::Abstract("optional_type".into(), vec![t])
    }

    /// Parses the notation used in signatures and messages: `int`,
    /// `list(A)`, `map(string, V)`, `optional_type(T)`; a single capital
    /// letter is a type parameter.
    pub fn parse(text: &str) -> Result<CelType, TypeSyntaxError> {
        let text = text.trim();
        let (name, args) = match text.find('(') {
            Some(i) if text.ends_with(')') => {
                let inner = &text[i + 1..text.len() - 1];
                (&text[..i], split_top(inner)?)
            }
            Some(_) => return Err(TypeSyntaxError::BadType(text.to_string())),
            None => (text, Vec::new()),
        };
        let args = args
            .iter()
            .map(|a| CelType::parse(a))
            .collect::<Result<Vec<_>, _>>()?;
        let arity = |n: usize| {
            if args.len() == n {
                Ok(())
            } else {
                Err(TypeSyntaxError::Arity {
                    name: name.to_string(),
                    params: n,
                })
            }
        };
        Ok(match name {
            "dyn" => CelType::Dyn,
            "null_type" => CelType::Null,
            "bool" => CelType::Bool,
            "int" => CelType::Int,
            "uint" => CelType::Uint,
            "double" => CelType::Double,
            "string" => CelType::String,
            "bytes" => CelType::Bytes,
            "google.protobuf.Duration" | "duration" => CelType::Duration,
            "google.protobuf.Timestamp" | "timestamp" => CelType::Timestamp,
            "list" => {
                arity(1)?;
                CelType::list(args[0].clone())
            }
            "map" => {
                arity(2)?;
                CelType::map(args[0].clone(), args[1].clone())
            }
            "type" => {
                arity(1)?;
                CelType::Type(Box::new(args[0].clone()))
            }
            n if n.len() == 1 && n.chars().all(|c| c.is_ascii_uppercase()) => {
                CelType::Param(n.to_string())
            }
            n if !n.is_empty() => CelType::Abstract(n.to_string(), args),
            _ => return Err(TypeSyntaxError::Empty),
        })
    }

    /// This type with `subst` applied throughout, unbound parameters kept.
    pub(crate) fn substitute(&self, subst: &HashMap<String, CelType>) -> CelType {
        self.map_params(&|p| match subst.get(p) {
            Some(t) => t.substitute(subst),
            None => CelType::Param(p.to_string()),
        })
    }

    /// This type with every parameter replaced by `dyn`.
    pub fn params_to_dyn(&self) -> CelType {
        self.map_params(&|_| CelType::Dyn)
    }

    /// This type with each parameter (by its name) replaced by `f`'s type.
    fn map_params(&self, f: &dyn Fn(&str) -> CelType) -> CelType {
        match self {
            CelType::Param(p) => f(p),
            CelType::List(e) => CelType::list(e.map_params(f)),
            CelType::Map(k, v) => CelType::map(k.map_params(f), v.map_params(f)),
            CelType::Type(t) => CelType::Type(Box::new(t.map_params(f))),
            CelType::Abstract(n, ps) => {
                CelType::Abstract(n.clone(), ps.iter().map(|p| p.map_params(f)).collect())
            }
            other => other.clone(),
        }
    }

    /// Whether `dyn` or a parameter occurs anywhere in this type.
    pub(crate) fn is_open(&self) -> bool {
        match self {
            CelType::Dyn | CelType::Param(_) => true,
            CelType::List(e) | CelType::Type(e) => e.is_open(),
            CelType::Map(k, v) => k.is_open() || v.is_open(),
            CelType::Abstract(_, ps) => ps.iter().any(|p| p.is_open()),
            _ => false,
        }
    }

    /// Renames every parameter with `suffix` (a fresh copy of a signature).
    pub(crate) fn rename(&self, suffix: &str) -> CelType {
        self.map_params(&|p| CelType::Param(format!("{p}{suffix}")))
    }
}

/// Why a type or signature text could not be read ([`CelType::parse`],
/// [`Overload::parse`]).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TypeSyntaxError {
    /// An opening parenthesis without a closing one at the end.
    #[error("bad type '{0}'")]
    BadType(String),
    /// A known type given the wrong number of parameters.
    #[error("type '{name}' takes {params} parameters")]
    Arity {
        /// The type: `list`, `map`, `type`.
        name: String,
        /// How many it takes.
        params: usize,
    },
    /// Nothing where a type was expected.
    #[error("empty type")]
    Empty,
    /// More closing than opening parentheses.
    #[error("unbalanced type '{0}'")]
    Unbalanced(String),
    /// A signature without its `->` result.
    #[error("signature without '->': {0}")]
    NoArrow(String),
}

/// Splits `a, map(b, c), d` at its top-level commas.
fn split_top(s: &str) -> Result<Vec<String>, TypeSyntaxError> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut cur = String::new();
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        if depth < 0 {
            return Err(TypeSyntaxError::Unbalanced(s.to_string()));
        }
        cur.push(c);
    }
    if !cur.trim().is_empty() {
        out.push(cur);
    }
    Ok(out)
}

impl fmt::Display for CelType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CelType::Dyn => f.write_str("dyn"),
            CelType::Null => f.write_str("null_type"),
            CelType::Bool => f.write_str("bool"),
            CelType::Int => f.write_str("int"),
            CelType::Uint => f.write_str("uint"),
            CelType::Double => f.write_str("double"),
            CelType::String => f.write_str("string"),
            CelType::Bytes => f.write_str("bytes"),
            CelType::Duration => f.write_str("google.protobuf.Duration"),
            CelType::Timestamp => f.write_str("google.protobuf.Timestamp"),
            CelType::List(e) => write!(f, "list({e})"),
            CelType::Map(k, v) => write!(f, "map({k}, {v})"),
            CelType::Type(t) => write!(f, "type({t})"),
            CelType::Abstract(n, ps) if ps.is_empty() => f.write_str(n),
            CelType::Abstract(n, ps) => {
                write!(f, "{n}(")?;
                for (i, p) in ps.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{p}")?;
                }
                f.write_str(")")
            }
            CelType::Param(p) => f.write_str(p),
        }
    }
}

/// One signature of a function: a member function's receiver is its first
/// parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overload {
    /// Called as `receiver.f(args)`.
    pub member: bool,
    /// The parameter types (receiver first for a member function).
    pub params: Vec<CelType>,
    /// The result type.
    pub result: CelType,
}

impl Overload {
    /// Parses `int, string -> bool` (a member function when `member`).
    pub fn parse(member: bool, sig: &str) -> Result<Overload, TypeSyntaxError> {
        let (params, result) = sig
            .split_once("->")
            .ok_or_else(|| TypeSyntaxError::NoArrow(sig.to_string()))?;
        Ok(Overload {
            member,
            params: split_top(params)?
                .iter()
                .map(|p| CelType::parse(p))
                .collect::<Result<_, _>>()?,
            result: CelType::parse(result)?,
        })
    }
}

/// The functions the checker knows: CEL's standard library and the ones
/// vigie-cel adds. A function it does not know is not an error (the engine
/// may have it); its result is `dyn`.
///
/// Each line: `name` or `.name` (member), then signatures separated by `|`.
const STANDARD: &str = "
_+_ int, int -> int | uint, uint -> uint | double, double -> double | string, string -> string | bytes, bytes -> bytes | list(A), list(A) -> list(A) | timestamp, duration -> timestamp | duration, timestamp -> timestamp | duration, duration -> duration
_-_ int, int -> int | uint, uint -> uint | double, double -> double | timestamp, timestamp -> duration | timestamp, duration -> timestamp | duration, duration -> duration
_*_ int, int -> int | uint, uint -> uint | double, double -> double
_/_ int, int -> int | uint, uint -> uint | double, double -> double
_%_ int, int -> int | uint, uint -> uint
-_ int -> int | double -> double
!_ bool -> bool
@not_strictly_false bool -> bool
_&&_ bool, bool -> bool
_||_ bool, bool -> bool
_==_ A, B -> bool
_!=_ A, B -> bool
_<_ A, A -> bool | int, double -> bool | double, int -> bool | int, uint -> bool | uint, int -> bool | uint, double -> bool | double, uint -> bool
_<=_ A, A -> bool | int, double -> bool | double, int -> bool | int, uint -> bool | uint, int -> bool | uint, double -> bool | double, uint -> bool
_>_ A, A -> bool | int, double -> bool | double, int -> bool | int, uint -> bool | uint, int -> bool | uint, double -> bool | double, uint -> bool
_>=_ A, A -> bool | int, double -> bool | double, int -> bool | int, uint -> bool | uint, int -> bool | uint, double -> bool | double, uint -> bool
_?_:_ bool, A, A -> A
_[_] list(A), int -> A | map(K, V), A -> V | optional_type(list(A)), int -> optional_type(A) | optional_type(map(K, V)), A -> optional_type(V)
@in A, list(B) -> bool | A, map(K, V) -> bool
size string -> int | bytes -> int | list(A) -> int | map(K, V) -> int
.size string -> int | bytes -> int | list(A) -> int | map(K, V) -> int
int int -> int | uint -> int | double -> int | string -> int | timestamp -> int
uint uint -> uint | int -> uint | double -> uint | string -> uint
double double -> double | int -> double | uint -> double | string -> double
string string -> string | int -> string | uint -> string | double -> string | bool -> string | bytes -> string | timestamp -> string | duration -> string | net.IP -> string | net.CIDR -> string
bytes bytes -> bytes | string -> bytes
bool bool -> bool | string -> bool
dyn A -> dyn
type A -> type(A)
duration string -> duration | duration -> duration
timestamp string -> timestamp | int -> timestamp | timestamp -> timestamp
.contains string, string -> bool
.startsWith string, string -> bool
.endsWith string, string -> bool
.matches string, string -> bool
matches string, string -> bool
optional.of A -> optional_type(A)
optional.ofNonZeroValue A -> optional_type(A)
optional.none -> optional_type(A)
.hasValue optional_type(A) -> bool
.value optional_type(A) -> A
.orValue optional_type(A), A -> A
.or optional_type(A), optional_type(A) -> optional_type(A)
lists.range int -> list(int)
@mapInsert map(K, V), K, V -> map(K, V)
ip string -> net.IP
cidr string -> net.CIDR
isIP string -> bool
isCIDR string -> bool
ip.isCanonical string -> bool
.family net.IP -> int
.isUnspecified net.IP -> bool
.isLoopback net.IP -> bool
.isGlobalUnicast net.IP -> bool
.isLinkLocalMulticast net.IP -> bool
.isLinkLocalUnicast net.IP -> bool
.containsIP net.CIDR, net.IP -> bool | net.CIDR, string -> bool
.containsCIDR net.CIDR, net.CIDR -> bool | net.CIDR, string -> bool
.ip net.CIDR -> net.IP
.masked net.CIDR -> net.CIDR
.prefixLength net.CIDR -> int
url string -> kubernetes.URL
isURL string -> bool
.getScheme kubernetes.URL -> string
.getHost kubernetes.URL -> string
.getHostname kubernetes.URL -> string
.getPort kubernetes.URL -> string
.getEscapedPath kubernetes.URL -> string
.getQuery kubernetes.URL -> map(string, list(string))
quantity string -> kubernetes.Quantity
isQuantity string -> bool
.sign kubernetes.Quantity -> int
.isInteger kubernetes.Quantity -> bool
.asInteger kubernetes.Quantity -> int
.asApproximateFloat kubernetes.Quantity -> double
.add kubernetes.Quantity, kubernetes.Quantity -> kubernetes.Quantity | kubernetes.Quantity, int -> kubernetes.Quantity
.sub kubernetes.Quantity, kubernetes.Quantity -> kubernetes.Quantity | kubernetes.Quantity, int -> kubernetes.Quantity
.compareTo kubernetes.Quantity, kubernetes.Quantity -> int | kubernetes.Semver, kubernetes.Semver -> int
.isGreaterThan kubernetes.Quantity, kubernetes.Quantity -> bool | kubernetes.Semver, kubernetes.Semver -> bool
.isLessThan kubernetes.Quantity, kubernetes.Quantity -> bool | kubernetes.Semver, kubernetes.Semver -> bool
semver string -> kubernetes.Semver | string, bool -> kubernetes.Semver
isSemver string -> bool | string, bool -> bool
.major kubernetes.Semver -> int
.minor kubernetes.Semver -> int
.patch kubernetes.Semver -> int
.sum list(A) -> A
image string -> kyverno.Image
isImage string -> bool
.registry kyverno.Image -> string
.repository kyverno.Image -> string
.identifier kyverno.Image -> string
.tag kyverno.Image -> string
.digest kyverno.Image -> string
.containsDigest kyverno.Image -> bool
parseServiceAccount string -> map(string, string)
format.dns1123Label -> kubernetes.NamedFormat
format.dns1123Subdomain -> kubernetes.NamedFormat
format.dns1035Label -> kubernetes.NamedFormat
format.qualifiedName -> kubernetes.NamedFormat
format.dns1123LabelPrefix -> kubernetes.NamedFormat
format.dns1123SubdomainPrefix -> kubernetes.NamedFormat
format.dns1035LabelPrefix -> kubernetes.NamedFormat
format.labelValue -> kubernetes.NamedFormat
format.uri -> kubernetes.NamedFormat
format.uuid -> kubernetes.NamedFormat
format.byte -> kubernetes.NamedFormat
format.date -> kubernetes.NamedFormat
format.datetime -> kubernetes.NamedFormat
format.named string -> optional_type(kubernetes.NamedFormat)
.validate kubernetes.NamedFormat, string -> optional_type(list(string))
.path kubernetes.authorization.Authorizer, string -> kubernetes.authorization.Authorizer
.group kubernetes.authorization.Authorizer, string -> kubernetes.authorization.Authorizer
.resource kubernetes.authorization.Authorizer, string -> kubernetes.authorization.Authorizer
.subresource kubernetes.authorization.Authorizer, string -> kubernetes.authorization.Authorizer
.namespace kubernetes.authorization.Authorizer, string -> kubernetes.authorization.Authorizer
.name kubernetes.authorization.Authorizer, string -> kubernetes.authorization.Authorizer
.check kubernetes.authorization.Authorizer, string -> kubernetes.authorization.Decision
.serviceAccount kubernetes.authorization.Authorizer, string, string -> kubernetes.authorization.Authorizer
.allowed kubernetes.authorization.Decision -> bool
.errored kubernetes.authorization.Decision -> bool
.reason kubernetes.authorization.Decision -> string
.error kubernetes.authorization.Decision -> string
";

/// The standard declarations, parsed: global and member functions apart,
/// keyed by name.
pub(crate) fn standard() -> HashMap<String, Vec<Overload>> {
    let mut out: HashMap<String, Vec<Overload>> = HashMap::new();
    for line in STANDARD.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (name, sigs) = line.split_once(' ').expect("name and signatures");
        let (member, name) = match name.strip_prefix('.') {
            Some(n) => (true, n),
            None => (false, name),
        };
        for sig in sigs.split(" | ") {
            let o = Overload::parse(member, sig).expect("valid built-in signature");
            out.entry(name.to_string()).or_default().push(o);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        let t = CelType::parse("map(string, list(optional_type(A)))").unwrap();
        assert_eq!(t.to_string(), "map(string, list(optional_type(A)))");
        assert_eq!(
            t.params_to_dyn().to_string(),
            "map(string, list(optional_type(dyn)))"
        );
        assert!(CelType::parse("list(int, int)").is_err());
        assert!(standard().contains_key("_+_"));
    }
}
