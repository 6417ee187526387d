//! A sort under a limit becomes a top-N: only `limit + offset` rows are kept sorted.

use super::bottom_up;
use crate::plan::Plan;

pub(super) fn top_n(plan: Plan) -> Plan {
    bottom_up(plan, &mut |p| match p {
        Plan::Limit { input, limit: Some(limit), offset } => match *input {
            Plan::Sort { input, keys } => Plan::TopN { input, keys, limit, offset },
            other => Plan::Limit { input: Box::new(other), limit: Some(limit), offset },
        },
        other => other,
    })
}
