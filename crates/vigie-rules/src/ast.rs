//! The condition syntax tree, before macros and lists are resolved.

/// Value transformers applied to a field before comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transformer {
    ToLower,
    ToUpper,
    /// Base64-decodes the value.
    B64,
    Basename,
    /// The length of the value (of the list, for list fields).
    Len,
}

impl Transformer {
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "tolower" => Transformer::ToLower,
            "toupper" => Transformer::ToUpper,
            "b64" => Transformer::B64,
            "basename" => Transformer::Basename,
            "len" => Transformer::Len,
            _ => return None,
        })
    }
}

/// A field as written: `tolower(proc.aname[2])`. `offset` is the byte offset in the
/// condition text, for error messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldExpr {
    /// Outermost transformer first.
    pub transformers: Vec<Transformer>,
    pub name: String,
    pub arg: Option<String>,
    pub offset: usize,
}

impl FieldExpr {
    /// The field as it would be written, without transformers.
    pub fn display_name(&self) -> String {
        match &self.arg {
            Some(arg) => format!("{}[{}]", self.name, arg),
            None => self.name.clone(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Contains,
    IContains,
    BContains,
    StartsWith,
    BStartsWith,
    EndsWith,
    Glob,
    IGlob,
    Regex,
    In,
    Intersects,
    Pmatch,
    Exists,
}

impl Op {
    /// Word operators as written in conditions.
    pub fn from_word(word: &str) -> Option<Op> {
        Some(match word {
            "contains" => Op::Contains,
            "icontains" => Op::IContains,
            "bcontains" => Op::BContains,
            "startswith" => Op::StartsWith,
            "bstartswith" => Op::BStartsWith,
            "endswith" => Op::EndsWith,
            "glob" => Op::Glob,
            "iglob" => Op::IGlob,
            "regex" => Op::Regex,
            "in" => Op::In,
            "intersects" => Op::Intersects,
            "pmatch" => Op::Pmatch,
            "exists" => Op::Exists,
            _ => return None,
        })
    }

    /// Parses an operator as it appears in an exception's `comps`.
    pub fn parse(text: &str) -> Option<Op> {
        Some(match text {
            "=" | "==" => Op::Eq,
            "!=" => Op::Ne,
            "<" => Op::Lt,
            "<=" => Op::Le,
            ">" => Op::Gt,
            ">=" => Op::Ge,
            other => return Op::from_word(other),
        })
    }

    /// Operators whose right-hand side is a list.
    pub fn takes_list(self) -> bool {
        matches!(self, Op::In | Op::Intersects | Op::Pmatch)
    }
}

/// One element of a parenthesised list: quoted items are literal, bare ones may name
/// a list to splice in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ListItem {
    Quoted(String),
    Bare(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rhs {
    None,
    Value(String),
    List(Vec<ListItem>),
    /// A bare list name (`in my_list` without parentheses).
    ListName(String),
    /// `val(other.field)`: compare with another field of the same event.
    Field(FieldExpr),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    /// An identifier that is not a field: a macro reference.
    Macro {
        name: String,
        offset: usize,
    },
    Check {
        field: FieldExpr,
        op: Op,
        rhs: Rhs,
    },
}
