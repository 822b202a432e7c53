"""resuite core: the shared, rank-generic residual core of the suite.

`core` never imports a domain. Domains import `core` and register their tasks with
`core.registry.register_task`.
"""

__version__ = "0.1.0"
