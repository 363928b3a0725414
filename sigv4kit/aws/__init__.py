"""botocore's data (partitions, endpoints, models, waiters, paginators) and its cache, the
credential chain and clock skew; each submodule says what it offers."""

__all__: list[str] = []
