"""The dispatch domain: a pure, typed model of repair requests, engineers and plans.

Nothing here imports the solver, the data layer or a framework; the validator in
:mod:`dispatch.validate` is the one judge of whether a plan keeps the contract's rules.
"""
