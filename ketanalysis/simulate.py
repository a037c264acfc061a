def simulate_cohort(*a, **k): raise NotImplementedError
