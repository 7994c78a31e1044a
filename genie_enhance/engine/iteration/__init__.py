"""One iteration of the loop: snapshot → score → plan → validate → apply → complete.

Where each part lives:
- `snapshot`, `score`, `plan`, `apply`: what each step does, as plain functions of the `Runtime` (each records what
  it did in the tracking store and returns what the next step consumes); validation is `engine.batch`.
- `state`: the `IterationState` the steps hand along, and what an iteration adds up to (`iteration_summary`).
- `steps`: each step measured into the state, and `run_iteration`, which chains them in one call.
- `asset_steps`: the steps as the Dagster assets call them, one asset per step, under the space's driver lease;
  a completed iteration takes the read-only path of `historical` instead.
The back edge (this iteration's config and lessons feeding the next) goes through the tracking store.
"""
