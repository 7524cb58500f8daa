"""Serving scenarios: a stream of requests reaching one loaded model, batched statically
(generate() on full batches) or continuously (transformers' ContinuousBatchingManager), with
arrivals drawn from a seeded process; per request the queue wait, time to first token, time per
output token and end-to-end latency, per run the window's energy and latency percentiles.

`arrivals` (the serving settings of a configuration, the seeded arrival schedule, clocks) and
`loop` (the two batching loops and the per-run aggregates) are pure Python; `run` drives a real
model and imports torch lazily."""
