"""Coalition capability planner: braided coalitions against national AI stacks."""
