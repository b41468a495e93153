"""Process helpers shared by the pod (`voicepod up`), the evals, the benchmarks and the tests:
a supervised child process, where nats-server is, a free port. A lower layer than `pod`, so
evals and benchmarks never import the CLI package."""
