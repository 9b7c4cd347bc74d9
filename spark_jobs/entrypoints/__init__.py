"""What spark-submit runs. Each module only wires arguments to the runner or the publisher."""
