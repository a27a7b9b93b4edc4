#!/bin/sh
# One-shot: create the namespace and register the payout search attributes
# (the dev server does the same in devserver/searchattrs.go), then wait until
# visibility queries accept them. Idempotent.
set -eu
ns="${TEMPORAL_NAMESPACE:-default}"
addr="${TEMPORAL_ADDRESS:-temporal:7233}"

retry() {
	n=0
	until "$@"; do
		n=$((n + 1))
		[ "$n" -ge 60 ] && { echo "gave up: $*" >&2; return 1; }
		sleep 2
	done
}

retry sh -c "temporal operator cluster health --address '$addr' | grep -q SERVING"
temporal operator namespace describe --address "$addr" --namespace "$ns" >/dev/null 2>&1 ||
	temporal operator namespace create --address "$addr" --namespace "$ns" --retention "${NAMESPACE_RETENTION:-720h}"

for attr in PayoutStatus:Keyword PayoutClientID:Keyword PayoutAsset:Keyword PayoutNetwork:Keyword \
	PayoutOrigin:Keyword PayoutNeedsAttention:Bool; do
	name="${attr%%:*}"
	type="${attr#*:}"
	# A new namespace reaches every service after a cache refresh: retry.
	retry sh -c "temporal operator search-attribute list --address '$addr' --namespace '$ns' | grep -qw '$name' ||
		temporal operator search-attribute create --address '$addr' --namespace '$ns' --name '$name' --type '$type'"
done
# Registered is not yet usable: each frontend learns the attributes on its
# next cache refresh, and until then a list query naming them fails, as
# would the api's first search and a workflow upserting them. Poll a query
# over every attribute (bounded: retry gives up after 2 minutes).
probe='PayoutStatus = "probe" AND PayoutClientID = "probe" AND PayoutAsset = "probe" AND PayoutNetwork = "probe" AND PayoutOrigin = "probe" AND PayoutNeedsAttention = false'
retry temporal workflow list --address "$addr" --namespace "$ns" --query "$probe" --limit 1
echo "namespace $ns ready with the payout search attributes, usable in queries"
