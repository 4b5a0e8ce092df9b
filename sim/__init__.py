"""The simulator: what-if studies on the real scheduling policy, and load tests of the live server.

    scenario = load_scenario("sim/scenarios/qingyuan-weekday.toml")
    result = run_replications(scenario, replications=20, seed=1)   # sim.runner
    print(report.table(result))

A discrete-event kernel (`kernel.Environment`, SimPy's model without coroutines) drives the
very `qms.core.Hall` that the server runs, on a virtual clock, so a simulated day takes a
fraction of a second and what-if answers are the real policy's answers. See README.md,
"Simulating a hall".
"""
