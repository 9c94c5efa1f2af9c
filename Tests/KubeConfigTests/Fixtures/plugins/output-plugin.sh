#!/bin/sh
# Prints whatever $OUTPUT holds.
printf '%s\n' "$OUTPUT"
