//! The optimizer: an ordered list of rules, each rewriting a plan into an equivalent one.
//!
//! 1. [`fold`]: constant subexpressions become literals (subquery plans are optimized too);
//! 2. [`pushdown`]: WHERE terms move into joins and down to the tables they read; join
//!    equalities become hash joins;
//! 3. [`access`]: a filtered table scan reads only a rowid range, or through an index;
//!    [`join_order`]: inner joins build on (or loop over) their smaller input;
//! 4. [`order`]: a sort on a rowid or an index's columns becomes a scan in that order;
//!    [`limit`]: a sort under a limit becomes a top-N;
//! 5. [`prune`]: scans decode only the columns read above them.
//!
//! Rules never drop a predicate: an index or rowid range is a candidate filter, and the
//! Filter above it rechecks every row (DESIGN.md), so a rule only has to be conservative.

mod access;
mod fold;
mod identity;
mod join_order;
mod limit;
mod order;
mod prune;
mod pushdown;

use braid_engine::Txn;

use crate::plan::Plan;
use crate::value::zone::Zone;

/// Applies every rule in order.
pub(crate) fn optimize(plan: Plan, txn: &Txn, zone: Zone) -> Plan {
    let plan = fold::fold(plan, txn, zone);
    let plan = pushdown::pushdown(plan);
    let plan = access::choose(plan, txn, zone);
    let plan = join_order::order_joins(plan, txn);
    let plan = order::use_index_order(plan);
    let plan = limit::top_n(plan);
    let plan = identity::remove(plan);
    prune::prune(plan)
}

/// Applies `rule` to every node, children first.
pub(crate) fn bottom_up(plan: Plan, rule: &mut impl FnMut(Plan) -> Plan) -> Plan {
    let plan = plan.map_inputs(&mut |p| bottom_up(p, rule));
    rule(plan)
}
