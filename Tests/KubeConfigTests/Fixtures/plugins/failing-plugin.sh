#!/bin/sh
echo "error: you must run 'login' first" >&2
exit 3
