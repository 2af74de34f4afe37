"""Step 2: exclude by distribution metadata, slim, check Lambda's limits and write the zip."""
