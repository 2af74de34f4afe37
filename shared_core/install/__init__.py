"""Step 1b: install the pins for the target runtime, audit the result, compile bytecode."""
