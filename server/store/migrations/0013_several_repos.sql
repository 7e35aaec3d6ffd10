-- A task may span several registered repositories: the primary stays in repo,
-- the others are kept here as JSON, one record each ({repo, base_branch,
-- worktree, base_commit, merged_base, merged_head}). The merged pair of every
-- record is written in one transaction before any of their branches moves: the
-- journal an interrupted accept is completed from after a restart.
ALTER TABLE tasks ADD COLUMN also TEXT NOT NULL DEFAULT '[]';
