-- The most a task may spend, in US dollars; NULL: no budget.
ALTER TABLE tasks ADD COLUMN budget_usd REAL;
