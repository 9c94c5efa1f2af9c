#!/bin/sh
# An exec credential plugin for tests: counts its runs in $RUN_LOG, records KUBERNETES_EXEC_INFO in
# $INFO_FILE, and prints a token that expires at $EXPIRY (omitted when empty).
[ -n "$RUN_LOG" ] && echo run >> "$RUN_LOG"
[ -n "$INFO_FILE" ] && printf '%s' "$KUBERNETES_EXEC_INFO" > "$INFO_FILE"
n=$( [ -n "$RUN_LOG" ] && wc -l < "$RUN_LOG" | tr -d ' ' || echo 1)
[ -n "$SLEEP" ] && sleep "$SLEEP"
expiry=""
[ -n "$EXPIRY" ] && expiry=",\"expirationTimestamp\":\"$EXPIRY\""
printf '{"apiVersion":"%s","kind":"ExecCredential","status":{"token":"token-%s-%s"%s}}\n' "${VERSION:-client.authentication.k8s.io/v1}" "$1" "$n" "$expiry"
