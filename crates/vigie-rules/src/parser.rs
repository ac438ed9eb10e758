//! Recursive-descent parser for Falco conditions:
//!
//! ```text
//! expr   := and ("or" and)*
//! and    := not ("and" not)*
//! not    := "not" not | "(" expr ")" | atom
//! atom   := macro | field unary-op | field binary-op value
//!         | field list-op (list | list-name)
//! field  := transformer "(" field ")" | name ("[" arg "]")?
//! value  := quoted | bare | "val(" field ")"
//! ```
//!
//! Names containing a dot are fields; other identifiers are macros.

use crate::ast::{Expr, FieldExpr, ListItem, Op, Rhs, Transformer};
use crate::limits::{quote, MAX_CONDITION_DEPTH};

/// Why a condition did not parse, and where.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message} (at offset {offset})")]
pub struct ParseError {
    /// Byte offset in the condition.
    pub offset: usize,
    /// What the parser expected or found.
    pub message: String,
}

/// Parses a condition into its syntax tree (macros and lists not resolved).
pub fn parse_condition(text: &str) -> Result<Expr, ParseError> {
    let mut p = Parser {
        text,
        pos: 0,
        depth: 0,
    };
    let expr = p.or_expr()?;
    p.skip_ws();
    if p.pos < text.len() {
        return Err(p.error(format!("unexpected '{}'", p.rest_preview())));
    }
    Ok(expr)
}

/// `items` joined by `and` (or `or`), or the one item alone.
fn junction(mut items: Vec<Expr>, join: fn(Vec<Expr>) -> Expr) -> Expr {
    if items.len() == 1 {
        items.pop().expect("one item")
    } else {
        join(items)
    }
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
    /// Parentheses, `not`s and transformers open at `pos`: each is a level of
    /// recursion, so their number is bounded.
    depth: usize,
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-'
}

/// Characters that end a bare (unquoted) value.
fn ends_bare(c: char) -> bool {
    c.is_whitespace() || matches!(c, '(' | ')' | ',' | '"' | '\'' | '=')
}

impl<'a> Parser<'a> {
    fn error(&self, message: impl Into<String>) -> ParseError {
        ParseError {
            offset: self.pos,
            message: message.into(),
        }
    }

    /// Opens a level of nesting, or refuses one past [`MAX_CONDITION_DEPTH`].
    fn enter(&mut self) -> Result<(), ParseError> {
        if self.depth == MAX_CONDITION_DEPTH {
            return Err(self.error(format!(
                "condition nests deeper than {MAX_CONDITION_DEPTH} levels \
                 (parentheses, 'not's and transformers)"
            )));
        }
        self.depth += 1;
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }

    fn rest_preview(&self) -> String {
        self.rest().chars().take(24).collect()
    }

    fn skip_ws(&mut self) {
        let rest = self.rest();
        self.pos += rest.len() - rest.trim_start().len();
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    /// Consumes the `)` that comes next, after white space, closing `call(` or,
    /// without `call`, a parenthesised expression.
    fn close_paren(&mut self, call: Option<&str>) -> Result<(), ParseError> {
        self.skip_ws();
        if self.peek() != Some(')') {
            return Err(self.error(match call {
                Some(call) => format!("expected ')' to close {call}("),
                None => "expected ')'".to_string(),
            }));
        }
        self.pos += 1;
        Ok(())
    }

    /// Consumes `word` if it is next and followed by a non-name character.
    fn keyword(&mut self, word: &str) -> bool {
        self.skip_ws();
        let rest = self.rest();
        if rest.starts_with(word) && !rest[word.len()..].starts_with(is_name_char) {
            self.pos += word.len();
            true
        } else {
            false
        }
    }

    /// The `or` of `and`s of operands, in one loop: each level of parentheses is two
    /// frames of recursion (this and [`Self::operand`]), which keeps the stack that
    /// [`MAX_CONDITION_DEPTH`] levels take small.
    fn or_expr(&mut self) -> Result<Expr, ParseError> {
        let mut ors = Vec::new();
        let mut ands = vec![self.operand()?];
        loop {
            if self.keyword("and") {
                ands.push(self.operand()?);
            } else if self.keyword("or") {
                ors.push(junction(std::mem::take(&mut ands), Expr::And));
                ands.push(self.operand()?);
            } else {
                break;
            }
        }
        let last = junction(ands, Expr::And);
        if ors.is_empty() {
            return Ok(last);
        }
        ors.push(last);
        Ok(Expr::Or(ors))
    }

    /// `not`s, then a parenthesised expression or an [`Self::atom`].
    fn operand(&mut self) -> Result<Expr, ParseError> {
        let mut nots = 0;
        while self.keyword("not") {
            self.enter()?;
            nots += 1;
        }
        self.skip_ws();
        let mut expr = if self.peek() == Some('(') {
            self.enter()?;
            self.pos += 1;
            let inner = self.or_expr()?;
            self.close_paren(None)?;
            self.leave();
            inner
        } else {
            self.atom()?
        };
        for _ in 0..nots {
            expr = Expr::Not(Box::new(expr));
            self.leave();
        }
        Ok(expr)
    }

    /// A macro reference or a comparison.
    fn atom(&mut self) -> Result<Expr, ParseError> {
        if self.peek().is_none() {
            return Err(self.error("unexpected end of condition"));
        }
        let start = self.pos;
        let word = self.name();
        if word.is_empty() {
            return Err(self.error(format!(
                "expected a field or macro, found '{}'",
                self.rest_preview()
            )));
        }
        let is_transformer =
            Transformer::from_name(word).is_some() && self.rest().trim_start().starts_with('(');
        if !word.contains('.') && !is_transformer {
            if word.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
                return Ok(Expr::Macro {
                    name: word.to_string(),
                    offset: start,
                });
            }
            self.pos = start;
            return Err(self.error(format!(
                "expected a field or macro, found '{}'",
                quote(word)
            )));
        }
        self.pos = start;
        let field = self.field()?;
        let op = self.operator()?;
        let rhs = match op {
            Op::Exists => Rhs::None,
            op if op.takes_list() => self.list_rhs()?,
            _ => self.value_rhs()?,
        };
        Ok(Expr::Check { field, op, rhs })
    }

    fn name(&mut self) -> &'a str {
        let rest = self.rest();
        let len = rest.find(|c: char| !is_name_char(c)).unwrap_or(rest.len());
        self.pos += len;
        &rest[..len]
    }

    fn field(&mut self) -> Result<FieldExpr, ParseError> {
        self.skip_ws();
        let offset = self.pos;
        let name = self.name();
        if let Some(t) = Transformer::from_name(name) {
            self.skip_ws();
            if self.peek() == Some('(') {
                self.enter()?;
                self.pos += 1;
                let mut inner = self.field()?;
                self.leave();
                self.close_paren(Some(name))?;
                inner.transformers.insert(0, t);
                inner.offset = offset;
                return Ok(inner);
            }
        }
        if !name.contains('.') {
            self.pos = offset;
            return Err(self.error(format!(
                "expected a field name, found '{}'",
                self.rest_preview()
            )));
        }
        let arg = if self.peek() == Some('[') {
            self.pos += 1;
            let arg = if matches!(self.peek(), Some('"' | '\'')) {
                self.quoted()?
            } else {
                let rest = self.rest();
                let len = rest
                    .find(']')
                    .ok_or_else(|| self.error("unterminated field argument '['"))?;
                self.pos += len;
                rest[..len].to_string()
            };
            if self.peek() != Some(']') {
                return Err(self.error("expected ']' after field argument"));
            }
            self.pos += 1;
            Some(arg)
        } else {
            None
        };
        Ok(FieldExpr {
            transformers: Vec::new(),
            name: name.to_string(),
            arg,
            offset,
        })
    }

    fn operator(&mut self) -> Result<Op, ParseError> {
        self.skip_ws();
        let rest = self.rest();
        for (sym, op) in [
            ("==", Op::Eq),
            ("!=", Op::Ne),
            ("<=", Op::Le),
            (">=", Op::Ge),
            ("=", Op::Eq),
            ("<", Op::Lt),
            (">", Op::Gt),
        ] {
            if rest.starts_with(sym) {
                self.pos += sym.len();
                return Ok(op);
            }
        }
        let len = rest
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(rest.len());
        match Op::from_word(&rest[..len]) {
            Some(op) => {
                self.pos += len;
                Ok(op)
            }
            None if len == 0 => Err(self.error(format!(
                "expected an operator, found '{}'",
                self.rest_preview()
            ))),
            None => Err(self.error(format!("unknown operator '{}'", quote(&rest[..len])))),
        }
    }

    fn quoted(&mut self) -> Result<String, ParseError> {
        let quote = self.peek().expect("called on a quote character");
        let start = self.pos;
        self.pos += 1;
        let mut out = String::new();
        let mut chars = self.rest().char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some((_, 'n')) => out.push('\n'),
                    Some((_, 't')) => out.push('\t'),
                    Some((_, 'r')) => out.push('\r'),
                    Some((_, other)) if other == quote || other == '\\' => out.push(other),
                    Some((_, other)) => {
                        out.push('\\');
                        out.push(other);
                    }
                    None => break,
                },
                c if c == quote => {
                    self.pos += i + 1;
                    return Ok(out);
                }
                c => out.push(c),
            }
        }
        self.pos = start;
        Err(self.error("unterminated quoted string"))
    }

    fn bare(&mut self) -> &'a str {
        let rest = self.rest();
        let len = rest.find(ends_bare).unwrap_or(rest.len());
        self.pos += len;
        &rest[..len]
    }

    fn value_rhs(&mut self) -> Result<Rhs, ParseError> {
        self.skip_ws();
        match self.peek() {
            Some('"' | '\'') => Ok(Rhs::Value(self.quoted()?)),
            Some('(') | Some(')') | Some(',') | None => {
                Err(self.error(format!("expected a value, found '{}'", self.rest_preview())))
            }
            _ => {
                let rest = self.rest();
                if rest.starts_with("val(") {
                    self.pos += 4;
                    let field = self.field()?;
                    self.close_paren(Some("val"))?;
                    return Ok(Rhs::Field(field));
                }
                let word = self.bare();
                if word.is_empty() {
                    return Err(
                        self.error(format!("expected a value, found '{}'", self.rest_preview()))
                    );
                }
                Ok(Rhs::Value(word.to_string()))
            }
        }
    }

    fn list_rhs(&mut self) -> Result<Rhs, ParseError> {
        self.skip_ws();
        if self.peek() != Some('(') {
            let start = self.pos;
            let word = self.name();
            if word.is_empty() || word.contains('.') {
                self.pos = start;
                return Err(self.error(format!("expected a list, found '{}'", self.rest_preview())));
            }
            return Ok(Rhs::ListName(word.to_string()));
        }
        self.pos += 1;
        let mut items = Vec::new();
        loop {
            self.skip_ws();
            match self.peek() {
                Some(')') => {
                    self.pos += 1;
                    return Ok(Rhs::List(items));
                }
                Some(',') if !items.is_empty() => {
                    self.pos += 1;
                    continue;
                }
                Some('"' | '\'') => items.push(ListItem::Quoted(self.quoted()?)),
                None => return Err(self.error("unterminated list, expected ')'")),
                _ => {
                    let word = self.bare();
                    if word.is_empty() {
                        return Err(
                            self.error(format!("unexpected '{}' in list", self.rest_preview()))
                        );
                    }
                    items.push(ListItem::Bare(word.to_string()));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(name: &str, op: Op, rhs: Rhs) -> Expr {
        Expr::Check {
            field: FieldExpr {
                transformers: vec![],
                name: name.into(),
                arg: None,
                offset: 0,
            },
            op,
            rhs,
        }
    }

    fn strip(e: Expr) -> Expr {
        match e {
            Expr::And(v) => Expr::And(v.into_iter().map(strip).collect()),
            Expr::Or(v) => Expr::Or(v.into_iter().map(strip).collect()),
            Expr::Not(e) => Expr::Not(Box::new(strip(*e))),
            Expr::Macro { name, .. } => Expr::Macro { name, offset: 0 },
            Expr::Check { mut field, op, rhs } => {
                field.offset = 0;
                Expr::Check { field, op, rhs }
            }
        }
    }

    #[test]
    fn precedence_not_binds_tighter_than_and_than_or() {
        let e = strip(parse_condition("a or not b and c.d = x").unwrap());
        assert_eq!(
            e,
            Expr::Or(vec![
                Expr::Macro {
                    name: "a".into(),
                    offset: 0
                },
                Expr::And(vec![
                    Expr::Not(Box::new(Expr::Macro {
                        name: "b".into(),
                        offset: 0
                    })),
                    check("c.d", Op::Eq, Rhs::Value("x".into())),
                ]),
            ])
        );
    }

    #[test]
    fn parses_operators_values_and_lists() {
        let e = strip(
            parse_condition(
                "evt.dir=< and fd.name pmatch (/etc, \"/a b\", my_list) and x.y exists",
            )
            .unwrap(),
        );
        let Expr::And(items) = e else { panic!() };
        assert_eq!(items[0], check("evt.dir", Op::Eq, Rhs::Value("<".into())));
        assert_eq!(
            items[1],
            check(
                "fd.name",
                Op::Pmatch,
                Rhs::List(vec![
                    ListItem::Bare("/etc".into()),
                    ListItem::Quoted("/a b".into()),
                    ListItem::Bare("my_list".into())
                ])
            )
        );
        assert_eq!(items[2], check("x.y", Op::Exists, Rhs::None));
    }

    #[test]
    fn parses_args_transformers_and_val() {
        let e = parse_condition("tolower(proc.aname[2]) != val(proc.pname)").unwrap();
        let Expr::Check { field, op, rhs } = e else {
            panic!()
        };
        assert_eq!(field.transformers, vec![Transformer::ToLower]);
        assert_eq!(field.arg.as_deref(), Some("2"));
        assert_eq!(op, Op::Ne);
        assert!(matches!(rhs, Rhs::Field(f) if f.name == "proc.pname"));
        let e = parse_condition("jevt.value[/a~1b/0] = 'it''s'").err();
        assert!(e.is_some(), "two quoted strings in a row are an error");
    }

    #[test]
    fn reports_errors_with_offsets() {
        let e = parse_condition("proc.name foo bar").unwrap_err();
        assert_eq!(e.message, "unknown operator 'foo'");
        assert_eq!(e.offset, 10);
        assert!(parse_condition("(a and b")
            .unwrap_err()
            .message
            .contains("expected ')'"));
        assert!(parse_condition("proc.name in (a, b").is_err());
        assert!(parse_condition("a and").is_err());
        assert!(parse_condition("proc.name = \"x")
            .unwrap_err()
            .message
            .contains("unterminated"));
    }
}
