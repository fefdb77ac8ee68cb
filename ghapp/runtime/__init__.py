"""Running deliveries: webhook intake, the recorder, the queue and job contract, the worker, periodic duties."""
