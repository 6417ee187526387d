//! What operators and expressions need while they run: the transaction, the rows of
//! enclosing queries, and results computed once per statement (uncorrelated subqueries,
//! CTEs).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use braid_engine::{Txn, Value};

use crate::connection::ParamValues;
use crate::session::Session;

/// A row of values.
pub(crate) type Row = Vec<Value>;

/// A subquery's result, kept for the rest of the statement when it is uncorrelated.
#[derive(Debug, Clone)]
pub(crate) enum Cached {
    /// A scalar subquery's value.
    Scalar(Value),
    /// EXISTS.
    Exists(bool),
    /// The values of an IN subquery, and whether one of them is NULL.
    Set(Rc<crate::value::GroupSet>, bool),
}

/// What EXPLAIN ANALYZE reports for one plan node: rows out, and time spent in it and
/// below it.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct NodeStats {
    pub rows: u64,
    pub time: std::time::Duration,
    pub runs: u64,
}

/// Per-statement state shared by every operator of the statement.
#[derive(Default)]
pub(crate) struct Shared {
    pub subqueries: RefCell<HashMap<usize, Cached>>,
    pub ctes: RefCell<HashMap<usize, Rc<Vec<Row>>>>,
    /// For EXPLAIN ANALYZE: statistics per plan node, keyed by the node's address.
    pub stats: Option<RefCell<HashMap<usize, NodeStats>>>,
}

/// The context an operator runs in.
pub(crate) struct Ctx<'a> {
    pub txn: &'a Txn,
    pub params: &'a ParamValues,
    /// The connection's session (settings, user, the transaction's start time).
    pub session: &'a Session,
    /// Rows of the enclosing queries, innermost first (a correlated subquery's `depth` 1
    /// column reads `outer[0]`).
    pub outer: Vec<&'a [Value]>,
    pub shared: &'a Shared,
}

impl<'a> Ctx<'a> {
    pub fn new(txn: &'a Txn, params: &'a ParamValues, session: &'a Session, shared: &'a Shared) -> Self {
        Ctx { txn, params, session, outer: vec![], shared }
    }

    /// The context of a subquery run for the current row `row`.
    pub fn nested<'b>(&'b self, row: &'b [Value]) -> Ctx<'b> {
        let mut outer: Vec<&'b [Value]> = Vec::with_capacity(self.outer.len() + 1);
        outer.push(row);
        outer.extend(self.outer.iter().copied());
        Ctx { txn: self.txn, params: self.params, session: self.session, outer, shared: self.shared }
    }
}
