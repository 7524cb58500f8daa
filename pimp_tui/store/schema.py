"""The store's schema as an ordered list of migrations; PRAGMA user_version records the last one
applied. Never edit a migration that has shipped: append a new one."""

from __future__ import annotations

MIGRATIONS: list[tuple[int, str]] = [
    (
        1,
        """
        CREATE TABLE feature_models (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            uvl TEXT NOT NULL,              -- the model, written as UVL
            path TEXT,                      -- where it was read from, if anywhere
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        );
        CREATE TABLE samples (
            id INTEGER PRIMARY KEY,
            model_id INTEGER NOT NULL REFERENCES feature_models(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            algorithm TEXT NOT NULL,
            params TEXT NOT NULL DEFAULT '{}',   -- JSON: t, size, seed, time budget, ...
            coverage TEXT,                       -- JSON: {"t": 2, "covered": .., "valid": ..}
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
            UNIQUE (model_id, name)
        );
        CREATE TABLE configurations (
            id INTEGER PRIMARY KEY,
            sample_id INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            config TEXT NOT NULL,                -- JSON: feature name -> value (null: deselected)
            UNIQUE (sample_id, position)
        );
        """,
    ),
    (
        2,
        """
        CREATE TABLE campaigns (
            id INTEGER PRIMARY KEY,
            sample_id INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
            name TEXT,
            task TEXT NOT NULL,                  -- 'arith', 'gsm8k', 'jsonl:PATH'
            prompts INTEGER NOT NULL,
            repetitions INTEGER NOT NULL,
            llm TEXT NOT NULL,                   -- 'smollm2', a path, a cached HF id, 'config:PATH'
            sensor TEXT,                         -- asked for (NULL: automatic), then used
            seed INTEGER NOT NULL DEFAULT 0,
            params TEXT NOT NULL DEFAULT '{}',   -- JSON: max_new_tokens, cooldown_s, idle_s, hz..
            status TEXT NOT NULL DEFAULT 'planned'
                CHECK (status IN ('planned', 'running', 'paused', 'done', 'cancelled', 'failed')),
            idle_watts REAL,                     -- idle baseline, measured once per campaign
            error TEXT,
            pid INTEGER,                         -- process running it, with its host
            host TEXT,
            heartbeat_at TEXT,                   -- refreshed while running: a stale one means dead
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
            started_at TEXT,
            finished_at TEXT
        );
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
            configuration_id INTEGER NOT NULL REFERENCES configurations(id) ON DELETE CASCADE,
            repetition INTEGER NOT NULL,
            position INTEGER NOT NULL,           -- execution order (randomised with the seed)
            status TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'running', 'done', 'failed')),
            error TEXT,
            started_at TEXT,
            finished_at TEXT,
            energy_j REAL,                       -- gross, whole window
            energy_net_j REAL,                   -- minus idle baseline x window
            energy_per_token_j REAL,
            energy_net_per_token_j REAL,
            energy_per_request_j REAL,
            latency_s REAL,
            ttft_s REAL,
            tpot_s REAL,
            input_tokens INTEGER,
            output_tokens INTEGER,
            tokens_per_s REAL,
            peak_memory_bytes INTEGER,
            memory_source TEXT,                  -- 'cuda max allocated' or 'process peak rss'
            accuracy REAL,                       -- NULL for cost-only (random-weight) models
            correct INTEGER,
            requests INTEGER,
            sensor TEXT,
            energy_method TEXT,
            power_source TEXT,
            short_window INTEGER,
            window_s REAL,
            settings TEXT,                       -- JSON: the exact load/generate kwargs used
            versions TEXT,                       -- JSON: library versions and device
            UNIQUE (campaign_id, configuration_id, repetition),
            UNIQUE (campaign_id, position)
        );
        CREATE INDEX runs_campaign_status ON runs (campaign_id, status);
        CREATE TABLE traces (
            id INTEGER PRIMARY KEY,
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            t REAL NOT NULL,                     -- seconds since the run's window opened
            device INTEGER NOT NULL,
            watts REAL NOT NULL,
            temperature_c REAL,
            sm_clock_mhz REAL,
            utilisation_pct REAL,
            memory_used_mib REAL
        );
        CREATE INDEX traces_run ON traces (run_id, t);
        """,
    ),
    (
        3,
        """
        ALTER TABLE runs ADD COLUMN prefill_energy_j REAL;     -- one-token generations of the run
        ALTER TABLE runs ADD COLUMN decode_energy_j REAL;      -- energy_j minus prefill_energy_j
        ALTER TABLE runs ADD COLUMN prefill_latency_s REAL;
        ALTER TABLE runs ADD COLUMN decode_latency_s REAL;
        ALTER TABLE runs ADD COLUMN prefill_passes INTEGER;    -- repeats averaged in its window
        ALTER TABLE runs ADD COLUMN prefill_short_window INTEGER;
        CREATE TABLE workloads (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            source TEXT,                         -- the trace file it was imported from
            requests INTEGER NOT NULL,
            span_s REAL,                         -- first to last timestamp, when it has them
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        );
        CREATE TABLE workload_requests (
            workload_id INTEGER NOT NULL REFERENCES workloads(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            input_tokens INTEGER NOT NULL,
            output_tokens INTEGER NOT NULL,
            timestamp REAL,                      -- seconds, when the trace has them
            PRIMARY KEY (workload_id, position)
        ) WITHOUT ROWID;
        """,
    ),
    (
        4,
        """
        CREATE TABLE predictors (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            target TEXT NOT NULL,
            learner TEXT NOT NULL,
            seed INTEGER NOT NULL,
            source TEXT NOT NULL,                -- 'campaign:ID', 'campaigns' or a CSV path
            model_id INTEGER REFERENCES feature_models(id) ON DELETE SET NULL,
            encoder TEXT NOT NULL,               -- JSON: features, kinds, levels
            n_train INTEGER NOT NULL,
            fitted BLOB NOT NULL,                -- the fitted learner as data (predict/portable.py)
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        );
        CREATE TABLE predictor_scores (
            id INTEGER PRIMARY KEY,
            predictor_id INTEGER NOT NULL REFERENCES predictors(id) ON DELETE CASCADE,
            kind TEXT NOT NULL,                  -- 'cv', 'holdout', 'curve'
            metrics TEXT NOT NULL,               -- JSON
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        );
        """,
    ),
    (
        5,
        """
        -- the run lease: the process holding a campaign is pid on host since claimed_at
        -- (NULL once it let go); taken and checked in one transaction
        ALTER TABLE campaigns ADD COLUMN claimed_at TEXT;
        """,
    ),
    (
        6,
        """
        -- t-wise samples: no sample covering every valid interaction is smaller (NULL: none
        -- computed, e.g. random samples)
        ALTER TABLE samples ADD COLUMN lower_bound INTEGER;
        """,
    ),
    (
        7,
        """
        ALTER TABLE campaigns ADD COLUMN control TEXT; -- 'pause', 'cancel' or 'stop' asked by
                                                       -- any window, cleared by the worker
        ALTER TABLE runs ADD COLUMN traceback TEXT;    -- where a failed run raised
        ALTER TABLE runs ADD COLUMN outputs TEXT;      -- JSON per prompt: prompt, output, correct
        CREATE TABLE live_power (                      -- the last minutes of a running campaign's
            campaign_id INTEGER NOT NULL               -- power, for windows in other processes
                REFERENCES campaigns(id) ON DELETE CASCADE,
            t REAL NOT NULL,                           -- unix time
            device INTEGER NOT NULL,
            watts REAL NOT NULL
        );
        CREATE INDEX live_power_campaign ON live_power (campaign_id, t);
        """,
    ),
    (
        8,
        """
        -- what each run ran with, written by the runner when the run starts: the configuration
        -- after every override and task-pinned value (what from_pretrained() and generate()
        -- received, mapped by measure/settings.py), and where it ran
        ALTER TABLE runs ADD COLUMN effective TEXT;        -- JSON: feature -> value
        ALTER TABLE runs ADD COLUMN effective_source TEXT; -- 'runner', or 'derived' for a run
                                                           -- stored before (see below)
        ALTER TABLE runs ADD COLUMN llm TEXT;              -- the campaign's model spec
        ALTER TABLE runs ADD COLUMN task TEXT;             -- the campaign's task spec
        ALTER TABLE runs ADD COLUMN device TEXT;           -- 'cpu', 'cuda', 'cuda:1'
        ALTER TABLE runs ADD COLUMN hardware TEXT;         -- the GPU's or CPU's name
        -- Runs stored before: derived from the sampled configuration, the arguments the run
        -- recorded (its output lengths and batch size) or else the campaign's override.
        UPDATE runs SET
            effective = (SELECT config FROM configurations c WHERE c.id = runs.configuration_id),
            effective_source = 'derived',
            llm = (SELECT llm FROM campaigns ca WHERE ca.id = runs.campaign_id),
            task = (SELECT task FROM campaigns ca WHERE ca.id = runs.campaign_id),
            device = json_extract(versions, '$.device'),
            hardware = COALESCE(json_extract(versions, '$.gpu'), json_extract(versions, '$.cpu'))
        WHERE status IN ('done', 'failed');
        UPDATE runs SET effective = json_set(effective, '$.max_new_tokens', COALESCE(
            json_extract(settings, '$.generate.max_new_tokens'),
            (SELECT json_extract(params, '$.max_new_tokens') FROM campaigns ca
             WHERE ca.id = runs.campaign_id)))
        WHERE effective_source = 'derived' AND COALESCE(
            json_extract(settings, '$.generate.max_new_tokens'),
            (SELECT json_extract(params, '$.max_new_tokens') FROM campaigns ca
             WHERE ca.id = runs.campaign_id)) IS NOT NULL;
        UPDATE runs SET effective = json_set(effective, '$.min_new_tokens',
                                             json_extract(settings, '$.generate.min_new_tokens'))
        WHERE effective_source = 'derived'
          AND json_extract(settings, '$.generate.min_new_tokens') IS NOT NULL;
        UPDATE runs SET effective = json_set(effective, '$.batch_size',
                                             json_extract(settings, '$.batch_size'))
        WHERE effective_source = 'derived' AND json_type(effective, '$.batch_size') IS NOT NULL
          AND json_extract(settings, '$.batch_size') IS NOT NULL;
        """,
    ),
    (
        9,
        """
        -- serving runs (task 'serving'): per-run figures over their requests
        ALTER TABLE runs ADD COLUMN energy_net_per_request_j REAL;  -- idle-subtracted
        ALTER TABLE runs ADD COLUMN latency_p50_s REAL;      -- end-to-end, from arrival
        ALTER TABLE runs ADD COLUMN latency_p90_s REAL;
        ALTER TABLE runs ADD COLUMN latency_p99_s REAL;
        ALTER TABLE runs ADD COLUMN ttft_p50_s REAL;         -- first token, from arrival
        ALTER TABLE runs ADD COLUMN ttft_p99_s REAL;
        ALTER TABLE runs ADD COLUMN queue_wait_mean_s REAL;  -- arrival to start of processing
        ALTER TABLE runs ADD COLUMN queue_wait_p99_s REAL;
        ALTER TABLE runs ADD COLUMN requests_per_s REAL;     -- completed requests / window
        -- and each of their requests, seconds from the window's start
        CREATE TABLE run_requests (
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,           -- the request's place in the stream
            arrival_s REAL NOT NULL,
            release_s REAL NOT NULL,             -- handed to the batcher (shaped: after a hold)
            start_s REAL NOT NULL,               -- taken into a batch / scheduled
            first_token_s REAL,
            finish_s REAL NOT NULL,
            input_tokens INTEGER NOT NULL,
            output_tokens INTEGER NOT NULL,
            correct INTEGER,                     -- NULL where the prompt has no answer
            PRIMARY KEY (run_id, position)
        ) WITHOUT ROWID;
        CREATE TABLE live_serving (              -- the serving run in flight, for other windows
            campaign_id INTEGER PRIMARY KEY REFERENCES campaigns(id) ON DELETE CASCADE,
            run_id INTEGER NOT NULL,
            state TEXT NOT NULL                  -- JSON: arrived, finished, latencies so far
        );
        """,
    ),
    (
        10,
        """
        -- the hardware a run ran on (every executor), and the slots of a cluster campaign
        ALTER TABLE runs ADD COLUMN node TEXT;         -- host name of the machine that ran it
        ALTER TABLE runs ADD COLUMN slot TEXT;         -- 'local', or a cluster slot: NODE/gpu0,1
        ALTER TABLE runs ADD COLUMN gpu_driver TEXT;   -- NVIDIA driver version, NULL on CPU
        ALTER TABLE live_power ADD COLUMN slot TEXT;   -- NULL: the local executor
        CREATE TABLE campaign_slots (                  -- the slots of a campaign on a cluster
            campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
            slot TEXT NOT NULL,
            node TEXT NOT NULL,
            state TEXT NOT NULL,                       -- starting, idle, running, lost, done
            run_id INTEGER,                            -- the run in flight
            pid INTEGER,                               -- the slot's process, on its node
            devices TEXT,                              -- CUDA_VISIBLE_DEVICES, NULL on CPU
            gpu_model TEXT,
            sensor TEXT,
            idle_watts REAL,
            message TEXT,
            updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
            PRIMARY KEY (campaign_id, slot)
        );
        """,
    ),
    (
        11,
        """
        -- the campaign's claimed_at when the run started: runs of one worker process share it,
        -- so the time between runs of two processes (a pause, a crash) is no gap between runs
        ALTER TABLE runs ADD COLUMN session TEXT;
        """,
    ),
]
