//! The optimizer: an ordered list of rules, each rewriting a plan into an equivalent one.

use crate::plan::Plan;

/// Applies every rule in order.
pub(crate) fn optimize(plan: Plan) -> Plan {
    plan
}
